/*
 * qmatmul.c - y = x @ W^T (+ b) at reduced precision (bf16, int8) through
 * oneDNN's matmul primitive, with the weights prepared once at load.
 *
 * bf16: W is reordered once into bf16 in the layout oneDNN's matmul prefers
 *   (format_tag any -> reorder); at each call x is rounded to bf16
 *   (round to nearest even) into a scratch buffer; the primitive accumulates
 *   in f32, adds the f32 bias and (beta = 1) the residual through a sum
 *   post-op, and writes f32.
 * int8: W is quantized once, symmetric per output channel: sw[n] =
 *   max|W[n,:]| / Q, Wq = round(W / sw) (Q = 127, or 63 when the CPU has no
 *   VNNI, where oneDNN's u8 x s8 pair sums saturate at 16 bits); reordered
 *   into the primitive's layout (with its s8s8 compensation). At each call
 *   x is quantized per row (token): sx[m] = max|x[m,:]| / 127, s8. The
 *   primitive writes the exact s32 sums as f32; oneDNN 2.6 has no per-row
 *   source scale, and its run-time per-column output scales push it off
 *   its brgemm VNNI kernel onto the slower gemm:jit one (measured), so one
 *   elementwise pass does y = beta*y + sx[m] * sw[n] * acc[m,n] + b[n].
 *   Optional smoothing (SmoothQuant-style, for inputs with outlier
 *   channels): W[n,k] * s[k] is quantized and x[m,k] / s[k] at each call,
 *   the same product with the outlier moved from the activations (one
 *   per-row scale for all channels) into the weights (a scale per row n).
 * f32 (a slot of the int8 scheme kept exact, int8_scheme in pack.c): W is
 *   not copied (the caller's [N, K] weights, which must outlive the packing),
 *   the input rows are f32 as they are and mm_xwt multiplies: the plain f32
 *   path, nothing converted or deferred.
 * int8 simulation (mm_pack_sim, error budgets and tests): the same scales
 *   and rounding applied to f32 copies (fake quantization), multiplied by
 *   mm_xwt; it equals the real path up to f32 summation (test_precision).
 *
 * Execution primitives are created with the packed weights' exact memory
 * descriptor (so every M uses the same packed copy) and cached per thread by
 * shape, one JIT'ed kernel per M (never a run-time M: oneDNN 2.6 has only
 * reference kernels for it with packed weights, mm_run).
 *
 * oneDNN 2.6 has no bf16 matmul below AVX-512: there bf16 is emulated with
 * the same rounding (weights and inputs rounded to bf16, f32 products and
 * sums through mm_xwt), so results match the native path's accuracy.
 */
#include <dnnl.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "common/err.h"
#include "common/log.h"
#include "common/mem.h"
#include "ingest/encoder/kernels/kernels.h"

#ifdef _OPENMP
#include <omp.h>
#endif

#define QMM_CACHE 64

struct mm_packed {
    int prec, N, K;
    int emul;               /* bf16 without a oneDNN bf16 matmul (CPUs before
                             * AVX-512): w holds the bf16-rounded weights as
                             * f32 [N, K], x is rounded likewise, mm_xwt
                             * multiplies: the same products, f32 sums */
    dnnl_memory_desc_t wmd; /* packed weights layout */
    void *w;                /* packed weights */
    float *scale;           /* int8: [N] per output channel */
    float *ismooth;         /* int8: [K] 1 / smoothing factor per input channel, or NULL */
    int xsim;               /* emul == 2 (mm_pack_sim): how x is fake-quantized
                             * (MM_SIM_*); w holds the fake-quantized weights */
    const float *wf;        /* MM_F32: the caller's weights [N, K] (not owned) */
};

/* a cached primitive: what it was created for. Not the packed weights
 * themselves (they are an argument of each call), so the 4 weight shapes of a
 * model's layers share entries, and a freed packing's address taken again
 * by another (the next model, on any thread) never finds a stale one */
struct qentry {
    int prec, N, K;
    dnnl_memory_desc_t wmd;
    int M, ldy, bias, beta, nt;
    dnnl_primitive_t prim;
    unsigned long used;
};

struct qctx {
    dnnl_engine_t eng;
    dnnl_stream_t stream;
    struct qentry e[QMM_CACHE];
    unsigned long tick;
    int ok;
};

