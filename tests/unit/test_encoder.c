/*
 * test_encoder.c - the encoder against the golden outputs of
 * sentence-transformers in ../shared/fixtures (see its README.md): every
 * fixture model, every text, from token ids and from raw text; pooled
 * vectors, last hidden states and every layer's hidden states; batched runs
 * (mixed lengths, several token budgets) against single runs.
 */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/err.h"
#include "common/fsutil.h"
#include "common/json.h"
#include "common/mem.h"
#include "ingest/encoder/encoder.h"
#include "ingest/encoder/encoder_internal.h"
#include "ingest/model/model.h"
#include "tests/check.h"

static const char *fixtures[] = { "modernbert-tiny", "modernbert-tiny-f16", "modernbert-tiny-bf16",
                                  "modernbert-ko-tiny", "bert-tiny-ko", "xlmr-tiny" };

struct fx {
    json_t *man;
    size_t n;
    int32_t **ids;
    size_t *n_ids;
    char **text;
    size_t *len;
    float *emb, *pooled, *tokens, *layers;
    size_t emb_n, pooled_n, tokens_n, layers_n;
    int dim, hidden;
};

static float *read_f32(const char *dir, const char *name, size_t *n)
{
    char p[1200];
    snprintf(p, sizeof p, "%s/%s", dir, name);
    struct buf b = BUF_INIT;
    if (fs_read_file(p, &b, 0) < 0) return NULL;
    *n = b.len / 4;
    float *f = malloc(b.len ? b.len : 4);
    memcpy(f, b.data, b.len);
    buf_release(&b);
    return f;
}

static int fx_load(const char *dir, struct fx *f)
{
    memset(f, 0, sizeof *f);
    char p[1200];
    snprintf(p, sizeof p, "%s/manifest.json", dir);
    if (json_load_path(p, 0, &f->man) < 0) return -1;
    json_t *texts = json_object_get(f->man, "texts");
    f->n = json_array_size(texts);
    f->ids = calloc(f->n, sizeof *f->ids);
    f->n_ids = calloc(f->n, sizeof *f->n_ids);
    f->text = calloc(f->n, sizeof *f->text);
    f->len = calloc(f->n, sizeof *f->len);
    for (size_t i = 0; i < f->n; i++) {
        json_t *t = json_array_get(texts, i), *ids = json_object_get(t, "ids");
        f->n_ids[i] = json_array_size(ids);
        f->ids[i] = malloc((f->n_ids[i] + 1) * sizeof(int32_t));
        for (size_t k = 0; k < f->n_ids[i]; k++) f->ids[i][k] = (int32_t)json_integer_value(json_array_get(ids, k));
        json_t *s = json_object_get(t, "text");
        f->text[i] = (char *)json_string_value(s);
        f->len[i] = json_string_length(s);
    }
    f->hidden = (int)json_integer_value(json_object_get(f->man, "hidden_size"));
    f->emb = read_f32(dir, "embeddings.f32", &f->emb_n);
    f->pooled = read_f32(dir, "pooled.f32", &f->pooled_n);
    f->tokens = read_f32(dir, "token_embeddings.f32", &f->tokens_n);
    f->layers = read_f32(dir, "layer_states.f32", &f->layers_n);
    f->dim = f->n ? (int)(f->emb_n / f->n) : 0;
    return f->emb && f->pooled && f->tokens && f->layers ? 0 : -1;
}

static void fx_free(struct fx *f)
{
    for (size_t i = 0; i < f->n; i++) free(f->ids[i]);
    free(f->ids);
    free(f->n_ids);
    free(f->text);
    free(f->len);
    free(f->emb);
    free(f->pooled);
    free(f->tokens);
    free(f->layers);
    json_decref(f->man);
}

/* index_entry: entry k of a manifest array index: the text, its first row in
 * the array and its token count */
static void index_entry(json_t *index, size_t k, size_t *text, size_t *off, size_t *n_tokens)
{
    json_t *x = json_array_get(index, k);
    *text = (size_t)json_integer_value(json_object_get(x, "text"));
    *off = (size_t)json_integer_value(json_object_get(x, "row_offset"));
    *n_tokens = (size_t)json_integer_value(json_object_get(x, "n_tokens"));
}

/* max |a - b| over n, and the worst excess over atol + rtol * |b| */
static double maxdiff(const float *a, const float *b, size_t n, double rtol, double atol, int *bad)
{
    double m = 0;
    for (size_t i = 0; i < n; i++) {
        double d = fabs((double)a[i] - b[i]);
        if (!(d <= m)) m = d;
        if (!(d <= atol + rtol * fabs(b[i]))) *bad = 1;
    }
    return m;
}

