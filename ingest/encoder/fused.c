/*
 * fused.c - the Linear layers of a forward pass with their conversions fused
 * into the neighbouring kernels (forward.h: fwd_in_*, fwd_gemm, fwd_settle).
 *
 * At bf16 and int8 a GEMM needs its input converted (bf16, or s8 with a
 * scale per row) and, at int8, its exact sums dequantized (per-row input
 * scale x per-column weight scale, + bias, + the residual). As separate
 * passes (mm_xwt_packed) that is two more sweeps over [T, N] and two more
 * parallel regions per GEMM: measured 0.30-0.44 of an int8 run. Here the
 * kernel that produces a GEMM's input writes it converted (LayerNorm, GeGLU,
 * attention for its output rows, else a row pass), and the kernel that consumes an int8
 * output dequantizes it while it reads it: attention its head's q, k, v
 * columns, GeGLU its row, the next LayerNorm the residual (h += deferred
 * sums, then normalise). oneDNN 2.6 cannot take the per-row scale itself:
 * a per-row binary post-op sends its int8 matmul to the reference
 * implementation (measured), so the consumers apply it.
 *
 * At f32 the same calls are the plain kernels (layernorm into x, geglu into
 * gate, mm_xwt): the f32 arithmetic is unchanged. An f32 slot inside an
 * int8 model (MM_F32 packing, int8_scheme in pack.c) is the same: its
 * input is the f32 rows (x, ctx, gate) with no conversion, its output is
 * complete (nothing deferred), and it neither writes nor flips the row
 * scales; the kernels still settle the pending residual and dequantize the
 * int8 sums they read.
 *
 * Buffers (reduced precision): ws->in the prepared input (the scratch that
 * mm_xwt_packed uses otherwise), ws->sx[2] the row scales of the input
 * being prepared and of the one the last GEMM read (a consumer reads one
 * while the next input writes the other), ws->acc the residual GEMMs' sums.
 */
#include "ingest/encoder/forward.h"

#include "ingest/encoder/kernels/kernels.h"
#include "ingest/model/model.h"

static const struct mm_packed *packed(const struct fwd_ws *ws, int l, int slot)
{
    return ws->packed[l * FWD_LIN + slot];
}

/* an exact slot: its input stays f32 rows (ws->in_f32) */
static int f32_slot(const struct fwd_ws *ws, int l, int slot)
{
    return mm_packed_prec(packed(ws, l, slot)) == MM_F32;
}

/* the pending residual of row t into hr (h's row t) */
static void settle_row(const struct fwd_ws *ws, int t, float *hr, int H)
{
    if (ws->pend.acc) mm_deferred_row(&ws->pend, t, 0, H, hr, 1);
}

void fwd_settle(struct fwd_ws *ws, int T, int H)
{
    if (!ws->pend.acc) return;
    #pragma omp parallel for schedule(static) num_threads(ws->nt)
    for (int t = 0; t < T; t++) settle_row(ws, t, ws->h + (size_t)t * H, H);
    ws->pend.acc = NULL;
}

void fwd_in_norm(struct fwd_ws *ws, int l, int slot, int T, int H, const float *w, const float *b, float eps)
{
    if (!ws->packed) {
        layernorm(ws->h, ws->x, T, H, w, b, eps, ws->nt);
        ws->in_f32 = ws->x;
        return;
    }
    const struct mm_packed *p = f32_slot(ws, l, slot) ? NULL : packed(ws, l, slot);
    float *sx = ws->sx[ws->cur];
    #pragma omp parallel for schedule(static) num_threads(ws->nt)
    for (int t = 0; t < T; t++) {
        float *hr = ws->h + (size_t)t * H, *xr = ws->x + (size_t)t * H;
        settle_row(ws, t, hr, H);
        layernorm_row(hr, xr, H, w, b, eps);
        if (p) mm_prepare_row(p, xr, ws->in, sx, t);
    }
    ws->pend.acc = NULL;
    ws->in_f32 = ws->x;
}

