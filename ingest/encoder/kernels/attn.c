/*
 * attn.c - multi-head attention over packed (unpadded) sequences, with
 * optional rotary embeddings and a sliding window. Each (sequence, head)
 * pair is one independent work item: per token, scores over the keys in its
 * window only, softmax in float32 (max subtracted; exp vectorised, ops.c),
 * weighted sum of values. RoPE (and at int8 the dequantization of q, k, v)
 * is applied inside the same work item (one parallel region per call). When
 * the next GEMM's input is to be written here (bf16 / int8) and there are
 * enough sequences, a work item is a whole sequence (all its heads), so it
 * owns complete ctx rows and converts them itself. The (sequence, head)
 * item is compiled per instruction set (K_CLONES): its loops have no
 * reductions across lanes, so every clone gives the same bits.
 */
#include <math.h>
#include <string.h>

#include "ingest/encoder/kernels/kernels.h"

#ifdef _OPENMP
#include <omp.h>
#endif

/* inlined into each attn_item clone, so it is vectorised for that ISA */
static inline __attribute__((always_inline)) void rope_apply(float *v, const float *c, const float *s, int d)
{
    int half = d / 2;
    /* iteration j touches v[j] and v[j + half] only: no dependence */
    #pragma omp simd
    for (int j = 0; j < half; j++) {
        float a = v[j], b = v[j + half];
        v[j] = a * c[j] - b * s[j];
        v[j + half] = b * c[j] + a * s[j];
    }
}

_Static_assert(ATTN_QB == 4, "scores4 and weighted4 take four queries");

/* scores4: the scores of queries q[0..3] (rows ldq apart) against keys
 * j0 .. j0+nv of kt[d][Lp] into sc[4][ldsc], 16 keys x 4 queries in
 * registers per block: each K^T load serves four queries. Each score is
 * summed over i in order, as one query's loop would (same bits) */
static inline __attribute__((always_inline)) void scores4(const float *q, size_t ldq, const float *kt, int Lp,
                                                          int j0, int nv, int d, float *sc, int ldsc)
{
    for (int j = 0; j < nv; j += 16) {
        float a0[16], a1[16], a2[16], a3[16];
        for (int u = 0; u < 16; u++) a0[u] = a1[u] = a2[u] = a3[u] = 0;
        for (int i = 0; i < d; i++) {
            float q0 = q[i], q1 = q[ldq + i], q2 = q[2 * ldq + i], q3 = q[3 * ldq + i];
            const float *kr = kt + (size_t)i * Lp + j0 + j;
            #pragma omp simd
            for (int u = 0; u < 16; u++) {
                a0[u] += q0 * kr[u];
                a1[u] += q1 * kr[u];
                a2[u] += q2 * kr[u];
                a3[u] += q3 * kr[u];
            }
        }
        for (int u = 0; u < 16; u++) {
            sc[j + u] = a0[u];
            sc[ldsc + j + u] = a1[u];
            sc[2 * ldsc + j + u] = a2[u];
            sc[3 * ldsc + j + u] = a3[u];
        }
    }
}

/* scores1: one query's scores, as scores4 */
static inline __attribute__((always_inline)) void scores1(const float *q, const float *kt, int Lp, int j0, int nv,
                                                          int d, float *sc)
{
    for (int j = 0; j < nv; j += 16) {
        float acc[16];
        for (int u = 0; u < 16; u++) acc[u] = 0;
        for (int i = 0; i < d; i++) {
            float qi = q[i];
            const float *kr = kt + (size_t)i * Lp + j0 + j;
            #pragma omp simd
            for (int u = 0; u < 16; u++) acc[u] += qi * kr[u];
        }
        for (int u = 0; u < 16; u++) sc[j + u] = acc[u];
    }
}

/* softmax1: scale the n scores, subtract their max, exponentiate; returns
 * 1 / their sum */
static inline __attribute__((always_inline)) float softmax1(float *sc, int n, float scale)
{
    float mx = -INFINITY;
    for (int j = 0; j < n; j++) {
        sc[j] *= scale;
        if (sc[j] > mx) mx = sc[j];
    }
    return 1.0f / exp_sub_row(sc, n, mx);
}