struct layer_cmp {
    const float *ref;   /* block 0 of this text */
    int n_tokens;
    double max;
    int bad;
};

static void layer_hook(void *ctx, int state, const float *h, int T, int H)
{
    struct layer_cmp *c = ctx;
    const float *r = c->ref + (size_t)state * c->n_tokens * H;
    double m = maxdiff(h, r, (size_t)T * H, 1e-4, 1e-4, &c->bad);
    if (m > c->max) c->max = m;
}

static void test_fixture(const char *root, const char *name)
{
    char dir[1024], mdir[1100];
    snprintf(dir, sizeof dir, "%s/%s", root, name);
    snprintf(mdir, sizeof mdir, "%s/model", dir);
    struct fx f;
    if (fx_load(dir, &f) < 0) {
        T_FAIL("cannot load fixture %s: %s", name, err_msg());
        fx_free(&f);
        return;
    }
    /* single texts on one thread (a thread team costs more than the work of
     * one tiny-model text); the batched runs below use two threads */
    struct enc_options o = ENC_OPTIONS_INIT;
    o.n_threads = 1;
    struct enc *e = NULL;
    int rc = enc_create(mdir, &o, &e);
    if (rc < 0) {
        T_FAIL("enc_create %s: %s", name, err_msg());
        fx_free(&f);
        return;
    }
    int D = enc_dim(e), H = f.hidden;
    CHECK_INT(D, f.dim);
    const struct model *m = enc_model(e);
    int P = m->pool.out_dim;
    size_t n = f.n;
    float *single = calloc(n * D, sizeof *single), *pooled = calloc(n * P, sizeof *pooled);
    /* 1. each text alone, from ids */
    for (size_t i = 0; i < n; i++) {
        struct enc_debug dbg = { 0 };
        dbg.pooled = pooled + i * P;
        const int32_t *ids = f.ids[i];
        CHECK_OK(enc_encode_debug(e, &ids, &f.n_ids[i], 1, single + i * D, &dbg));
    }
    int bad = 0, badp = 0;
    double d_emb = maxdiff(single, f.emb, n * D, 0, 1e-4, &bad);
    double d_pool = maxdiff(pooled, f.pooled, n * P, 1e-4, 1e-4, &badp);
    double cos = check_min_cos(single, f.emb, n, D);
    if (bad) T_FAIL("%s: embeddings differ by %.3g (> 1e-4)", name, d_emb);
    if (badp) T_FAIL("%s: pooled differ by %.3g (> 1e-4 + 1e-4 |ref|)", name, d_pool);
    if (cos < 0.99999) T_FAIL("%s: min cosine %.8f", name, cos);
    /* 2. last hidden states */
    json_t *arrays = json_object_get(f.man, "arrays");
    json_t *ti = json_object_get(json_object_get(arrays, "token_embeddings"), "index");
    double d_tok = 0;
    int badt = 0;
    for (size_t k = 0; k < json_array_size(ti); k++) {
        size_t t, off, nt;
        index_entry(ti, k, &t, &off, &nt);
        CHECK_INT(nt, f.n_ids[t]);
        if (nt != f.n_ids[t] || (off + nt) * H > f.tokens_n) continue;
        float *tok = calloc(nt * H, sizeof *tok), v[4096];
        struct enc_debug dbg = { 0 };
        dbg.tokens = tok;
        const int32_t *ids = f.ids[t];
        CHECK_OK(enc_encode_debug(e, &ids, &nt, 1, v, &dbg));
        double d = maxdiff(tok, f.tokens + off * H, nt * H, 1e-4, 1e-4, &badt);
        if (d > d_tok) d_tok = d;
        free(tok);
    }
    if (badt) T_FAIL("%s: token embeddings differ by %.3g", name, d_tok);
    /* 3. every layer's hidden states */
    json_t *li = json_object_get(json_object_get(arrays, "layer_states"), "index");
    double d_lay = 0;
    for (size_t k = 0; k < json_array_size(li); k++) {
        size_t t, off, nt;
        index_entry(li, k, &t, &off, &nt);
        size_t ns = (size_t)json_integer_value(json_object_get(json_array_get(li, k), "n_states"));
        CHECK_INT(ns, m->cfg.layers + 1);
        if ((off + ns * nt) * H > f.layers_n || nt != f.n_ids[t]) continue;
        struct layer_cmp lc = { f.layers + off * H, (int)nt, 0, 0 };
        struct enc_debug dbg = { 0 };
        dbg.hook = layer_hook;
        dbg.hook_ctx = &lc;
        float v[4096];
        const int32_t *ids = f.ids[t];
        CHECK_OK(enc_encode_debug(e, &ids, &nt, 1, v, &dbg));
        if (lc.bad) T_FAIL("%s: layer states of text %zu differ by %.3g", name, t, lc.max);
        if (lc.max > d_lay) d_lay = lc.max;
    }
    /* 4. all texts in one call (mixed lengths, packed batches, 2 threads) = single runs */
    float *batch = calloc(n * D, sizeof *batch);
    struct enc *e2 = NULL;
    o.n_threads = 2;
    CHECK_OK(enc_create(mdir, &o, &e2));
    double d_batch = -1;
    if (e2) {
        CHECK_OK(enc_encode_ids(e2, (const int32_t *const *)f.ids, f.n_ids, n, batch));
        int badb = 0;
        d_batch = maxdiff(batch, single, n * D, 0, 1e-5, &badb);
        if (badb) T_FAIL("%s: batched run differs from single runs by %.3g", name, d_batch);
        enc_free(e2);
        e2 = NULL;
    }
    /* 5. raw text through the tokenizer, with a small token budget (many batches) */
    o.batch_tokens = 300;
    CHECK_OK(enc_create(mdir, &o, &e2));
    double d_text = -1;
    if (e2) {
        struct enc_item_info *info = calloc(n, sizeof *info);
        CHECK_OK(enc_encode(e2, (const char *const *)f.text, f.len, n, batch, info));
        int badx = 0;
        d_text = maxdiff(batch, f.emb, n * D, 0, 1e-4, &badx);
        if (badx) T_FAIL("%s: text path differs from embeddings.f32 by %.3g", name, d_text);
        json_t *texts = json_object_get(f.man, "texts");
        int badn = 0;
        for (size_t i = 0; i < n; i++) {
            json_t *t = json_array_get(texts, i);
            if (info[i].n_tokens != (int32_t)f.n_ids[i] ||
                info[i].truncated != json_is_true(json_object_get(t, "truncated")))
                badn++;
        }
        if (badn) T_FAIL("%s: %d texts with wrong n_tokens/truncated", name, badn);
        CHECK_STR(enc_fingerprint(e2), enc_fingerprint(e));
        free(info);
        enc_free(e2);
    }
    printf("  %-22s max|diff| embeddings %.2e (min cos %.9f) pooled %.2e tokens %.2e layers %.2e "
           "batched-vs-single %.2e text %.2e\n",
           name, d_emb, cos, d_pool, d_tok, d_lay, d_batch, d_text);
    free(batch);
    free(single);
    free(pooled);
    enc_free(e);
    fx_free(&f);
}