static _Thread_local struct qctx *qc;
static _Thread_local double st_conv; /* seconds converting/quantizing inputs and dequantizing outputs */

void mm_conv_stats(double *seconds, int reset)
{
    if (seconds) *seconds = st_conv;
    if (reset) st_conv = 0;
}

static struct qctx *qctx_get(void)
{
    if (qc) return qc->ok ? qc : NULL;
    qc = calloc(1, sizeof *qc);
    if (!qc) return NULL;
    if (dnnl_engine_create(&qc->eng, dnnl_cpu, 0) == dnnl_success &&
        dnnl_stream_create(&qc->stream, qc->eng, dnnl_stream_default_flags) == dnnl_success)
        qc->ok = 1;
    return qc->ok ? qc : NULL;
}

const char *mm_precision_name(int prec)
{
    return prec == MM_BF16 ? "bf16" : prec == MM_INT8 ? "int8" : "f32";
}

static int isa_has_vnni(void)
{
    dnnl_cpu_isa_t isa = dnnl_get_effective_cpu_isa();
    return isa == dnnl_cpu_isa_avx2_vnni || (isa & dnnl_cpu_isa_avx512_core_vnni) == dnnl_cpu_isa_avx512_core_vnni;
}

static int isa_has_bf16(void)
{
    dnnl_cpu_isa_t isa = dnnl_get_effective_cpu_isa();
    return (isa & dnnl_cpu_isa_avx512_core_bf16) == dnnl_cpu_isa_avx512_core_bf16;
}

int mm_packed_prec(const struct mm_packed *p) { return p->prec; }

int mm_precision_native(int prec)
{
    if (prec == MM_BF16) return isa_has_bf16();
    if (prec == MM_INT8) return isa_has_vnni();
    return 1;
}

int mm_bf16_fast(void)
{
    dnnl_cpu_isa_t isa = dnnl_get_effective_cpu_isa();
    if ((isa & dnnl_cpu_isa_avx512_core_amx) == dnnl_cpu_isa_avx512_core_amx) return 1;
    __builtin_cpu_init();
    return isa_has_bf16() && __builtin_cpu_is("amd");
}

const char *mm_isa_name(void)
{
    switch (dnnl_get_effective_cpu_isa()) {
    case dnnl_cpu_isa_sse41: return "sse41";
    case dnnl_cpu_isa_avx: return "avx";
    case dnnl_cpu_isa_avx2: return "avx2";
    case dnnl_cpu_isa_avx2_vnni: return "avx2_vnni";
    case dnnl_cpu_isa_avx512_mic: return "avx512_mic";
    case dnnl_cpu_isa_avx512_mic_4ops: return "avx512_mic_4ops";
    case dnnl_cpu_isa_avx512_core: return "avx512_core";
    case dnnl_cpu_isa_avx512_core_vnni: return "avx512_core_vnni";
    case dnnl_cpu_isa_avx512_core_bf16: return "avx512_core_bf16";
    case dnnl_cpu_isa_avx512_core_amx: return "avx512_core_amx";
    default: return "unknown";
    }
}

/* ---- elementwise: conversion and quantization (vectorised by the compiler,
 * one clone per ISA chosen at run time: K_CLONES) ---- */

/* bf16_bits: x rounded to bf16 (nearest even, finite inputs), in the high
 * 16 bits of its f32 pattern */
static inline uint32_t bf16_bits(float x)
{
    uint32_t u;
    memcpy(&u, &x, 4);
    return (u + 0x7fffu + ((u >> 16) & 1u)) & 0xffff0000u;
}

K_CLONES
static void to_bf16_row(const float *x, uint16_t *o, int n)
{
    #pragma omp simd
    for (int i = 0; i < n; i++) o[i] = (uint16_t)(bf16_bits(x[i]) >> 16);
}

K_CLONES
static void round_bf16_row(const float *x, float *o, int n)
{
    #pragma omp simd
    for (int i = 0; i < n; i++) {
        uint32_t u = bf16_bits(x[i]);
        memcpy(&o[i], &u, 4);
    }
}

K_CLONES
static float absmax_row(const float *x, int n)
{
    float m = 0;
    #pragma omp simd reduction(max : m)
    for (int i = 0; i < n; i++) {
        float a = fabsf(x[i]);
        m = a > m ? a : m;
    }
    return m;
}