void fwd_in_rows(struct fwd_ws *ws, int l, int slot, const float *x, int T, int K)
{
    if (!ws->packed) {
        ws->in_f32 = x;
        return;
    }
    ws->in_f32 = x;
    int f = f32_slot(ws, l, slot), h = x == ws->h;
    if (f && !(h && ws->pend.acc)) return;
    const struct mm_packed *p = f ? NULL : packed(ws, l, slot);
    float *sx = ws->sx[ws->cur];
    #pragma omp parallel for schedule(static) num_threads(ws->nt)
    for (int t = 0; t < T; t++) {
        if (h) settle_row(ws, t, ws->h + (size_t)t * K, K);
        if (p) mm_prepare_row(p, x + (size_t)t * K, ws->in, sx, t);
    }
    if (h) ws->pend.acc = NULL;
}

struct attn_out fwd_in_target(struct fwd_ws *ws, int l, int slot)
{
    if (!ws->packed || f32_slot(ws, l, slot)) {
        ws->in_f32 = ws->ctx;
        return (struct attn_out){ 0 };
    }
    return (struct attn_out){ packed(ws, l, slot), ws->in, ws->sx[ws->cur] };
}

void fwd_in_geglu(struct fwd_ws *ws, int l, int slot, const struct mm_deferred *d, int T, int I, enum model_act a)
{
    if (!ws->packed) {
        geglu(ws->mlp, ws->gate, T, I, a, ws->nt);
        ws->in_f32 = ws->gate;
        return;
    }
    const struct mm_packed *p = f32_slot(ws, l, slot) ? NULL : packed(ws, l, slot);
    float *sx = ws->sx[ws->cur];
    #pragma omp parallel for schedule(static) num_threads(ws->nt)
    for (int t = 0; t < T; t++) {
        float *r = ws->mlp + (size_t)t * 2 * I, *o = ws->gate + (size_t)t * I;
        if (d && d->acc) mm_deferred_row(d, t, 0, 2 * I, r, 0);
        geglu_row(r, o, I, a);
        if (p) mm_prepare_row(p, o, ws->in, sx, t);
    }
    ws->in_f32 = ws->gate;
}

void fwd_gemm(struct fwd_ws *ws, int l, int slot, int T, int K, const float *W, int N, const float *b, float *y,
              int ldy, float beta, struct mm_deferred *def)
{
    if (def) def->acc = NULL;
    if (!ws->packed) {
        mm_xwt(ws->in_f32, T, K, W, N, b, y, ldy, beta, ws->nt);
        return;
    }
    const struct mm_packed *p = packed(ws, l, slot);
    if (mm_packed_prec(p) == MM_F32) {
        /* the input is f32 rows (in_f32), the output complete; a pending
         * residual in y (= h) is added later all the same: sums commute */
        int rc = mm_run(p, T, ws->in_f32, NULL, b, y, ldy, beta, NULL, NULL, ws->nt);
        if (rc < 0 && !ws->err) ws->err = rc;
        return;
    }
    struct mm_deferred d;
    const float *sx = ws->sx[ws->cur];
    ws->cur ^= 1;
    int rc = mm_run(p, T, ws->in, sx, b, y, ldy, beta, ws->acc, &d, ws->nt);
    if (rc < 0 && !ws->err) ws->err = rc;
    if (rc < 0 || !d.acc) return;
    if (beta != 0) {
        ws->pend = d; /* y is h: the next fwd_in_norm / fwd_in_rows(h) / fwd_settle adds it */
    } else if (def) {
        *def = d;
    } else {
        #pragma omp parallel for schedule(static) num_threads(ws->nt)
        for (int t = 0; t < T; t++) mm_deferred_row(&d, t, 0, N, y + (size_t)t * ldy, 0);
    }
}
