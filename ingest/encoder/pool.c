/*
 * pool.c - the sentence-transformers head: Pooling, Dense*, Normalize, and
 * the forward workspace.
 *
 * Pooling follows sentence_transformers.models.Pooling on an unpadded
 * sequence (every position has attention mask 1; include_prompt only
 * matters with prompts, which semindex does not add): modes are
 * concatenated in the order cls, max, mean, mean_sqrt_len, weightedmean
 * (weights 1..L), lasttoken.
 */
#include <math.h>
#include <string.h>

#include "err.h"
#include "forward.h"
#include "ingest/encoder/kernels/kernels.h"
#include "mem.h"
#include "ingest/model/model.h"

void pool_seq(const struct model *m, const float *h, int L, float *out)
{
    const struct model_pooling *p = &m->pool;
    int H = p->dim;
    float *o = out;
    if (p->cls) {
        memcpy(o, h, (size_t)H * sizeof *o);
        o += H;
    }
    if (p->max) {
        for (int i = 0; i < H; i++) {
            float mx = -1e9f;
            for (int t = 0; t < L; t++)
                if (h[(size_t)t * H + i] > mx) mx = h[(size_t)t * H + i];
            o[i] = mx;
        }
        o += H;
    }
    if (p->mean || p->mean_sqrt_len) {
        for (int i = 0; i < H; i++) {
            double s = 0;
            for (int t = 0; t < L; t++) s += h[(size_t)t * H + i];
            if (p->mean) o[i] = (float)(s / (L > 0 ? (double)L : 1e-9));
            if (p->mean_sqrt_len) o[i + (p->mean ? H : 0)] = (float)(s / sqrt((double)L));
        }
        o += H * (p->mean + p->mean_sqrt_len);
    }
    if (p->weighted_mean) {
        float wsum = 0;
        for (int t = 0; t < L; t++) wsum += (float)(t + 1);
        for (int i = 0; i < H; i++) {
            float s = 0;
            for (int t = 0; t < L; t++) s += h[(size_t)t * H + i] * (float)(t + 1);
            o[i] = s / (wsum > 1e-9f ? wsum : 1e-9f);
        }
        o += H;
    }
    if (p->last_token) {
        memcpy(o, h + (size_t)(L - 1) * H, (size_t)H * sizeof *o);
        o += H;
    }
}

const float *head_forward(const struct model *m, struct fwd_ws *ws, float *in, int n, int normalize)
{
    float *cur = in;
    for (int i = 0; i < m->n_dense; i++) {
        const struct model_dense *d = &m->dense[i];
        float *nxt = cur == ws->head_a ? ws->head_b : ws->head_a;
        mm_xwt(cur, n, d->in, d->w, d->out, d->b, nxt, d->out, 0, ws->nt);
        act_inplace(nxt, (size_t)n * d->out, d->act, ws->nt);
        cur = nxt;
    }
    if (m->normalize || normalize) {
        int D = m->out_dim;
        for (int r = 0; r < n; r++) {
            float *v = cur + (size_t)r * D;
            double ss = 0;
            for (int i = 0; i < D; i++) ss += (double)v[i] * v[i];
            float nrm = (float)sqrt(ss);
            if (nrm < 1e-12f) nrm = 1e-12f;
            for (int i = 0; i < D; i++) v[i] /= nrm;
        }
    }
    return cur;
}

static void *alloc_f(size_t n) { return mem_aligned(64, (n ? n : 1) * sizeof(float)); }

