/*
 * ngram.c - builtin:ngram, character n-gram feature hashing (see ngram.h).
 */
#include "ingest/encoder/ngram.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <utf8proc.h>

#include "common/err.h"
#include "common/hash.h"
#include "common/mem.h"
#include "common/utf8.h"

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

long ngram_embed(const char *text, size_t len, float *out)
{
    memset(out, 0, NGRAM_DIM * sizeof *out);
    /* 1. NFC (utf8proc maps invalid input to an error; sanitize first) */
    struct buf clean = BUF_INIT;
    if (utf8_sanitize(&clean, text, len) < 0) return err_nomem();
    utf8proc_uint8_t *nfc = NULL;
    utf8proc_ssize_t nn = utf8proc_map((const utf8proc_uint8_t *)(clean.data ? clean.data : ""),
                                       (utf8proc_ssize_t)clean.len, &nfc, UTF8PROC_STABLE | UTF8PROC_COMPOSE);
    buf_release(&clean);
    if (nn < 0) return err_set(ERR_NOMEM, "cannot normalize text: %s", utf8proc_errmsg(nn));

    /* code points with whitespace runs collapsed to one space, stripped */
    int32_t *cp = mem_alloc_array((size_t)nn + 1, sizeof *cp);
    uint64_t *h = mem_alloc_array(3 * ((size_t)nn + 1), sizeof *h);
    if (!cp || !h) {
        free(nfc);
        mem_free(cp);
        mem_free(h);
        return err_set(ERR_NOMEM, "out of memory in builtin:ngram");
    }
    size_t n = 0;
    for (utf8proc_ssize_t i = 0; i < nn;) {
        int32_t c;
        i += (utf8proc_ssize_t)utf8_decode((const char *)nfc + i, (size_t)(nn - i), &c);
        if (py_isspace(c)) {
            if (n && cp[n - 1] != ' ') cp[n++] = ' ';
        } else {
            cp[n++] = c;
        }
    }
    free(nfc);
    if (n && cp[n - 1] == ' ') n--;

    /* 2-3. hash every n-gram (the bytes of its UTF-8 form, seed = n) */
    size_t nh = 0;
    char gram[12];
    for (size_t g = 1; g <= 3; g++) {
        for (size_t i = 0; i + g <= n; i++) {
            size_t b = 0;
            for (size_t k = 0; k < g; k++) b += utf8_encode(cp[i + k], gram + b);
            h[nh++] = hash64(gram, b, g);
        }
    }
    /* 4. distinct n-grams with their counts: sort the hashes, count runs */
    qsort(h, nh, sizeof *h, cmp_u64);
    for (size_t i = 0; i < nh;) {
        size_t j = i;
        while (j < nh && h[j] == h[i]) j++;
        float tf = 1.0f + logf((float)(j - i));
        float sign = (h[i] >> 63) ? -1.0f : 1.0f;
        out[h[i] % NGRAM_DIM] += sign * tf;
        i = j;
    }
    mem_free(h);
    mem_free(cp);

    /* 5. L2 */
    double ss = 0;
    for (int d = 0; d < NGRAM_DIM; d++) ss += (double)out[d] * out[d];
    if (ss > 0) {
        float inv = (float)(1.0 / sqrt(ss));
        for (int d = 0; d < NGRAM_DIM; d++) out[d] *= inv;
    }
    return (long)n;
}