K_CLONES
static float absmax_row_s(const float *x, const float *is, int n)
{
    float m = 0;
    #pragma omp simd reduction(max : m)
    for (int i = 0; i < n; i++) {
        float a = fabsf(x[i] * is[i]);
        m = a > m ? a : m;
    }
    return m;
}

/* quantize n values x[i] (* is[i] when is != NULL) * inv to s8, rounding to
 * nearest even, saturating at +-127. GCC does not vectorise the float -> s8
 * narrowing for AVX2, so that path is written out (measured: the scalar
 * loop took 15% of an int8 encode). */
static void quant_scalar(const float *x, const float *is, int8_t *q, int n, float inv)
{
    for (int i = 0; i < n; i++) {
        float v = (is ? x[i] * is[i] : x[i]) * inv;
        v = v > 127.f ? 127.f : v < -127.f ? -127.f : v;
        q[i] = (int8_t)lrintf(v);
    }
}

#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>
__attribute__((target("avx2"))) static void quant_avx2(const float *x, const float *is, int8_t *q, int n,
                                                        float inv)
{
    const __m256 vinv = _mm256_set1_ps(inv), lo = _mm256_set1_ps(-127.f), hi = _mm256_set1_ps(127.f);
    const __m256i perm = _mm256_setr_epi32(0, 4, 1, 5, 2, 6, 3, 7);
    int i = 0;
    for (; i + 32 <= n; i += 32) {
        __m256i r[4];
        for (int j = 0; j < 4; j++) {
            __m256 v = _mm256_loadu_ps(x + i + 8 * j);
            if (is) v = _mm256_mul_ps(v, _mm256_loadu_ps(is + i + 8 * j));
            v = _mm256_min_ps(_mm256_max_ps(_mm256_mul_ps(v, vinv), lo), hi);
            r[j] = _mm256_cvtps_epi32(v); /* round to nearest even */
        }
        __m256i c = _mm256_packs_epi16(_mm256_packs_epi32(r[0], r[1]), _mm256_packs_epi32(r[2], r[3]));
        _mm256_storeu_si256((__m256i *)(q + i), _mm256_permutevar8x32_epi32(c, perm));
    }
    quant_scalar(x + i, is ? is + i : NULL, q + i, n - i, inv);
}
#endif

static void quant_any(const float *x, const float *is, int8_t *q, int n, float inv)
{
#if defined(__x86_64__) && defined(__GNUC__)
    static int avx2 = -1;
    if (avx2 < 0) avx2 = __builtin_cpu_supports("avx2") ? 1 : 0;
    if (avx2) {
        quant_avx2(x, is, q, n, inv);
        return;
    }
#endif
    quant_scalar(x, is, q, n, inv);
}

/* ---- exact f32 simulation of a quantization scheme (mm_pack_sim) ----
 * fake_row: x[i] (* is[i]) replaced by its quantized value times the
 * scale, computed as the real path computes it (the same scale, the same
 * rounding), so sim and real products differ only by f32 summation. */
static void fake_row(const float *x, const float *is, float *o, int n, int mode, float qmax)
{
    if (mode == MM_SIM_NONE) {
        for (int i = 0; i < n; i++) o[i] = is ? x[i] * is[i] : x[i];
        return;
    }
    if (mode == MM_SIM_SYM) {
        float a = is ? absmax_row_s(x, is, n) : absmax_row(x, n);
        float s = a > 0 ? a / qmax : 1.f, inv = a > 0 ? qmax / a : 0.f;
        for (int i = 0; i < n; i++) {
            float v = (is ? x[i] * is[i] : x[i]) * inv;
            v = v > qmax ? qmax : v < -qmax ? -qmax : v;
            o[i] = (float)lrintf(v) * s;
        }
        return;
    }
    /* MM_SIM_ASYM: u8 with a zero point per row, range [min, max] (with 0) */
    float lo = 0, hi = 0;
    for (int i = 0; i < n; i++) {
        float v = is ? x[i] * is[i] : x[i];
        lo = v < lo ? v : lo;
        hi = v > hi ? v : hi;
    }
    float s = hi > lo ? (hi - lo) / 255.f : 1.f, inv = hi > lo ? 255.f / (hi - lo) : 0.f;
    float z = rintf(-lo * inv);
    for (int i = 0; i < n; i++) {
        float v = (is ? x[i] * is[i] : x[i]) * inv + z;
        v = rintf(v);
        v = v > 255.f ? 255.f : v < 0.f ? 0.f : v;
        o[i] = (v - z) * s;
    }
}

