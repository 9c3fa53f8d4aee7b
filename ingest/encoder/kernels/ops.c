/*
 * ops.c - elementwise and row kernels: LayerNorm, activations, GeGLU, RoPE
 * tables. Plain C loops written so that the compiler vectorises them at the
 * baseline ISA; the exact-erf GELU matches torch's default GELU.
 */
#include <math.h>
#include <stddef.h>

#include "kernels.h"
#include "ingest/model/model.h"

void layernorm(const float *x, float *y, int T, int H, const float *w, const float *b, float eps, int nt)
{
    #pragma omp parallel for schedule(static) num_threads(nt)
    for (int t = 0; t < T; t++) {
        const float *xr = x + (size_t)t * H;
        float *yr = y + (size_t)t * H;
        double s = 0, ss = 0;
        #pragma omp simd reduction(+ : s)
        for (int i = 0; i < H; i++) s += xr[i];
        double mean = s / H;
        #pragma omp simd reduction(+ : ss)
        for (int i = 0; i < H; i++) {
            double d = xr[i] - mean;
            ss += d * d;
        }
        float rstd = (float)(1.0 / sqrt(ss / H + (double)eps));
        float m = (float)mean;
        if (b)
            for (int i = 0; i < H; i++) yr[i] = (xr[i] - m) * rstd * w[i] + b[i];
        else
            for (int i = 0; i < H; i++) yr[i] = (xr[i] - m) * rstd * w[i];
    }
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
    #pragma omp parallel for schedule(static) num_threads(nt)
    for (size_t i = 0; i < n; i++) x[i] = act_scalar(x[i], a);
}

void geglu(const float *in, float *out, int T, int I, enum model_act a, int nt)
{
    #pragma omp parallel for schedule(static) num_threads(nt)
    for (int t = 0; t < T; t++) {
        const float *r = in + (size_t)t * 2 * I;
        float *o = out + (size_t)t * I;
        for (int i = 0; i < I; i++) o[i] = act_scalar(r[i], a) * r[I + i];
    }
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
