/*
 * test_nonfinite.c - numbers that are not numbers never reach the store or
 * a JSON output. A BERT fixture is rewritten so that one word's embedding
 * (finite, FLT_MAX) overflows to Inf when the token-type embedding is added:
 * every text with that word becomes a NaN vector, every other text stays
 * finite. Ingest rejects exactly those chunks (naming shard, entry and
 * record; a duplicate of such a text is rejected too), stores the rest;
 * --reembed into such a model stops with an error naming the chunk; and
 * `semindex embed` writes null instead of nan and exits 3.
 */
#include <float.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/err.h"
#include "common/fsutil.h"
#include "ingest/encoder/encoder.h"
#include "ingest/ingest.h"
#include "ingest/model/safetensors.h"
#include "ingest/tokenizer/tokenizer.h"
#include "tests/check.h"

#define POISON "zqxjv"

/* poisoned_model: tmp/nanbert = src with word rows of ids[0..n) set to FLT_MAX
 * in column 0 and token type 0 at 1e35 in column 0 (all finite). */
static int poisoned_model(const char *src, const int32_t *ids, size_t n, char *out, size_t cap)
{
    snprintf(out, cap, "%s/nanbert", test_tmpdir());
    char cmd[8192];
    snprintf(cmd, sizeof cmd, "rm -rf '%s' && mkdir -p '%s' && cp -r '%s'/. '%s'/ && rm '%s/model.safetensors'", out,
             out, src, out, out);
    if (system(cmd) != 0) return -1;
    char p[2400];
    snprintf(p, sizeof p, "%s/model.safetensors", src);
    struct buf b = BUF_INIT;
    if (fs_read_file(p, &b, 1u << 30) < 0) return -1;
    struct st_set *s = NULL;
    int rc = -1;
    const struct st_tensor *w = NULL, *ty = NULL;
    if (st_parse(b.data, b.len, "x", &s) == 0) {
        for (size_t i = 0; i < st_count(s); i++) {
            const struct st_tensor *t = st_at(s, i);
            if (strstr(t->name, "word_embeddings.weight")) w = t;
            if (strstr(t->name, "token_type_embeddings.weight")) ty = t;
        }
    }
    if (w && ty && w->dtype == ST_F32 && ty->dtype == ST_F32) {
        float big = FLT_MAX, mid = 1e35f;
        int64_t H = w->shape[1];
        for (size_t i = 0; i < n; i++)
            memcpy(b.data + ((const char *)w->data - b.data) + (size_t)ids[i] * H * 4, &big, 4);
        memcpy(b.data + ((const char *)ty->data - b.data), &mid, 4);
        snprintf(p, sizeof p, "%s/model.safetensors", out);
        rc = fs_write_atomic(p, b.data, b.len);
    }
    st_close(s);
    buf_release(&b);
    return rc;
}