int main(void)
{
    const char *root = fixtures_dir();
    for (size_t i = 0; i < sizeof fixtures / sizeof *fixtures; i++) {
        char name[128];
        snprintf(name, sizeof name, "golden %s", fixtures[i]);
        TEST(name) {
            if (!root) SKIP("fixtures not found");
            else test_fixture(root, fixtures[i]);
        }
    }
    TEST("fingerprint differs between models, builtin still works") {
        if (!root) SKIP("fixtures not found");
        else {
            char a[1024], b[1024];
            snprintf(a, sizeof a, "%s/modernbert-tiny/model", root);
            snprintf(b, sizeof b, "%s/modernbert-tiny-f16/model", root);
            struct enc *x = NULL, *y = NULL, *z = NULL;
            CHECK_OK(enc_create(a, NULL, &x));
            CHECK_OK(enc_create(b, NULL, &y));
            CHECK_OK(enc_create(ENC_BUILTIN_NGRAM, NULL, &z));
            if (x && y) CHECK_TRUE(strcmp(enc_fingerprint(x), enc_fingerprint(y)) != 0);
            if (z) {
                float v[768];
                const char *t = "hello";
                size_t l = 5;
                CHECK_OK(enc_encode(z, &t, &l, 1, v, NULL));
                CHECK_INT(enc_dim(z), 768);
                int32_t id = 1;
                const int32_t *ip = &id;
                size_t ni = 1;
                CHECK_INT(enc_encode_ids(z, &ip, &ni, 1, v), ERR_UNSUPPORTED);
            }
            if (x) {
                int32_t id = 999999;
                const int32_t *ip = &id;
                size_t ni = 1;
                float v[64];
                CHECK_INT(enc_encode_ids(x, &ip, &ni, 1, v), ERR_INVALID);
            }
            enc_free(x);
            enc_free(y);
            enc_free(z);
        }
    }
    return test_summary();
}