int mm_pack_sim(const float *W, int N, int K, const float *smooth, int wmode, int xmode, struct mm_packed **out)
{
    *out = NULL;
    struct mm_packed *p = mem_calloc(1, sizeof *p);
    float *w = mem_aligned(64, (size_t)N * K * sizeof *w);
    float *ws = smooth ? mem_alloc_array((size_t)K, sizeof *ws) : NULL;
    if (p) p->ismooth = smooth ? mem_alloc_array((size_t)K, sizeof *p->ismooth) : NULL;
    if (!p || !w || (smooth && (!ws || !p->ismooth))) {
        mem_free(w);
        mem_free(ws);
        mm_packed_free(p);
        return err_set(ERR_NOMEM, "out of memory packing a %dx%d weight", N, K);
    }
    *p = (struct mm_packed){ .prec = MM_INT8, .N = N, .K = K, .emul = 2, .w = w, .ismooth = p->ismooth,
                             .xsim = xmode };
    if (smooth)
        for (int k = 0; k < K; k++) {
            p->ismooth[k] = 1.f / smooth[k];
            ws[k] = smooth[k];
        }
    float qmax = isa_has_vnni() ? 127.f : 63.f;
    for (int n = 0; n < N; n++) fake_row(W + (size_t)n * K, ws, w + (size_t)n * K, K, wmode, qmax);
    mem_free(ws);
    *out = p;
    return 0;
}

K_CLONES
static void dequant_row(const float *acc, float *y, int n, float s, const float *sw, const float *b, int beta)
{
    if (beta) {
        if (b) {
            #pragma omp simd
            for (int i = 0; i < n; i++) y[i] += s * sw[i] * acc[i] + b[i];
        } else {
            #pragma omp simd
            for (int i = 0; i < n; i++) y[i] += s * sw[i] * acc[i];
        }
    } else {
        if (b) {
            #pragma omp simd
            for (int i = 0; i < n; i++) y[i] = s * sw[i] * acc[i] + b[i];
        } else {
            #pragma omp simd
            for (int i = 0; i < n; i++) y[i] = s * sw[i] * acc[i];
        }
    }
}

/* ---- packing ---- */

static int dnnl_fail(const char *what, dnnl_status_t st)
{
    return err_set(ERR_UNSUPPORTED, "oneDNN: %s failed (status %d, ISA %s)", what, (int)st, mm_isa_name());
}

/* matmul descriptor for x[M, K] (src type st) @ W^T (weights md w) -> f32 y
 * (row stride ldy) */
static dnnl_status_t qdesc(dnnl_matmul_desc_t *d, int M, int N, int K, dnnl_data_type_t st,
                           const dnnl_memory_desc_t *w, int ldy, int bias)
{
    dnnl_memory_desc_t a_md, c_md, b_md;
    dnnl_dims_t ad = { M, K }, as = { K, 1 }, cd = { M, N }, cs = { ldy, 1 }, bd = { 1, N }, bs = { N, 1 };
    dnnl_status_t s;
    if ((s = dnnl_memory_desc_init_by_strides(&a_md, 2, ad, st, as)) != dnnl_success) return s;
    if ((s = dnnl_memory_desc_init_by_strides(&c_md, 2, cd, dnnl_f32, cs)) != dnnl_success) return s;
    if ((s = dnnl_memory_desc_init_by_strides(&b_md, 2, bd, dnnl_f32, bs)) != dnnl_success) return s;
    return dnnl_matmul_desc_init(d, &a_md, w, bias ? &b_md : NULL, &c_md);
}

static dnnl_status_t qattr(dnnl_primitive_attr_t *attr, int prec, int N, int beta)
{
    *attr = NULL;
    (void)prec;
    (void)N;
    if (!beta) return dnnl_success;
    dnnl_status_t s = dnnl_primitive_attr_create(attr);
    if (s == dnnl_success) {
        dnnl_post_ops_t po;
        s = dnnl_post_ops_create(&po);
        if (s == dnnl_success) {
            dnnl_post_ops_append_sum(po, 1.0f);
            s = dnnl_primitive_attr_set_post_ops(*attr, po);
            dnnl_post_ops_destroy(po);
        }
    }
    return s;
}