/* weighted4: o_r[0..d) = sum_j sc_r[j] * inv_r * v[j] for the four queries
 * r of scores4 (rows ldo apart), 16 columns x 4 queries in registers; each
 * sum over j in order, as weighted1 */
static inline __attribute__((always_inline)) void weighted4(const float *sc, int ldsc, const float *inv,
                                                            const float *vb, size_t ldv, int n, int d, float *o,
                                                            size_t ldo)
{
    int i0 = 0;
    for (; i0 + 16 <= d; i0 += 16) {
        float a0[16], a1[16], a2[16], a3[16];
        for (int u = 0; u < 16; u++) a0[u] = a1[u] = a2[u] = a3[u] = 0;
        for (int j = 0; j < n; j++) {
            const float *v = vb + (size_t)j * ldv + i0;
            float p0 = sc[j] * inv[0], p1 = sc[ldsc + j] * inv[1], p2 = sc[2 * ldsc + j] * inv[2],
                  p3 = sc[3 * ldsc + j] * inv[3];
            #pragma omp simd
            for (int u = 0; u < 16; u++) {
                a0[u] += p0 * v[u];
                a1[u] += p1 * v[u];
                a2[u] += p2 * v[u];
                a3[u] += p3 * v[u];
            }
        }
        for (int u = 0; u < 16; u++) {
            o[i0 + u] = a0[u];
            o[ldo + i0 + u] = a1[u];
            o[2 * ldo + i0 + u] = a2[u];
            o[3 * ldo + i0 + u] = a3[u];
        }
    }
    for (int r = 0; r < 4; r++)
        for (int i = i0; i < d; i++) {
            float a = 0;
            for (int j = 0; j < n; j++) a += sc[r * ldsc + j] * inv[r] * vb[(size_t)j * ldv + i];
            o[r * ldo + i] = a;
        }
}

/* weighted1: one query's weighted sum of values, 16 columns at a time in
 * registers (each summed over j in order) */
static inline __attribute__((always_inline)) void weighted1(const float *sc, float inv, const float *vb, size_t ldv,
                                                            int n, int d, float *o)
{
    int i0 = 0;
    for (; i0 + 16 <= d; i0 += 16) {
        float acc[16];
        for (int u = 0; u < 16; u++) acc[u] = 0;
        for (int j = 0; j < n; j++) {
            const float *v = vb + (size_t)j * ldv + i0;
            float p = sc[j] * inv;
            #pragma omp simd
            for (int u = 0; u < 16; u++) acc[u] += p * v[u];
        }
        for (int u = 0; u < 16; u++) o[i0 + u] = acc[u];
    }
    for (int i = i0; i < d; i++) {
        float a = 0;
        for (int j = 0; j < n; j++) a += sc[j] * inv * vb[(size_t)j * ldv + i];
        o[i] = a;
    }
}

/* attn_item: one (sequence, head) work item: tokens s0 .. s0+L of qkv,
 * head h's columns; scratch sc[ATTN_QB][ldsc] scores, kt[d][Lp] K^T
 * with Lp = ATTN_PAD(L) and the padding keys zero, so that a query that
 * sees the whole sequence scores Lp keys in full vectors (short texts:
 * no scalar remainder) and ignores the padding ones. Queries that see the
 * whole sequence go four at a time (scores4, weighted4), the rest one by
 * one: the same sums in the same order either way */
