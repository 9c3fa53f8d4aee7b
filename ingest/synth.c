/*
 * synth.c - the synthetic corpus of the tests and benchmarks (synth.h).
 */
#include "ingest/synth.h"

#include <archive.h>
#include <archive_entry.h>
#include <stdio.h>
#include <string.h>

#include "common/err.h"
#include "common/jsonl.h"

static const char *const vocab[32] = {
    "하늘이", "바다를", "고양이가", "강아지는", "학교에서", "사람들이", "빠르게", "천천히",
    "노래를", "책을",   "먹었다",   "달린다",   "좋아요",   "보았다",   "오늘은", "내일",
    "어제",   "서울의", "부산에",   "친구와",   "함께",     "조용히",   "크게",   "작은",
    "새로운", "오래된", "도서관",   "공원에서", "기차를",   "타고",     "갔다",   "왔어요",
};

/* mix: splitmix64's finalizer, so neighbouring indices share no words */
static uint64_t mix(uint64_t x)
{
    x += 0x9E3779B97F4A7C15ull;
    x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
    x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
    return x ^ (x >> 31);
}

int synth_sentence(struct buf *out, uint64_t i)
{
    if (i % 7 == 6) i -= 5;
    uint64_t x = mix(i);
    int nw = 4 + (int)(x >> 61);   /* 4..11 words: 5 bits each from bit 0 */
    int rc = 0;
    for (int w = 0; w < nw && rc == 0; w++) {
        rc = buf_puts(out, vocab[(x >> (5 * w)) & 31]);
        if (rc == 0) rc = buf_putc(out, ' ');
    }
    if (rc == 0) rc = buf_printf(out, "%d.", (int)(i % 997));
    return rc < 0 ? err_nomem() : 0;
}

int synth_docs(struct buf *out, uint64_t id0, uint64_t s0, int n_docs, int per_doc, int salt)
{
    struct buf text = BUF_INIT;
    char id[32];
    int rc = 0;
    for (int k = 0; k < n_docs && rc == 0; k++) {
        buf_reset(&text);
        for (int j = 0; j < per_doc && rc == 0; j++) {
            if (j && buf_putc(&text, ' ') < 0) rc = err_nomem();
            uint64_t i = s0 + (uint64_t)k * (uint64_t)per_doc + (uint64_t)j;
            if (rc == 0) rc = synth_sentence(&text, j == 1 ? i + (uint64_t)salt : i);
        }
        if (rc < 0) break;
        snprintf(id, sizeof id, "d%llu", (unsigned long long)(id0 + (uint64_t)k));
        struct jsonl_row r;
        jsonl_begin(&r, out);
        jsonl_strn(&r, "id", id, strlen(id));
        jsonl_buf(&r, "text", &text);
        if (jsonl_end(&r) < 0) rc = err_nomem();
    }
    buf_release(&text);
    return rc;
}

int synth_write_tar(const char *path, const struct synth_entry *e, size_t n)
{
    struct archive *a = archive_write_new();
    if (!a) return err_nomem();
    int ok = archive_write_set_format_pax_restricted(a) == ARCHIVE_OK &&
             archive_write_add_filter_zstd(a) == ARCHIVE_OK &&
             archive_write_open_filename(a, path) == ARCHIVE_OK;
    for (size_t i = 0; ok && i < n; i++) {
        struct archive_entry *ae = archive_entry_new();
        ok = ae != NULL;
        if (ok) {
            archive_entry_set_pathname(ae, e[i].name);
            archive_entry_set_size(ae, (la_int64_t)e[i].len);
            archive_entry_set_filetype(ae, AE_IFREG);
            archive_entry_set_perm(ae, 0644);
            ok = archive_write_header(a, ae) == ARCHIVE_OK &&
                 (e[i].len == 0 || archive_write_data(a, e[i].data, e[i].len) == (la_ssize_t)e[i].len);
            archive_entry_free(ae);
        }
    }
    if (archive_write_close(a) != ARCHIVE_OK) ok = 0;
    const char *why = archive_error_string(a);
    int rc = ok ? 0 : err_set(ERR_IO, "cannot write '%s': %s", path, why ? why : "libarchive error");
    archive_write_free(a);
    return rc;
}
