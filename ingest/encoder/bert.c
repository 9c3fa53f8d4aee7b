/*
 * bert.c - BertModel / RobertaModel / XLMRobertaModel forward (post-LN),
 * over packed sequences:
 *
 *   h = LN(word[ids] + position[pos] + token_type[0])
 *   for each layer:
 *     q, k, v = h @ W^T + b                        three GEMMs into qkv[T, 3H]
 *     h = LN(softmax(q k^T / sqrt(d)) v @ Wo^T + bo + h)
 *     h = LN(act(h @ Wi^T + bi) @ Wo2^T + bo2 + h)
 *
 * Positions: BERT counts 0, 1, ...; RoBERTa numbers the non-padding tokens
 * padding_idx + 1, padding_idx + 2, ... and gives padding tokens
 * padding_idx (transformers' create_position_ids_from_input_ids).
 */
#include "ingest/encoder/forward.h"
#include "ingest/encoder/kernels/kernels.h"
#include "ingest/model/model.h"

void bert_forward(const struct model *m, struct fwd_ws *ws, int n_seq, int T, fwd_hook hook, void *hctx)
{
    const struct model_config *c = &m->cfg;
    int H = c->hidden, I = c->intermediate, nt = ws->nt;
    for (int s = 0; s < n_seq; s++) {
        int k = 0;
        for (int t = ws->off[s]; t < ws->off[s + 1]; t++) {
            if (c->arch == MODEL_ROBERTA)
                ws->pos[t] = ws->ids[t] == c->pad_id ? c->pad_id : c->pad_id + 1 + k++;
            else
                ws->pos[t] = t - ws->off[s];
        }
    }
    #pragma omp parallel for schedule(static) num_threads(nt)
    for (int t = 0; t < T; t++) {
        const float *e = m->tok_emb + (size_t)ws->ids[t] * H, *p = m->pos_emb + (size_t)ws->pos[t] * H,
                    *ty = m->type_emb;
        float *o = ws->h + (size_t)t * H;
        for (int i = 0; i < H; i++) o[i] = e[i] + ty[i] + p[i];
    }
    layernorm(ws->h, ws->h, T, H, m->emb_ln_w, m->emb_ln_b, c->norm_eps, nt);
    if (hook) hook(hctx, 0, ws->h, T, H);
    for (int l = 0; l < c->layers; l++) {
        const struct model_layer *L = &m->layers[l];
        fwd_linear(ws, l, LIN_Q, ws->h, T, H, L->wq, H, L->bq, ws->qkv, 3 * H, 0);
        fwd_linear(ws, l, LIN_K, ws->h, T, H, L->wk, H, L->bk, ws->qkv + H, 3 * H, 0);
        fwd_linear(ws, l, LIN_V, ws->h, T, H, L->wv, H, L->bv, ws->qkv + 2 * H, 3 * H, 0);
        attention(ws->qkv, T, ws->off, n_seq, ws->seq_of, c->heads, c->head_dim, NULL, NULL, -1, ws->ctx,
                  ws->scratch, ws->max_len, NULL, NULL, nt);
        fwd_linear(ws, l, LIN_O, ws->ctx, T, H, L->wo, H, L->bo, ws->h, H, 1);
        layernorm(ws->h, ws->h, T, H, L->ln1_w, L->ln1_b, c->norm_eps, nt);
        fwd_linear(ws, l, LIN_I, ws->h, T, H, L->wi, I, L->bi, ws->mlp, I, 0);
        act_inplace(ws->mlp, (size_t)T * I, c->act, nt);
        fwd_linear(ws, l, LIN_O2, ws->mlp, T, I, L->wo2, H, L->bo2, ws->h, H, 1);
        layernorm(ws->h, ws->h, T, H, L->ln2_w, L->ln2_b, c->norm_eps, nt);
        if (hook) hook(hctx, l + 1, ws->h, T, H);
    }
}