K_CLONES
static void attn_item(float *qkv, int s0, int L, int h, int heads, int d, const float *cosv, const float *sinv,
                      int window, float *ctx, float *sc, int ldsc, float *kt, const struct mm_deferred *dq)
{
    int H = heads * d, H3 = 3 * H, half = d / 2;
    float scale = 1.0f / sqrtf((float)d);
    if (dq && dq->acc)
        for (int t = 0; t < L; t++) {
            float *row = qkv + (size_t)(s0 + t) * H3;
            for (int part = 0; part < 3; part++)
                mm_deferred_row(dq, s0 + t, part * H + h * d, part * H + (h + 1) * d, row, 0);
        }
    /* RoPE on this item's own columns (head h of q and k, tokens of
     * sequence s): no separate parallel region, no barrier */
    if (cosv)
        for (int t = 0; t < L; t++) {
            float *row = qkv + (size_t)(s0 + t) * H3;
            rope_apply(row + h * d, cosv + (size_t)t * half, sinv + (size_t)t * half, d);
            rope_apply(row + H + h * d, cosv + (size_t)t * half, sinv + (size_t)t * half, d);
        }
    int Lp = (int)ATTN_PAD(L);
    for (int j = 0; j < L; j++) {
        const float *k = qkv + (size_t)(s0 + j) * H3 + H + h * d;
        for (int i = 0; i < d; i++) kt[(size_t)i * Lp + j] = k[i];
    }
    for (int i = 0; i < d; i++)
        for (int j = L; j < Lp; j++) kt[(size_t)i * Lp + j] = 0;
    /* scores in blocks of 16 keys held in registers over the d products;
     * the keys past n (the zero padding, or the next keys or row when the
     * window cuts the sequence) are scored and ignored */
    int whole = window < 0 || L - 1 <= window; /* every query sees keys 0 .. L */
    int t = 0;
    if (whole)
        for (; t + 4 <= L; t += 4) {
            const float *q = qkv + (size_t)(s0 + t) * H3 + h * d;
            scores4(q, (size_t)H3, kt, Lp, 0, Lp, d, sc, ldsc);
            float inv[4];
            for (int r = 0; r < 4; r++) inv[r] = softmax1(sc + (size_t)r * ldsc, L, scale);
            weighted4(sc, ldsc, inv, qkv + (size_t)s0 * H3 + 2 * H + h * d, (size_t)H3, L, d,
                      ctx + (size_t)(s0 + t) * H + h * d, (size_t)H);
        }
    for (; t < L; t++) {
        int j0 = 0, j1 = L;
        if (window >= 0) {
            if (t - window > j0) j0 = t - window;
            if (t + window + 1 < j1) j1 = t + window + 1;
        }
        int n = j1 - j0;
        scores1(qkv + (size_t)(s0 + t) * H3 + h * d, kt, Lp, j0, (int)ATTN_PAD(n), d, sc);
        float inv = softmax1(sc, n, scale);
        weighted1(sc, inv, qkv + (size_t)(s0 + j0) * H3 + 2 * H + h * d, (size_t)H3, n, d,
                  ctx + (size_t)(s0 + t) * H + h * d);
    }
}

int attention(float *qkv, int T, const int *seq_off, int n_seq, const int *seq_of, int heads, int d,
              const float *cosv, const float *sinv, int window, float *ctx, float *scratch, int max_len,
              const struct mm_deferred *dq, const struct attn_out *out, int nt)
{
    (void)seq_of;
    (void)T;
    int H = heads * d;
    /* per-sequence items (all heads, then the finished rows prepared for
     * the next GEMM) when there are enough sequences to share out */
    int whole = out && out->p && n_seq >= 4 * nt;
    #pragma omp parallel num_threads(nt)
    {
#ifdef _OPENMP
        float *sc = scratch + (size_t)omp_get_thread_num() * ATTN_SCRATCH(max_len, d);
#else
        float *sc = scratch;
#endif
        int ldsc = (int)ATTN_PAD(max_len);
        float *kt = sc + (size_t)ATTN_QB * ldsc;
        if (whole) {
            #pragma omp for schedule(dynamic, 1)
            for (int s = 0; s < n_seq; s++) {
                int s0 = seq_off[s], L = seq_off[s + 1] - s0;
                for (int h = 0; h < heads; h++)
                    attn_item(qkv, s0, L, h, heads, d, cosv, sinv, window, ctx, sc, ldsc, kt, dq);
                for (int t = s0; t < s0 + L; t++) mm_prepare_row(out->p, ctx + (size_t)t * H, out->in, out->sx, t);
            }
        } else {
            /* one work item per (sequence, head) */
            #pragma omp for schedule(dynamic, 1)
            for (long it = 0; it < (long)n_seq * heads; it++) {
                int s = (int)(it / heads), h = (int)(it % heads);
                attn_item(qkv, seq_off[s], seq_off[s + 1] - seq_off[s], h, heads, d, cosv, sinv, window, ctx, sc,
                          ldsc, kt, dq);
            }
        }
    }
    return whole;
}
