/*
 * encoder.c - enc_create dispatch and the public encode entry (encoder.h).
 *
 * "builtin:ngram" is served by ngram.c. Transformer model directories are
 * served by the sentence-transformers pipeline: model/model.c loads the
 * directory, the tokenizer gives ids, and encode_ids() runs the batches:
 *
 *   1. order the inputs by token count (longest first);
 *   2. cut that order into batches of at most batch_tokens tokens and
 *      FWD_MAX_SEQS sequences, packed end to end (no padding);
 *   3. forward pass (modernbert.c / bert.c) -> pooling -> Dense/Normalize;
 *   4. scatter each row back to its input position.
 *
 * At bf16 / int8 the Linear weights are packed once, in enc_create, by
 * pack.c (which at int8 embeds its check sentences through enc_encode to
 * choose the scheme).
 */
#include "ingest/encoder/encoder.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#ifdef _OPENMP
#include <omp.h>
#endif

#include "common/err.h"
#include "common/hash.h"
#include "common/mem.h"
#include "common/utf8.h"
#include "ingest/encoder/encoder_internal.h"
#include "ingest/encoder/forward.h"
#include "ingest/encoder/kernels/kernels.h"
#include "ingest/encoder/ngram.h"
#include "ingest/encoder/pack.h"
#include "ingest/model/model.h"
#include "ingest/tokenizer/tokenizer.h"

#define DEFAULT_BATCH_TOKENS 8192
#define PAR_MIN_FLOPS 2e7

enum enc_kind { ENC_KIND_NGRAM, ENC_KIND_MODEL };

struct enc {
    enum enc_kind kind;
    char *name;
    char fingerprint[33];
    int dim;
    struct enc_options opt;
    struct model *m;
    struct tok *tok;
    struct fwd_ws ws;
    int nt;
    struct pack_result packing; /* bf16 / int8: how the weights were packed (pack.h) */
};

static int enc_threads(const struct enc_options *o)
{
#ifdef _OPENMP
    return o->n_threads > 0 ? o->n_threads : omp_get_num_procs();
#else
    (void)o;
    return 1;
#endif
}

/* the packer's way to embed its check sentences (pack.h) */
static int embed_texts(void *ctx, const char *const *texts, const size_t *lens, size_t n, float *out)
{
    return enc_encode(ctx, texts, lens, n, out, NULL);
}

static int create_model(const char *dir, struct enc *e)
{
    FORWARD_ERR(mdl_load(dir, &e->m));
    const struct model *m = e->m;
    int rc = tok_load(dir, &e->tok);
    if (rc < 0) return err_prefix(rc, "'%s': tokenizer", dir);
    tok_set_max_length(e->tok, m->max_seq_length);
    size_t bt = e->opt.batch_tokens ? e->opt.batch_tokens : DEFAULT_BATCH_TOKENS;
    if (bt > (1u << 24)) bt = 1u << 24;
    if (bt < (size_t)m->max_seq_length) bt = (size_t)m->max_seq_length;
    FORWARD_ERR(fwd_ws_init(&e->ws, m, (int)bt, e->nt));
    e->kind = ENC_KIND_MODEL;
    e->dim = m->out_dim;
    memcpy(e->fingerprint, m->fingerprint, sizeof e->fingerprint);
    if (e->opt.precision != ENC_F32) {
        struct packer p = { e->m, &e->ws, e->opt.precision, e->name, e->dim, embed_texts, e, &e->packing };
        FORWARD_ERR(pack_weights(&p));
    }
    return 0;
}

int enc_create(const char *model, const struct enc_options *opt, struct enc **out)
{
    *out = NULL;
    struct enc_options defaults = ENC_OPTIONS_INIT;
    if (!opt) opt = &defaults;
    int builtin = strncmp(model, "builtin:", 8) == 0;
    if (builtin && strcmp(model, ENC_BUILTIN_NGRAM) != 0)
        return err_set(ERR_UNSUPPORTED, "unknown builtin encoder '%s' (known: %s)", model, ENC_BUILTIN_NGRAM);
    struct enc *e = mem_calloc(1, sizeof *e);
    if (!e || !(e->name = mem_strdup(model))) {
        mem_free(e);
        return err_nomem();
    }
    e->opt = *opt;
    if (opt->precision < ENC_F32 || opt->precision > ENC_INT8) {
        mem_free(e->name);
        mem_free(e);
        return err_set(ERR_INVALID, "precision %d (known: f32, bf16, int8)", opt->precision);
    }
    if (builtin) e->opt.precision = ENC_F32;
    e->nt = enc_threads(opt);
    if (builtin) {
        e->kind = ENC_KIND_NGRAM;
        e->dim = NGRAM_DIM;
        /* the builtin's "weights" are its definition: version it in the name */
        hash_hex128(hash128("builtin:ngram v1 n=1..3 dim=768 xxh3 sublinear-tf l2", 52), e->fingerprint);
    } else {
        int rc = create_model(model, e);
        if (rc < 0) {
            enc_free(e);
            return rc;
        }
    }
    *out = e;
    return 0;
}

