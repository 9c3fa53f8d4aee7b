/*
 * modernbert.c - ModernBertModel forward (transformers, eager attention),
 * over packed sequences:
 *
 *   h = LN(tok_embeddings[ids])                        no position embeddings
 *   for each layer l:
 *     a    = l == 0 ? h : LN_attn(h)
 *     q,k,v = a @ Wqkv^T                                [T, 3, heads, d]
 *     RoPE(q, k) with global_rope_theta (l % every == 0) or local_rope_theta
 *     h   += softmax(q k^T / sqrt(d) + window) v @ Wo^T  local: |i-j| <= w/2
 *     m    = LN_mlp(h) @ Wi^T                           [T, 2I] = input | gate
 *     h   += (act(input) * gate) @ Wo^T
 *   h = LN_final(h)
 *
 * LayerNorms have no bias unless norm_bias; residual adds are fused into the
 * GEMMs (beta = 1). At bf16 / int8 each GEMM's input conversion is fused into
 * the kernel before it and the int8 dequantization into the kernel after it
 * (fused.c): the residual of Wo / mlp.Wo is added to h by the next LayerNorm.
 */
#include "ingest/encoder/forward.h"
#include "ingest/encoder/kernels/kernels.h"
#include "ingest/model/model.h"

void modernbert_forward(const struct model *m, struct fwd_ws *ws, int n_seq, int T, fwd_hook hook, void *hctx)
{
    const struct model_config *c = &m->cfg;
    int H = c->hidden, I = c->intermediate, nt = ws->nt;
    #pragma omp parallel for schedule(static) num_threads(nt)
    for (int t = 0; t < T; t++) {
        const float *e = m->tok_emb + (size_t)ws->ids[t] * H;
        float *o = ws->h + (size_t)t * H;
        for (int i = 0; i < H; i++) o[i] = e[i];
    }
    layernorm(ws->h, ws->h, T, H, m->emb_ln_w, m->emb_ln_b, c->norm_eps, nt);
    if (hook) hook(hctx, 0, ws->h, T, H);
    for (int l = 0; l < c->layers; l++) {
        const struct model_layer *L = &m->layers[l];
        struct mm_deferred dq, di;
        if (L->ln1_w)
            fwd_in_norm(ws, l, LIN_Q, T, H, L->ln1_w, L->ln1_b, c->norm_eps);
        else
            fwd_in_rows(ws, l, LIN_Q, ws->h, T, H);
        fwd_gemm(ws, l, LIN_Q, T, H, L->wq, 3 * H, L->bq, ws->qkv, 3 * H, 0, &dq);
        int global = l % c->global_every == 0;
        struct attn_out ao = fwd_in_target(ws, l, LIN_O);
        if (!attention(ws->qkv, T, ws->off, n_seq, ws->seq_of, c->heads, c->head_dim, global ? ws->cos_g : ws->cos_l,
                       global ? ws->sin_g : ws->sin_l, global ? -1 : c->local_attention / 2, ws->ctx, ws->scratch,
                       ws->max_len, &dq, &ao, nt))
            fwd_in_rows(ws, l, LIN_O, ws->ctx, T, H);
        fwd_gemm(ws, l, LIN_O, T, H, L->wo, H, L->bo, ws->h, H, 1, NULL);
        fwd_in_norm(ws, l, LIN_I, T, H, L->ln2_w, L->ln2_b, c->norm_eps);
        fwd_gemm(ws, l, LIN_I, T, H, L->wi, 2 * I, L->bi, ws->mlp, 2 * I, 0, &di);
        fwd_in_geglu(ws, l, LIN_O2, &di, T, I, c->act);
        fwd_gemm(ws, l, LIN_O2, T, I, L->wo2, H, L->bo2, ws->h, H, 1, NULL);
        if (hook) {
            fwd_settle(ws, T, H);
            hook(hctx, l + 1, ws->h, T, H);
        }
    }
    fwd_settle(ws, T, H);
    layernorm(ws->h, ws->h, T, H, m->final_norm_w, m->final_norm_b, c->norm_eps, nt);
}
