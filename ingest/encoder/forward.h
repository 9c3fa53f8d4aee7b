/*
 * forward.h - forward passes over a batch of packed sequences (internal to
 * ingest/encoder).
 *
 * A batch is n_seq sequences of token ids laid end to end (no padding):
 * sequence s is ids[off[s] .. off[s+1]). The forward pass leaves the last
 * hidden state [T, hidden] in ws->h. All buffers live in the workspace,
 * sized once for the token budget: nothing is allocated per batch or token.
 *
 * The optional hook sees every hidden state: state 0 is the embedding
 * output, state l the input of layer l, state n_layers the output of the
 * last layer (for ModernBERT before final_norm), as transformers'
 * output_hidden_states gives them.
 */
#ifndef SEMINDEX_FORWARD_H
#define SEMINDEX_FORWARD_H

#include <stddef.h>
#include <stdint.h>

#include "ingest/encoder/kernels/kernels.h"

struct model;
struct model_config;

/* at most this many sequences per batch (bounds the head buffers) */
#define FWD_MAX_SEQS 256

struct fwd_ws {
    int cap_tokens, max_len, nt;
    int32_t *ids;       /* [cap_tokens] packed ids */
    int *off;           /* [cap_tokens + 1] sequence offsets */
    int *seq_of;        /* [cap_tokens] sequence of each token */
    int *pos;           /* [cap_tokens] position ids (BERT/RoBERTa) */
    float *h, *x, *qkv, *ctx, *mlp, *gate;
    float *scratch;     /* nt * max_len attention scores */
    float *cos_g, *sin_g, *cos_l, *sin_l; /* RoPE tables [max_len, head_dim/2] */
    float *pooled, *head_a, *head_b;      /* [FWD_MAX_SEQS, width] for pooling and Dense */
    int head_width;
    /* reduced precision (NULL at f32): packed[l * FWD_LIN + slot] for each
     * layer's Linear weights, qbuf the GEMM scratch, err the first failure */
    struct mm_packed **packed;
    int n_packed;
    void *qbuf;
    int err;
    /* fused.c: the prepared GEMM input (in_f32 at f32; in, sx[cur] below),
     * the residual GEMMs' int8 sums (acc) and the residual not yet added to
     * h (pend.acc != NULL) */
    const float *in_f32;
    void *in;
    float *sx[2], *acc;
    int cur;
    struct mm_deferred pend;
};

/* Linear weights of a layer: ModernBERT uses LIN_Q for the fused Wqkv. */
enum { LIN_Q, LIN_K, LIN_V, LIN_O, LIN_I, LIN_O2, FWD_LIN };

/* fwd_linear: y = beta * y + x @ W^T (+ b) for layer l's weight slot, at the
 * workspace's precision (mm_xwt at f32). A failure is kept in ws->err. */
void fwd_linear(struct fwd_ws *ws, int l, int slot, const float *x, int M, int K, const float *W, int N,
                const float *b, float *y, int ldy, float beta);

/* The Linear layers with their conversions fused into the neighbouring
 * kernels (fused.c; ModernBERT). A GEMM's input is prepared by the kernel
 * that produces it (fwd_in_*), then fwd_gemm multiplies:
 *   fwd_in_norm   h += the pending residual; LayerNorm(h) rows (w, b, eps)
 *   fwd_in_rows   rows of x[T, K] (x == ws->h: the pending residual first)
 *   fwd_in_target attention's output rows, written by attention itself
 *   fwd_in_geglu  act(mlp[:, :I]) * mlp[:, I:], mlp dequantized first when
 *                 d says it holds deferred int8 sums
 *   fwd_gemm      y = beta * y + input @ W^T (+ b). At int8 a residual
 *                 (beta 1, y must be ws->h) stays pending until the next
 *                 fwd_in_norm / fwd_in_rows(h) / fwd_settle; at beta 0 with
 *                 def != NULL the sums are left in y for the consumer
 *                 (def->acc == NULL: y is complete).
 *   fwd_settle    h += the pending residual (before h is read otherwise).
 * At f32 these are layernorm, geglu and mm_xwt as they are. */
void fwd_in_norm(struct fwd_ws *ws, int l, int slot, int T, int H, const float *w, const float *b, float eps);
void fwd_in_rows(struct fwd_ws *ws, int l, int slot, const float *x, int T, int K);
/* fwd_in_target: where attention writes its output rows as the input of
 * layer l's slot (p NULL at f32, where ctx itself is the input); when
 * attention returns 0 the caller prepares them with fwd_in_rows */
struct attn_out fwd_in_target(struct fwd_ws *ws, int l, int slot);
void fwd_in_geglu(struct fwd_ws *ws, int l, int slot, const struct mm_deferred *d, int T, int I, enum model_act a);
void fwd_gemm(struct fwd_ws *ws, int l, int slot, int T, int K, const float *W, int N, const float *b, float *y,
              int ldy, float beta, struct mm_deferred *def);
void fwd_settle(struct fwd_ws *ws, int T, int H);

typedef void (*fwd_hook)(void *ctx, int state, const float *h, int T, int H);

int fwd_ws_init(struct fwd_ws *ws, const struct model *m, int cap_tokens, int nt);
/* fwd_ws_packed_init: the reduced-precision buffers (qbuf, in, acc, sx),
 * with room for fwd_run's shards; -1 when out of memory */
int fwd_ws_packed_init(struct fwd_ws *ws, const struct model_config *c);
void fwd_ws_release(struct fwd_ws *ws);

/* forward: run the architecture's encoder on ws->ids/off (n_seq sequences,
 * T tokens); result in ws->h. Every kernel runs on ws->nt threads. */
typedef void (*fwd_body)(const struct model *m, struct fwd_ws *ws, int n_seq, int T, fwd_hook hook, void *hctx);
void modernbert_forward(const struct model *m, struct fwd_ws *ws, int n_seq, int T, fwd_hook hook, void *hctx);
void bert_forward(const struct model *m, struct fwd_ws *ws, int n_seq, int T, fwd_hook hook, void *hctx);
/* fwd_run: the architecture's forward, without a hook as one shard
 * of whole sequences per thread when the batch splits evenly (workspace.c:
 * one parallel region per batch, one-thread kernels inside it), else layer
 * by layer on ws->nt threads. Same result up to the GEMMs' rounding. */
void fwd_run(const struct model *m, struct fwd_ws *ws, int n_seq, int T, fwd_hook hook, void *hctx);

/* pool_seq: the Pooling module on one sequence's hidden states h[L, H]
 * into out[pool.out_dim] (modes concatenated in sentence-transformers'
 * order: cls, max, mean, mean_sqrt_len, weightedmean, lasttoken). */
void pool_seq(const struct model *m, const float *h, int L, float *out);

/* head: Dense modules and Normalize on in[n, pool.out_dim]; the result
 * [n, m->out_dim] is returned (one of the workspace buffers). */
const float *head_forward(const struct model *m, struct fwd_ws *ws, float *in, int n, int normalize);

#endif