int main(void)
{
    const char *fx = fixtures_dir();
    char src[1024], mdir[1200];
    if (fx) snprintf(src, sizeof src, "%s/bert-tiny-ko/model", fx);
    TEST("a NaN vector is rejected per chunk, the rest is stored") {
        if (!fx) { SKIP("fixtures not found"); break; }
        struct enc_options eo = ENC_OPTIONS_INIT;
        eo.n_threads = 1;
        struct enc *e = NULL;
        CHECK_OK(enc_create(src, &eo, &e));
        if (!e) break;
        struct tok_encoding te = { 0 };
        CHECK_OK(tok_encode(enc_tokenizer(e), POISON, strlen(POISON), 0, &te));
        enc_free(e);
        e = NULL;
        /* [CLS] ... [SEP]: poison the word pieces only */
        CHECK_TRUE(te.n >= 3);
        int prc = poisoned_model(src, te.ids + 1, te.n - 2, mdir, sizeof mdir);
        tok_encoding_release(&te);
        if (prc < 0) { SKIP("fixture weights are not float32"); break; }
        CHECK_OK(enc_create(mdir, &eo, &e));
        if (!e) break;
        char shard[1200], store[1200];
        snprintf(shard, sizeof shard, "%s/nan.jsonl", test_tmpdir());
        snprintf(store, sizeof store, "%s/nanstore", test_tmpdir());
        const char *jl = "{\"text\": \"하늘이 맑다\"}\n"
                         "{\"text\": \"" POISON "\"}\n"
                         "{\"text\": \"바다가 푸르다\"}\n"
                         "{\"text\": \"" POISON "\"}\n"
                         "{\"text\": \"고양이가 잔다\"}\n";
        CHECK_OK(fs_write_atomic(shard, jl, strlen(jl)));
        struct store *s = NULL;
        CHECK_OK(store_open(store, STORE_CREATE, &s));
        struct ingest_options o = INGEST_OPTIONS_INIT;
        o.seg.mode = SEG_DOC;
        struct ingest_stats st = { 0 };
        const char *shards[] = { shard };
        CHECK_OK(ingest_run(s, e, shards, 1, &o, &st));
        CHECK_INT((int)st.rejected, 2);  /* the text and its duplicate */
        CHECK_INT((int)st.chunks, 3);
        struct store_info in;
        CHECK_OK(store_info(s, &in));
        CHECK_INT((int)in.n_chunks, 3);
        CHECK_INT((int)in.n_vectors, 3);
        struct store_txn *t;
        struct store_iter *it;
        CHECK_OK(store_read_begin(s, &t));
        CHECK_OK(store_iter_open(t, 0, &it));
        int dim = enc_dim(e), n = 0, finite = 1;
        float *v = calloc((size_t)dim, sizeof *v);
        uint64_t id;
        while (store_iter_next(it, &id, v) == 1) {
            n++;
            for (int i = 0; i < dim; i++) finite &= isfinite(v[i]) != 0;
        }
        store_iter_close(it);
        store_read_end(t);
        free(v);
        CHECK_INT(n, 3);
        CHECK_TRUE(finite);
        store_close(s);
        /* --reembed into the poisoned model: stops with an error naming the chunk */
        char store2[1200];
        snprintf(store2, sizeof store2, "%s/nanstore2", test_tmpdir());
        struct enc *good = NULL;
        CHECK_OK(enc_create(src, &eo, &good));
        CHECK_OK(store_open(store2, STORE_CREATE, &s));
        struct ingest_stats st2 = { 0 }, st3 = { 0 };
        if (good && s) CHECK_OK(ingest_run(s, good, shards, 1, &o, &st2));
        struct ingest_options o2 = o;
        o2.reembed = 1;
        if (s) {
            CHECK_INT(ingest_run(s, e, shards, 1, &o2, &st3), ERR_FORMAT);
            CHECK_TRUE(strstr(err_msg(), "non-finite vector") != NULL);
        }
        store_close(s);
        enc_free(good);
        enc_free(e);
    }
    TEST("embed: null, not nan, and exit 3") {
        const char *bin = getenv("SEMINDEX_BIN");
        if (!fx || !bin || access(mdir, F_OK) != 0) { SKIP("needs fixtures and SEMINDEX_BIN"); break; }
        char cmd[4096], out[1200];
        snprintf(out, sizeof out, "%s/emb.jsonl", test_tmpdir());
        snprintf(cmd, sizeof cmd, "printf '하늘\\n" POISON "\\n' | '%s' embed -q --model '%s' --output '%s'", bin, mdir,
                 out);
        int rc = system(cmd);
        CHECK_TRUE(WIFEXITED(rc) && WEXITSTATUS(rc) == 3);
        struct buf b = BUF_INIT;
        CHECK_OK(fs_read_file(out, &b, 1 << 20));
        CHECK_TRUE(b.data && !strstr(b.data, "nan") && strstr(b.data, "{\"embedding\":null"));
        CHECK_TRUE(b.data && !strncmp(b.data, "{\"embedding\":[", 14));
        buf_release(&b);
    }
    return test_summary();
}