static dnnl_primitive_t qprim(struct qctx *c, const struct mm_packed *p, int M, int ldy, int bias, int beta, int nt)
{
    struct qentry *victim = &c->e[0];
    for (int i = 0; i < QMM_CACHE; i++) {
        struct qentry *x = &c->e[i];
        if (x->prim && x->prec == p->prec && x->N == p->N && x->K == p->K && x->M == M && x->ldy == ldy &&
            x->bias == bias && x->beta == beta && x->nt == nt && dnnl_memory_desc_equal(&x->wmd, &p->wmd)) {
            x->used = ++c->tick;
            return x->prim;
        }
        if (!x->prim || x->used < victim->used) victim = x;
    }
    dnnl_matmul_desc_t d;
    dnnl_primitive_attr_t attr = NULL;
    dnnl_primitive_desc_t pd = NULL;
    dnnl_primitive_t prim = NULL;
    if (qdesc(&d, M, p->N, p->K, p->prec == MM_INT8 ? dnnl_s8 : dnnl_bf16, &p->wmd, ldy, bias) != dnnl_success ||
        qattr(&attr, p->prec, p->N, beta) != dnnl_success)
        goto out;
    if (dnnl_primitive_desc_create(&pd, &d, attr, c->eng, NULL) == dnnl_success) {
        if (dnnl_primitive_create(&prim, pd) != dnnl_success) prim = NULL;
        dnnl_primitive_desc_destroy(pd);
    }
out:
    if (attr) dnnl_primitive_attr_destroy(attr);
    if (!prim) return NULL;
    if (victim->prim) dnnl_primitive_destroy(victim->prim);
    *victim = (struct qentry){ p->prec, p->N, p->K, p->wmd, M, ldy, bias, beta, nt, prim, ++c->tick };
    return prim;
}

/* run_prim: the primitive mm_run executes for M rows. Never a run-time M:
 * with the packed (blocked) weights oneDNN 2.6 serves it only with its
 * reference kernels, int8 (ref_int8, measured on AMX: ~5 s per 300 x 768 x
 * 2304 call) and bf16 alike (ref:any on Zen 4: ~7 s per call, 427 of 482 s
 * of 3000 KorSTS sentences when the last batch's shards had under 256
 * tokens, 11 s for one text); one JIT'ed kernel per M instead, kept by
 * oneDNN's primitive cache */
static dnnl_primitive_t run_prim(struct qctx *c, const struct mm_packed *p, int M, int ldo, int bias, int beta,
                                 int nt)
{
    return qprim(c, p, M, ldo, bias, beta, nt);
}

static int reorder(struct qctx *c, const dnnl_memory_desc_t *smd, const void *src, const dnnl_memory_desc_t *dmd,
                   void *dst)
{
    dnnl_primitive_desc_t pd;
    dnnl_status_t s = dnnl_reorder_primitive_desc_create(&pd, smd, c->eng, dmd, c->eng, NULL);
    if (s != dnnl_success) return dnnl_fail("weight reorder", s);
    dnnl_primitive_t r;
    s = dnnl_primitive_create(&r, pd);
    dnnl_primitive_desc_destroy(pd);
    if (s != dnnl_success) return dnnl_fail("weight reorder", s);
    dnnl_memory_t ms, md;
    dnnl_memory_create(&ms, smd, c->eng, (void *)src);
    dnnl_memory_create(&md, dmd, c->eng, dst);
    dnnl_exec_arg_t args[2] = { { DNNL_ARG_FROM, ms }, { DNNL_ARG_TO, md } };
    s = dnnl_primitive_execute(r, c->stream, 2, args);
    if (s == dnnl_success) s = dnnl_stream_wait(c->stream);
    dnnl_memory_destroy(ms);
    dnnl_memory_destroy(md);
    dnnl_primitive_destroy(r);
    return s == dnnl_success ? 0 : dnnl_fail("weight reorder", s);
}

