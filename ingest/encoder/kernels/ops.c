/*
 * ops.c - elementwise and row kernels: LayerNorm, activations, GeGLU, RoPE
 * tables, the softmax exponentials.
 *
 * The exact-erf GELU and the softmax exp are the transcendental hot spots:
 * they run on glibc's vector math library (libmvec: _ZGVeN16v_erff /
 * _ZGVdN8v_erff, the 16- and 8-lane erff, and the same for expf, both within
 * 4 ulp of the scalar functions), with the instruction set chosen once at
 * start (AVX-512, AVX2 + FMA, or the scalar erff/expf loops) from what the
 * CPU reports; nothing is compiled for -march=native. LayerNorm has the same
 * three paths (its double sums in another order per instruction set; the
 * output row's arithmetic is the same). The other loops are plain C written
 * so that the compiler vectorises them at the baseline ISA.
 */
#include <math.h>
#include <stddef.h>

#include "ingest/encoder/kernels/kernels.h"
#include "ingest/model/model.h"

#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
#define OPS_X86 1
#include <immintrin.h>
/* glibc libmvec (x86_64 vector ABI names) */
__attribute__((target("avx512f"))) __m512 _ZGVeN16v_erff(__m512);
__attribute__((target("avx512f"))) __m512 _ZGVeN16v_expf(__m512);
__attribute__((target("avx2,fma"))) __m256 _ZGVdN8v_erff(__m256);
__attribute__((target("avx2,fma"))) __m256 _ZGVdN8v_expf(__m256);
#endif

/* ---- run-time ISA dispatch, chosen once ---- */

static int ops_level = -1;

static int ops_supported(void)
{
#ifdef OPS_X86
    __builtin_cpu_init();
    if (__builtin_cpu_supports("avx512f")) return OPS_AVX512;
    if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) return OPS_AVX2;
#endif
    return OPS_SCALAR;
}

__attribute__((constructor)) static void ops_init(void)
{
    if (ops_level < 0) ops_level = ops_supported();
}

int ops_set_isa(int level)
{
    int best = ops_supported();
    ops_level = level < 0 || level > best ? best : level;
    return ops_level;
}

const char *ops_isa_name(void)
{
    ops_init();
    return ops_level == OPS_AVX512 ? "avx512" : ops_level == OPS_AVX2 ? "avx2" : "scalar";
}

#define GELU_C 0.70710678118654752f

#ifdef OPS_X86
__attribute__((target("avx512f"))) static void gelu_avx512(const float *x, const float *g, float *y, int n)
{
    const __m512 c = _mm512_set1_ps(GELU_C), h = _mm512_set1_ps(0.5f), one = _mm512_set1_ps(1.0f);
    int i = 0;
    for (; i < n; i += 16) {
        __mmask16 k = n - i >= 16 ? (__mmask16)0xffff : (__mmask16)((1u << (n - i)) - 1);
        __m512 v = _mm512_maskz_loadu_ps(k, x + i);
        __m512 e = _ZGVeN16v_erff(_mm512_mul_ps(v, c));
        __m512 r = _mm512_mul_ps(_mm512_mul_ps(h, v), _mm512_add_ps(one, e));
        if (g) r = _mm512_mul_ps(r, _mm512_maskz_loadu_ps(k, g + i));
        _mm512_mask_storeu_ps(y + i, k, r);
    }
}

__attribute__((target("avx2,fma"))) static void gelu_avx2(const float *x, const float *g, float *y, int n)
{
    const __m256 c = _mm256_set1_ps(GELU_C), h = _mm256_set1_ps(0.5f), one = _mm256_set1_ps(1.0f);
    int i = 0;
    for (; i + 8 <= n; i += 8) {
        __m256 v = _mm256_loadu_ps(x + i);
        __m256 e = _ZGVdN8v_erff(_mm256_mul_ps(v, c));
        __m256 r = _mm256_mul_ps(_mm256_mul_ps(h, v), _mm256_add_ps(one, e));
        if (g) r = _mm256_mul_ps(r, _mm256_loadu_ps(g + i));
        _mm256_storeu_ps(y + i, r);
    }
    for (; i < n; i++) y[i] = 0.5f * x[i] * (1.0f + erff(x[i] * GELU_C)) * (g ? g[i] : 1.0f);
}

