/*
 * encoder.c - enc_create dispatch and the public encode entry (encoder.h).
 *
 * "builtin:ngram" is served by ngram.c. Transformer model directories are
 * served by the sentence-transformers pipeline (model loader + forward pass).
 */
#include "encoder.h"

#include <string.h>
#ifdef _OPENMP
#include <omp.h>
#endif

#include "err.h"
#include "hash.h"
#include "mem.h"
#include "ngram.h"
#include "utf8.h"

enum enc_kind { ENC_KIND_NGRAM };

struct enc {
    enum enc_kind kind;
    char *name;
    char fingerprint[33];
    int dim;
    struct enc_options opt;
};

static int enc_threads(const struct enc *e)
{
#ifdef _OPENMP
    return e->opt.n_threads > 0 ? e->opt.n_threads : omp_get_num_procs();
#else
    (void)e;
    return 1;
#endif
}

int enc_create(const char *model, const struct enc_options *opt, struct enc **out)
{
    *out = NULL;
    struct enc_options defaults = ENC_OPTIONS_INIT;
    if (!opt) opt = &defaults;
    if (strncmp(model, "builtin:", 8) != 0)
        return err_set(ERR_UNSUPPORTED, "'%s': transformer model directories are not supported yet", model);
    if (strcmp(model, ENC_BUILTIN_NGRAM) != 0)
        return err_set(ERR_UNSUPPORTED, "unknown builtin encoder '%s' (known: %s)", model, ENC_BUILTIN_NGRAM);
    struct enc *e = mem_calloc(1, sizeof *e);
    if (!e || !(e->name = mem_strdup(model))) {
        mem_free(e);
        return err_set(ERR_NOMEM, "out of memory");
    }
    e->kind = ENC_KIND_NGRAM;
    e->dim = NGRAM_DIM;
    e->opt = *opt;
    /* the builtin's "weights" are its definition: version it in the name */
    hash_hex128(hash128("builtin:ngram v1 n=1..3 dim=768 xxh3 sublinear-tf l2", 52), e->fingerprint);
    *out = e;
    return 0;
}

void enc_free(struct enc *e)
{
    if (!e) return;
    mem_free(e->name);
    mem_free(e);
}

int enc_dim(const struct enc *e) { return e->dim; }
const char *enc_name(const struct enc *e) { return e->name; }
const char *enc_fingerprint(const struct enc *e) { return e->fingerprint; }
const struct tok *enc_tokenizer(const struct enc *e) { (void)e; return NULL; }
int enc_max_seq_length(const struct enc *e) { (void)e; return 0; }

int enc_encode(struct enc *e, const char *const *texts, const size_t *lens, size_t n, float *out,
               struct enc_item_info *info)
{
    int rc = 0;
    #pragma omp parallel for schedule(dynamic, 16) num_threads(enc_threads(e))
    for (size_t i = 0; i < n; i++) {
        size_t len, off = py_strip(texts[i], lens[i], &len);
        long k = ngram_embed(texts[i] + off, len, out + i * (size_t)e->dim);
        if (k < 0) {
            #pragma omp critical
            rc = (int)k;
        }
        if (info) {
            info[i].n_tokens = k < 0 ? 0 : (int32_t)(k > INT32_MAX ? INT32_MAX : k);
            info[i].truncated = 0;
        }
    }
    /* builtin vectors are already unit length: --normalize changes nothing */
    return rc;
}