int mm_pack(const float *W, int N, int K, int prec, const float *smooth, struct mm_packed **out)
{
    *out = NULL;
    if (prec != MM_F32 && prec != MM_BF16 && prec != MM_INT8) return err_set(ERR_INVALID, "mm_pack: precision %d", prec);
    if (prec == MM_F32) {
        struct mm_packed *f = mem_calloc(1, sizeof *f);
        if (!f) return err_nomem();
        *f = (struct mm_packed){ .prec = MM_F32, .N = N, .K = K, .wf = W };
        *out = f;
        return 0;
    }
    struct qctx *c = qctx_get();
    if (!c) return err_set(ERR_UNSUPPORTED, "oneDNN: no CPU engine");
    struct mm_packed *p = mem_calloc(1, sizeof *p);
    if (!p) return err_nomem();
    p->prec = prec;
    p->N = N;
    p->K = K;
    dnnl_data_type_t wt = prec == MM_INT8 ? dnnl_s8 : dnnl_bf16;
    /* the layout the primitive wants for a typical batch */
    dnnl_memory_desc_t any_md, plain_md;
    dnnl_dims_t wd = { K, N }, ws = { 1, K };
    dnnl_memory_desc_init_by_tag(&any_md, 2, wd, wt, dnnl_format_tag_any);
    dnnl_memory_desc_init_by_strides(&plain_md, 2, wd, wt, ws);
    dnnl_matmul_desc_t d;
    dnnl_primitive_attr_t attr = NULL;
    dnnl_primitive_desc_t pd = NULL;
    dnnl_status_t s = qdesc(&d, 1024, N, K, wt, &any_md, N, prec != MM_INT8);
    if (s == dnnl_success) s = qattr(&attr, prec, N, 0);
    if (s == dnnl_success) s = dnnl_primitive_desc_create(&pd, &d, attr, c->eng, NULL);
    if (attr) dnnl_primitive_attr_destroy(attr);
    if (s != dnnl_success && prec == MM_BF16) {
        /* no bf16 matmul on this ISA (oneDNN 2.6 needs AVX-512): same
         * rounding, f32 products */
        p->emul = 1;
        float *w = mem_aligned(64, (size_t)N * K * sizeof *w);
        if (!w) {
            mem_free(p);
            return err_set(ERR_NOMEM, "out of memory packing a %dx%d weight", N, K);
        }
        for (int n = 0; n < N; n++) round_bf16_row(W + (size_t)n * K, w + (size_t)n * K, K);
        p->w = w;
        *out = p;
        return 0;
    }
    if (s != dnnl_success) {
        mem_free(p);
        return dnnl_fail(prec == MM_INT8 ? "int8 matmul" : "bf16 matmul", s);
    }
    p->wmd = *dnnl_primitive_desc_query_md(pd, dnnl_query_weights_md, 0);
    dnnl_primitive_desc_destroy(pd);
    size_t bytes = dnnl_memory_desc_get_size(&p->wmd);
    p->w = mem_aligned(64, bytes ? bytes : 64);
    void *plain = mem_alloc_array((size_t)N * K, prec == MM_INT8 ? 1 : 2);
    if (prec == MM_INT8) p->scale = mem_alloc_array((size_t)N, sizeof *p->scale);
    if (!p->w || !plain || (prec == MM_INT8 && !p->scale)) {
        mem_free(plain);
        mm_packed_free(p);
        return err_set(ERR_NOMEM, "out of memory packing a %dx%d weight", N, K);
    }
    if (prec == MM_BF16) {
        for (int n = 0; n < N; n++) to_bf16_row(W + (size_t)n * K, (uint16_t *)plain + (size_t)n * K, K);
    } else {
        float qmax = isa_has_vnni() ? 127.f : 63.f;
        float *wsm = NULL;
        if (smooth) {
            /* W[n, k] * s[k]: quantized as W' with x' = x / s at each call */
            p->ismooth = mem_alloc_array((size_t)K, sizeof *p->ismooth);
            wsm = mem_alloc_array((size_t)K, sizeof *wsm);
            if (!p->ismooth || !wsm) {
                mem_free(wsm);
                mem_free(plain);
                mm_packed_free(p);
                return err_set(ERR_NOMEM, "out of memory packing a %dx%d weight", N, K);
            }
            for (int k = 0; k < K; k++) p->ismooth[k] = 1.f / smooth[k];
        }
        for (int n = 0; n < N; n++) {
            const float *w = W + (size_t)n * K;
            if (wsm) {
                for (int k = 0; k < K; k++) wsm[k] = w[k] * smooth[k];
                w = wsm;
            }
            float a = absmax_row(w, K);
            p->scale[n] = a > 0 ? a / qmax : 1.f;
            quant_any(w, NULL, (int8_t *)plain + (size_t)n * K, K, a > 0 ? qmax / a : 0.f);
        }
        mem_free(wsm);
    }
    int rc = reorder(c, &plain_md, plain, &p->wmd, p->w);
    mem_free(plain);
    if (rc < 0) {
        mm_packed_free(p);
        return rc;
    }
    *out = p;
    return 0;
}