void enc_free(struct enc *e)
{
    if (!e) return;
    fwd_ws_release(&e->ws);
    if (e->tok) tok_free(e->tok);
    mdl_free(e->m);
    mem_free(e->name);
    mem_free(e);
}

int enc_dim(const struct enc *e) { return e->dim; }
int enc_precision(const struct enc *e) { return e->opt.precision; }

int enc_precision_parse(const char *s, int *out)
{
    for (int i = ENC_F32; i <= ENC_INT8; i++)
        if (!strcmp(s, enc_precision_name(i))) {
            *out = i;
            return 0;
        }
    return err_set(ERR_INVALID, "unknown precision '%s' (known: f32, bf16, int8)", s);
}

const char *enc_precision_name(int precision) { return mm_precision_name(precision); }
int enc_precision_native(int precision)
{
    /* int8 keeps the attention GEMMs in bf16 only where bf16 is fast,
     * (int8_scheme), else in f32 */
    return mm_precision_native(precision);
}
int enc_bf16_faster(void) { return mm_bf16_fast(); }
const char *enc_int8_scheme(const struct enc *e, int *hp_wi)
{
    if (hp_wi) *hp_wi = e->packing.hp_wi;
    return e->opt.precision == ENC_INT8 ? e->packing.scheme : NULL;
}
const struct enc_int8_check *enc_int8_check(const struct enc *e)
{
    return e->opt.precision == ENC_INT8 && e->packing.check.tries ? &e->packing.check : NULL;
}
void enc_cosine_stats(const float *a, const float *b, size_t n, int dim, double *mean, double *min)
{
    double sum = 0, lo = 1;
    for (size_t i = 0; i < n; i++) {
        const float *x = a + i * (size_t)dim, *y = b + i * (size_t)dim;
        double xy = 0, xx = 0, yy = 0;
        for (int k = 0; k < dim; k++) {
            xy += (double)x[k] * y[k];
            xx += (double)x[k] * x[k];
            yy += (double)y[k] * y[k];
        }
        double c = xx > 0 && yy > 0 ? xy / sqrt(xx * yy) : (xx == yy ? 1 : 0);
        sum += c;
        if (c < lo) lo = c;
    }
    *mean = n ? sum / (double)n : 1;
    *min = lo;
}
const char *enc_isa(void) { return mm_isa_name(); }
const char *enc_name(const struct enc *e) { return e->name; }
const char *enc_fingerprint(const struct enc *e) { return e->fingerprint; }
const struct tok *enc_tokenizer(const struct enc *e) { return e->tok; }
int enc_max_seq_length(const struct enc *e) { return e->m ? e->m->max_seq_length : 0; }

/* ---- batches ---- */

static int cmp_len_desc(const void *a, const void *b, void *ctx)
{
    const size_t *n = ctx;
    size_t x = *(const size_t *)a, y = *(const size_t *)b;
    if (n[x] != n[y]) return n[x] > n[y] ? -1 : 1;
    return x < y ? -1 : x > y;
}

/* run_batch: forward + pooling + head for sequences order[0..k). */
static int run_batch(struct enc *e, const int32_t *const *ids, const size_t *n_ids, const size_t *order, int k,
                      float *out, const struct enc_debug *dbg)
{
    struct fwd_ws *ws = &e->ws;
    const struct model *m = e->m;
    int T = 0;
    for (int s = 0; s < k; s++) {
        size_t i = order[s];
        ws->off[s] = T;
        memcpy(ws->ids + T, ids[i], n_ids[i] * sizeof *ws->ids);
        for (size_t t = 0; t < n_ids[i]; t++) ws->seq_of[T + (int)t] = s;
        T += (int)n_ids[i];
    }
    ws->off[k] = T;
    /* one team size per batch: a batch whose layer GEMMs are under
     * PAR_MIN_FLOPS (one short text of a small model) runs on one thread,
     * since a team barrier would cost more than the work; switching team
     * sizes inside a batch would leave idle threads spinning */
    const struct model_config *c = &m->cfg;
    double layer_flops = 2.0 * T * c->hidden * (4.0 * c->hidden + 3.0 * c->intermediate);
    ws->nt = layer_flops < PAR_MIN_FLOPS ? 1 : e->nt;
    fwd_hook hook = dbg ? dbg->hook : NULL;
    void *hctx = dbg ? dbg->hook_ctx : NULL;
    fwd_run(m, ws, k, T, hook, hctx);
    if (ws->err) {
        int rc = ws->err;
        ws->err = 0;
        return err_prefix(rc, "'%s': %s forward pass", e->name, enc_precision_name(e->opt.precision));
    }
    if (dbg && dbg->tokens) memcpy(dbg->tokens, ws->h, (size_t)T * m->cfg.hidden * sizeof(float));
    int P = m->pool.out_dim;
    #pragma omp parallel for schedule(dynamic, 4) num_threads(ws->nt)
    for (int s = 0; s < k; s++)
        pool_seq(m, ws->h + (size_t)ws->off[s] * m->cfg.hidden, ws->off[s + 1] - ws->off[s], ws->pooled + (size_t)s * P);
    if (dbg && dbg->pooled)
        for (int s = 0; s < k; s++) memcpy(dbg->pooled + order[s] * (size_t)P, ws->pooled + (size_t)s * P, P * sizeof(float));
    const float *res = head_forward(m, ws, ws->pooled, k, e->opt.normalize);
    for (int s = 0; s < k; s++) memcpy(out + order[s] * (size_t)e->dim, res + (size_t)s * e->dim, e->dim * sizeof(float));
    return 0;
}