__attribute__((target("avx512f"))) static float exp_avx512(float *x, int n, float sub)
{
    const __m512 s = _mm512_set1_ps(sub);
    __m512 acc = _mm512_setzero_ps();
    for (int i = 0; i < n; i += 16) {
        __mmask16 k = n - i >= 16 ? (__mmask16)0xffff : (__mmask16)((1u << (n - i)) - 1);
        __m512 v = _ZGVeN16v_expf(_mm512_sub_ps(_mm512_maskz_loadu_ps(k, x + i), s));
        v = _mm512_maskz_mov_ps(k, v);
        _mm512_mask_storeu_ps(x + i, k, v);
        acc = _mm512_add_ps(acc, v);
    }
    return _mm512_reduce_add_ps(acc);
}

__attribute__((target("avx2,fma"))) static float exp_avx2(float *x, int n, float sub)
{
    const __m256 s = _mm256_set1_ps(sub);
    __m256 acc = _mm256_setzero_ps();
    int i = 0;
    for (; i + 8 <= n; i += 8) {
        __m256 v = _ZGVdN8v_expf(_mm256_sub_ps(_mm256_loadu_ps(x + i), s));
        _mm256_storeu_ps(x + i, v);
        acc = _mm256_add_ps(acc, v);
    }
    float t[8], sum = 0;
    _mm256_storeu_ps(t, acc);
    for (int j = 0; j < 8; j++) sum += t[j];
    for (; i < n; i++) sum += x[i] = expf(x[i] - sub);
    return sum;
}
#endif

void gelu_row(const float *x, const float *g, float *y, int n)
{
#ifdef OPS_X86
    if (ops_level == OPS_AVX512) {
        gelu_avx512(x, g, y, n);
        return;
    }
    if (ops_level == OPS_AVX2) {
        gelu_avx2(x, g, y, n);
        return;
    }
#endif
    for (int i = 0; i < n; i++) y[i] = 0.5f * x[i] * (1.0f + erff(x[i] * GELU_C)) * (g ? g[i] : 1.0f);
}

float exp_sub_row(float *x, int n, float sub)
{
#ifdef OPS_X86
    if (ops_level == OPS_AVX512) return exp_avx512(x, n, sub);
    if (ops_level == OPS_AVX2) return exp_avx2(x, n, sub);
#endif
    float sum = 0;
    for (int i = 0; i < n; i++) sum += x[i] = expf(x[i] - sub);
    return sum;
}

/* LayerNorm: the sums (mean, then squared deviations) in double, the
 * output row in float as (x - mean) * rstd * w (+ b), no FMA, so the
 * instruction sets differ only in the order of the double sums */
static void ln_out(const float *xr, float *yr, int i, int H, const float *w, const float *b, float m, float rstd)
{
    if (b)
        for (; i < H; i++) yr[i] = (xr[i] - m) * rstd * w[i] + b[i];
    else
        for (; i < H; i++) yr[i] = (xr[i] - m) * rstd * w[i];
}