void mm_packed_free(struct mm_packed *p)
{
    if (!p) return;
    mem_free(p->w);
    mem_free(p->scale);
    mem_free(p->ismooth);
    mem_free(p);
}

size_t mm_packed_bytes(const struct mm_packed *p)
{
    if (p && p->prec == MM_F32) return 0; /* the caller's weights */
    if (p && p->emul) return (size_t)p->N * p->K * sizeof(float);  /* emulated bf16, simulation */
    return p ? dnnl_memory_desc_get_size(&p->wmd) + (p->scale ? (size_t)p->N * sizeof(float) : 0) : 0;
}

size_t mm_qbuf_size(int M, int K, int N)
{
    /* activations (s8, bf16 or emulated-bf16 f32) | row scales | f32 accumulator for residual GEMMs */
    return mm_qin_size(M, K) + (size_t)M * N * sizeof(float);
}

size_t mm_qin_size(int M, int K)
{
    return (((size_t)M * K * 4 + 63) & ~(size_t)63) + (((size_t)M * sizeof(float) + 63) & ~(size_t)63);
}

/* ---- row kernels: preparing one input row, dequantizing one output row ---- */

void mm_prepare_row(const struct mm_packed *p, const float *x, void *in, float *sx, int m)
{
    int K = p->K;
    if (p->prec == MM_F32) {
        memcpy((float *)in + (size_t)m * K, x, (size_t)K * sizeof *x);
    } else if (p->emul == 2) {
        fake_row(x, p->ismooth, (float *)in + (size_t)m * K, K, p->xsim, 127.f);
    } else if (p->emul) {
        round_bf16_row(x, (float *)in + (size_t)m * K, K);
    } else if (p->prec == MM_BF16) {
        to_bf16_row(x, (uint16_t *)in + (size_t)m * K, K);
    } else {
        float a = p->ismooth ? absmax_row_s(x, p->ismooth, K) : absmax_row(x, K);
        sx[m] = a / 127.f;
        quant_any(x, p->ismooth, (int8_t *)in + (size_t)m * K, K, a > 0 ? 127.f / a : 0.f);
    }
}

void mm_deferred_row(const struct mm_deferred *d, int m, int n0, int n1, float *y, int beta)
{
    dequant_row(d->acc + (size_t)m * d->ld + n0, y + n0, n1 - n0, d->sx[m], d->sw + n0, d->b ? d->b + n0 : NULL,
                beta);
}

/* ---- execution ---- */

static int run(struct qctx *c, const struct mm_packed *p, dnnl_primitive_t prim, const void *x, int M, const float *b,
               float *y, int ldy)
{
    dnnl_memory_desc_t a_md, c_md, b_md;
    dnnl_dims_t ad = { M, p->K }, as = { p->K, 1 }, cd = { M, p->N }, cs = { ldy, 1 }, bd = { 1, p->N },
                bs = { p->N, 1 };
    dnnl_memory_desc_init_by_strides(&a_md, 2, ad, p->prec == MM_INT8 ? dnnl_s8 : dnnl_bf16, as);
    dnnl_memory_desc_init_by_strides(&c_md, 2, cd, dnnl_f32, cs);
    dnnl_memory_desc_init_by_strides(&b_md, 2, bd, dnnl_f32, bs);
    dnnl_memory_t src, wei, dst, bias = NULL;
    dnnl_memory_create(&src, &a_md, c->eng, (void *)x);
    dnnl_memory_create(&wei, &p->wmd, c->eng, p->w);
    dnnl_memory_create(&dst, &c_md, c->eng, y);
    dnnl_exec_arg_t args[5] = { { DNNL_ARG_SRC, src }, { DNNL_ARG_WEIGHTS, wei }, { DNNL_ARG_DST, dst } };
    int nargs = 3;
    if (b) {
        dnnl_memory_create(&bias, &b_md, c->eng, (void *)b);
        args[nargs++] = (dnnl_exec_arg_t){ DNNL_ARG_BIAS, bias };
    }
    dnnl_status_t st = dnnl_primitive_execute(prim, c->stream, nargs, args);
    if (st == dnnl_success) st = dnnl_stream_wait(c->stream);
    dnnl_memory_destroy(src);
    dnnl_memory_destroy(wei);
    dnnl_memory_destroy(dst);
    if (bias) dnnl_memory_destroy(bias);
    return st == dnnl_success ? 0 : -1;
}