int enc_encode_debug(struct enc *e, const int32_t *const *ids, const size_t *n_ids, size_t n, float *out,
                     const struct enc_debug *dbg)
{
    if (e->kind != ENC_KIND_MODEL)
        return err_set(ERR_UNSUPPORTED, "'%s': encoding token ids needs a transformer model", e->name);
    const struct model *m = e->m;
    for (size_t i = 0; i < n; i++) {
        if (n_ids[i] == 0) return err_set(ERR_INVALID, "input %zu: no tokens", i);
        if (n_ids[i] > (size_t)m->max_seq_length)
            return err_set(ERR_INVALID, "input %zu: %zu tokens exceed max_seq_length %d", i, n_ids[i],
                           m->max_seq_length);
        for (size_t t = 0; t < n_ids[i]; t++)
            if (ids[i][t] < 0 || ids[i][t] >= m->cfg.vocab)
                return err_set(ERR_INVALID, "input %zu: token id %d at %zu outside the vocabulary (%d)", i,
                               (int)ids[i][t], t, m->cfg.vocab);
    }
    if (dbg && n != 1 && (dbg->tokens || dbg->hook))
        return err_set(ERR_INVALID, "per-token debug output needs exactly one input");
    size_t *order = mem_alloc_array(n ? n : 1, sizeof *order);
    if (!order) return err_nomem();
    for (size_t i = 0; i < n; i++) order[i] = i;
    qsort_r(order, n, sizeof *order, cmp_len_desc, (void *)n_ids);
    size_t i = 0;
    while (i < n) {
        size_t tokens = 0, k = 0;
        while (i + k < n && k < FWD_MAX_SEQS && tokens + n_ids[order[i + k]] <= (size_t)e->ws.cap_tokens)
            tokens += n_ids[order[i + k++]];
        int rc = run_batch(e, ids, n_ids, order + i, (int)k, out, dbg);
        if (rc < 0) {
            mem_free(order);
            return rc;
        }
        i += k;
    }
    mem_free(order);
    return 0;
}

int enc_encode_ids(struct enc *e, const int32_t *const *ids, const size_t *n_ids, size_t n, float *out)
{
    return enc_encode_debug(e, ids, n_ids, n, out, NULL);
}

int enc_encode(struct enc *e, const char *const *texts, const size_t *lens, size_t n, float *out,
               struct enc_item_info *info)
{
    if (e->kind == ENC_KIND_NGRAM) {
        int rc = 0;
        #pragma omp parallel for schedule(dynamic, 16) num_threads(e->nt)
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
    if (n == 0) return 0;
    struct tok_encoding *te = mem_calloc(n, sizeof *te);
    const int32_t **ids = mem_alloc_array(n, sizeof *ids);
    size_t *n_ids = mem_alloc_array(n, sizeof *n_ids);
    int rc = te && ids && n_ids ? 0 : err_nomem();
    if (rc == 0) rc = tok_encode_batch(e->tok, texts, lens, n, 0, te, e->nt);
    for (size_t i = 0; rc == 0 && i < n; i++) {
        ids[i] = te[i].ids;
        n_ids[i] = te[i].n;
        if (info) {
            info[i].n_tokens = (int32_t)te[i].n;
            info[i].truncated = (uint8_t)(te[i].truncated != 0);
        }
    }
    if (rc == 0) rc = enc_encode_ids(e, ids, n_ids, n, out);
    if (te)
        for (size_t i = 0; i < n; i++) tok_encoding_release(&te[i]);
    mem_free(te);
    mem_free(ids);
    mem_free(n_ids);
    return rc;
}

const struct model *enc_model(const struct enc *e) { return e->m; }