#ifdef OPS_X86
__attribute__((target("avx512f"))) static void ln_avx512(const float *xr, float *yr, int H, const float *w,
                                                          const float *b, float eps)
{
    __m512d s0 = _mm512_setzero_pd(), s1 = _mm512_setzero_pd();
    int i = 0;
    for (; i + 16 <= H; i += 16) {
        __m512 v = _mm512_loadu_ps(xr + i);
        s0 = _mm512_add_pd(s0, _mm512_cvtps_pd(_mm512_castps512_ps256(v)));
        s1 = _mm512_add_pd(s1, _mm512_cvtps_pd(_mm256_castpd_ps(_mm512_extractf64x4_pd(_mm512_castps_pd(v), 1))));
    }
    double s = _mm512_reduce_add_pd(_mm512_add_pd(s0, s1));
    for (int j = i; j < H; j++) s += xr[j];
    double mean = s / H;
    const __m512d mv = _mm512_set1_pd(mean);
    s0 = s1 = _mm512_setzero_pd();
    for (i = 0; i + 16 <= H; i += 16) {
        __m512 v = _mm512_loadu_ps(xr + i);
        __m512d d0 = _mm512_sub_pd(_mm512_cvtps_pd(_mm512_castps512_ps256(v)), mv);
        __m512d d1 = _mm512_sub_pd(
            _mm512_cvtps_pd(_mm256_castpd_ps(_mm512_extractf64x4_pd(_mm512_castps_pd(v), 1))), mv);
        s0 = _mm512_add_pd(s0, _mm512_mul_pd(d0, d0));
        s1 = _mm512_add_pd(s1, _mm512_mul_pd(d1, d1));
    }
    double ss = _mm512_reduce_add_pd(_mm512_add_pd(s0, s1));
    for (int j = i; j < H; j++) {
        double d = xr[j] - mean;
        ss += d * d;
    }
    float rstd = (float)(1.0 / sqrt(ss / H + (double)eps));
    float m = (float)mean;
    const __m512 mf = _mm512_set1_ps(m), rf = _mm512_set1_ps(rstd);
    for (i = 0; i + 16 <= H; i += 16) {
        __m512 r = _mm512_mul_ps(_mm512_mul_ps(_mm512_sub_ps(_mm512_loadu_ps(xr + i), mf), rf), _mm512_loadu_ps(w + i));
        if (b) r = _mm512_add_ps(r, _mm512_loadu_ps(b + i));
        _mm512_storeu_ps(yr + i, r);
    }
    ln_out(xr, yr, i, H, w, b, m, rstd);
}

__attribute__((target("avx2,fma"))) static double sum4_pd(__m256d v)
{
    double t[4];
    _mm256_storeu_pd(t, v);
    return (t[0] + t[1]) + (t[2] + t[3]);
}

__attribute__((target("avx2,fma"))) static void ln_avx2(const float *xr, float *yr, int H, const float *w,
                                                        const float *b, float eps)
{
    __m256d s0 = _mm256_setzero_pd(), s1 = _mm256_setzero_pd();
    int i = 0;
    for (; i + 8 <= H; i += 8) {
        __m256 v = _mm256_loadu_ps(xr + i);
        s0 = _mm256_add_pd(s0, _mm256_cvtps_pd(_mm256_castps256_ps128(v)));
        s1 = _mm256_add_pd(s1, _mm256_cvtps_pd(_mm256_extractf128_ps(v, 1)));
    }
    double s = sum4_pd(_mm256_add_pd(s0, s1));
    for (int j = i; j < H; j++) s += xr[j];
    double mean = s / H;
    const __m256d mv = _mm256_set1_pd(mean);
    s0 = s1 = _mm256_setzero_pd();
    for (i = 0; i + 8 <= H; i += 8) {
        __m256 v = _mm256_loadu_ps(xr + i);
        __m256d d0 = _mm256_sub_pd(_mm256_cvtps_pd(_mm256_castps256_ps128(v)), mv);
        __m256d d1 = _mm256_sub_pd(_mm256_cvtps_pd(_mm256_extractf128_ps(v, 1)), mv);
        s0 = _mm256_add_pd(s0, _mm256_mul_pd(d0, d0));
        s1 = _mm256_add_pd(s1, _mm256_mul_pd(d1, d1));
    }
    double ss = sum4_pd(_mm256_add_pd(s0, s1));
    for (int j = i; j < H; j++) {
        double d = xr[j] - mean;
        ss += d * d;
    }
    float rstd = (float)(1.0 / sqrt(ss / H + (double)eps));
    float m = (float)mean;
    const __m256 mf = _mm256_set1_ps(m), rf = _mm256_set1_ps(rstd);
    for (i = 0; i + 8 <= H; i += 8) {
        __m256 r = _mm256_mul_ps(_mm256_mul_ps(_mm256_sub_ps(_mm256_loadu_ps(xr + i), mf), rf), _mm256_loadu_ps(w + i));
        if (b) r = _mm256_add_ps(r, _mm256_loadu_ps(b + i));
        _mm256_storeu_ps(yr + i, r);
    }
    ln_out(xr, yr, i, H, w, b, m, rstd);
}
#endif