int mm_run(const struct mm_packed *p, int M, const void *in, const float *sx, const float *b, float *y, int ldy,
           float beta, float *acc, struct mm_deferred *def, int nt)
{
    if (def) *def = (struct mm_deferred){ 0 };
    if (M <= 0) return 0;
    double t0 = now_sec();
    int N = p->N, K = p->K;
    if (p->prec == MM_F32) {
        mm_xwt(in, M, K, p->wf, N, b, y, ldy, beta, nt);
        return 0;
    }
    if (p->emul) {
        mm_xwt(in, M, K, p->w, N, b, y, ldy, beta, nt);
        return 0;
    }
    struct qctx *c = qctx_get();
    if (!c) return err_set(ERR_UNSUPPORTED, "oneDNN: no CPU engine");
    int i8 = p->prec == MM_INT8;
    /* int8: the primitive writes the exact s32 sums as f32; a residual
     * GEMM writes them aside (acc) and the dequantization adds them */
    float *out = i8 && beta != 0 ? acc : y;
    int ldo = i8 && beta != 0 ? N : ldy;
#ifdef _OPENMP
    int old = omp_get_max_threads();
    omp_set_num_threads(nt);
#endif
    dnnl_primitive_t prim = run_prim(c, p, M, ldo, !i8 && b, !i8 && beta != 0, nt);
    int rc = prim ? run(c, p, prim, in, M, i8 ? NULL : b, out, ldo) : -1;
#ifdef _OPENMP
    omp_set_num_threads(old);
#endif
    if (rc < 0) return dnnl_fail(i8 ? "int8 matmul" : "bf16 matmul", dnnl_runtime_error);
    mm_stats_add(now_sec() - t0, 2.0 * M * N * K);
    if (!i8) return 0;
    struct mm_deferred d = { out, ldo, sx, p->scale, b };
    if (def) {
        *def = d;
        return 0;
    }
    double t2 = now_sec();
    int bt = beta != 0;
    #pragma omp parallel for schedule(static) num_threads(nt)
    for (int m = 0; m < M; m++) mm_deferred_row(&d, m, 0, N, y + (size_t)m * ldy, bt);
    double dt = now_sec() - t2;
    st_conv += dt;
    mm_stats_add(dt, 0);
    return 0;
}

const char *mm_packed_impl(const struct mm_packed *p, int M)
{
    if (p->prec == MM_F32) return "f32";
    if (p->emul) return "emulated";
    struct qctx *c = qctx_get();
    int i8 = p->prec == MM_INT8;
    dnnl_primitive_t prim = c ? run_prim(c, p, M, p->N, !i8, 0, 1) : NULL;
    const_dnnl_primitive_desc_t pd = NULL;
    const char *s = NULL;
    if (!prim || dnnl_primitive_get_primitive_desc(prim, &pd) != dnnl_success ||
        dnnl_primitive_desc_query(pd, dnnl_query_impl_info_str, 0, &s) != dnnl_success || !s)
        return "none";
    return s;
}

int mm_xwt_packed(const float *x, int M, const struct mm_packed *p, const float *b, float *y, int ldy, float beta,
                  void *qbuf, int nt)
{
    if (M <= 0) return 0;
    if (p->prec == MM_F32) {
        mm_xwt(x, M, p->K, p->wf, p->N, b, y, ldy, beta, nt);
        return 0;
    }
    double t0 = now_sec();
    int K = p->K;
    unsigned char *qa = qbuf;
    float *sx = (float *)(qa + (((size_t)M * K * 4 + 63) & ~(size_t)63));
    float *acc = (float *)((unsigned char *)qbuf + mm_qin_size(M, K));
    #pragma omp parallel for schedule(static) num_threads(nt)
    for (int m = 0; m < M; m++) mm_prepare_row(p, x + (size_t)m * K, qa, sx, m);
    double dt = now_sec() - t0;
    st_conv += dt;
    mm_stats_add(dt, 0);
    return mm_run(p, M, qa, sx, b, y, ldy, beta, acc, NULL, nt);
}