int fwd_ws_init(struct fwd_ws *ws, const struct model *m, int cap_tokens, int nt)
{
    memset(ws, 0, sizeof *ws);
    const struct model_config *c = &m->cfg;
    size_t T = (size_t)cap_tokens, H = (size_t)c->hidden, I = (size_t)c->intermediate;
    ws->cap_tokens = cap_tokens;
    ws->max_len = m->max_seq_length;
    ws->nt = nt;
    int width = m->pool.out_dim;
    for (int i = 0; i < m->n_dense; i++)
        if (m->dense[i].out > width) width = m->dense[i].out;
    ws->head_width = width;
    size_t half = (size_t)c->head_dim / 2, L = (size_t)ws->max_len;
    ws->ids = mem_alloc_array(T, sizeof *ws->ids);
    ws->off = mem_alloc_array(T + 1, sizeof *ws->off);
    ws->seq_of = mem_alloc_array(T, sizeof *ws->seq_of);
    ws->pos = mem_alloc_array(T, sizeof *ws->pos);
    ws->h = alloc_f(T * H);
    ws->x = alloc_f(T * H);
    ws->qkv = alloc_f(T * 3 * H);
    ws->ctx = ws->x; /* free once the QKV GEMM has read x */
    ws->mlp = alloc_f(T * (c->arch == MODEL_MODERNBERT ? 2 * I : I));
    ws->gate = I <= 3 * H ? ws->qkv : alloc_f(T * I); /* qkv is free after attention */
    ws->scratch = alloc_f((size_t)nt * ATTN_SCRATCH(L, c->head_dim));
    size_t S = (size_t)FWD_MAX_SEQS;
    ws->pooled = alloc_f(S * (size_t)m->pool.out_dim);
    ws->head_a = alloc_f(S * (size_t)width);
    ws->head_b = alloc_f(S * (size_t)width);
    int ok = ws->ids && ws->off && ws->seq_of && ws->pos && ws->h && ws->x && ws->qkv && ws->ctx && ws->mlp &&
             ws->gate && ws->scratch && ws->pooled && ws->head_a && ws->head_b;
    if (ok && c->arch == MODEL_MODERNBERT) {
        ws->cos_g = alloc_f(L * half);
        ws->sin_g = alloc_f(L * half);
        ws->cos_l = alloc_f(L * half);
        ws->sin_l = alloc_f(L * half);
        ok = ws->cos_g && ws->sin_g && ws->cos_l && ws->sin_l;
        if (ok) {
            rope_table(ws->cos_g, ws->sin_g, (int)L, c->head_dim, c->global_theta);
            rope_table(ws->cos_l, ws->sin_l, (int)L, c->head_dim, c->local_theta);
        }
    }
    if (!ok) {
        fwd_ws_release(ws);
        return err_set(ERR_NOMEM, "out of memory for a %d-token encoder workspace", cap_tokens);
    }
    return 0;
}

void fwd_linear(struct fwd_ws *ws, int l, int slot, const float *x, int M, int K, const float *W, int N,
                const float *b, float *y, int ldy, float beta)
{
    if (!ws->packed) {
        mm_xwt(x, M, K, W, N, b, y, ldy, beta, ws->nt);
        return;
    }
    int rc = mm_xwt_packed(x, M, ws->packed[l * FWD_LIN + slot], b, y, ldy, beta, ws->qbuf, ws->nt);
    if (rc < 0 && !ws->err) ws->err = rc;
}

void fwd_ws_release(struct fwd_ws *ws)
{
    if (ws->packed)
        for (int i = 0; i < ws->n_packed; i++) mm_packed_free(ws->packed[i]);
    mem_free(ws->packed);
    mem_free(ws->qbuf);
    mem_free(ws->sx[0]);
    mem_free(ws->sx[1]);
    if (ws->gate == ws->qkv) ws->gate = NULL;
    void *p[] = { ws->ids, ws->off, ws->seq_of, ws->pos, ws->h, ws->x, ws->qkv, ws->mlp, ws->gate,
                  ws->scratch, ws->pooled, ws->head_a, ws->head_b, ws->cos_g, ws->sin_g, ws->cos_l, ws->sin_l };
    for (size_t i = 0; i < sizeof p / sizeof *p; i++) mem_free(p[i]);
    memset(ws, 0, sizeof *ws);
}