void layernorm_row(const float *xr, float *yr, int H, const float *w, const float *b, float eps)
{
#ifdef OPS_X86
    if (ops_level == OPS_AVX512) {
        ln_avx512(xr, yr, H, w, b, eps);
        return;
    }
    if (ops_level == OPS_AVX2) {
        ln_avx2(xr, yr, H, w, b, eps);
        return;
    }
#endif
    double s = 0, ss = 0;
    #pragma omp simd reduction(+ : s)
    for (int i = 0; i < H; i++) s += xr[i];
    double mean = s / H;
    #pragma omp simd reduction(+ : ss)
    for (int i = 0; i < H; i++) {
        double d = xr[i] - mean;
        ss += d * d;
    }
    ln_out(xr, yr, 0, H, w, b, (float)mean, (float)(1.0 / sqrt(ss / H + (double)eps)));
}

void layernorm(const float *x, float *y, int T, int H, const float *w, const float *b, float eps, int nt)
{
    #pragma omp parallel for schedule(static) num_threads(nt)
    for (int t = 0; t < T; t++) layernorm_row(x + (size_t)t * H, y + (size_t)t * H, H, w, b, eps);
}

float act_scalar(float x, enum model_act a)
{
    switch (a) {
    case ACT_IDENTITY: return x;
    case ACT_TANH: return tanhf(x);
    case ACT_RELU: return x > 0 ? x : 0;
    case ACT_GELU: return 0.5f * x * (1.0f + erff(x * 0.70710678118654752f));
    case ACT_GELU_TANH: {
        float u = 0.7978845608028654f * (x + 0.044715f * x * x * x);
        return 0.5f * x * (1.0f + tanhf(u));
    }
    case ACT_SIGMOID: return 1.0f / (1.0f + expf(-x));
    case ACT_SILU: return x / (1.0f + expf(-x));
    }
    return x;
}

void act_inplace(float *x, size_t n, enum model_act a, int nt)
{
    if (a == ACT_IDENTITY) return;
    if (a == ACT_GELU) {
        const size_t chunk = 4096;
        long nc = (long)((n + chunk - 1) / chunk);
        #pragma omp parallel for schedule(static) num_threads(nt)
        for (long c = 0; c < nc; c++) {
            size_t i0 = (size_t)c * chunk;
            gelu_row(x + i0, NULL, x + i0, (int)(n - i0 < chunk ? n - i0 : chunk));
        }
        return;
    }
    #pragma omp parallel for schedule(static) num_threads(nt)
    for (size_t i = 0; i < n; i++) x[i] = act_scalar(x[i], a);
}

void geglu_row(const float *r, float *o, int I, enum model_act a)
{
    if (a == ACT_GELU) {
        gelu_row(r, r + I, o, I);
        return;
    }
    for (int i = 0; i < I; i++) o[i] = act_scalar(r[i], a) * r[I + i];
}

void geglu(const float *in, float *out, int T, int I, enum model_act a, int nt)
{
    #pragma omp parallel for schedule(static) num_threads(nt)
    for (int t = 0; t < T; t++) geglu_row(in + (size_t)t * 2 * I, out + (size_t)t * I, I, a);
}

void rope_table(float *cosv, float *sinv, int L, int d, double theta)
{
    int half = d / 2;
    for (int j = 0; j < half; j++) {
        /* transformers: inv_freq = 1 / theta ** (arange(0, d, 2).float() / d),
         * then freqs = position * inv_freq, all float32 */
        float expo = (float)(2 * j) / (float)d;
        float inv = (float)(1.0 / pow(theta, (double)expo));
        for (int p = 0; p < L; p++) {
            float f = (float)p * inv;
            cosv[(size_t)p * half + j] = (float)cos((double)f);
            sinv[(size_t)p * half + j] = (float)sin((double)f);
        }
    }
}
