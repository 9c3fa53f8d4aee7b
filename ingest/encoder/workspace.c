/*
 * workspace.c - the forward workspace (forward.h struct fwd_ws): every
 * activation buffer sized once for the largest batch and sequence, so that a
 * forward pass allocates nothing; and fwd_linear, the one linear layer call
 * that picks the f32 or the packed (bf16 / int8) weights.
 */
#include <string.h>

#include "common/err.h"
#include "common/mem.h"
#include "ingest/encoder/forward.h"
#include "ingest/encoder/kernels/kernels.h"
#include "ingest/model/model.h"

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
