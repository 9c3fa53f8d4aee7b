/*
 * attn.c - multi-head attention over packed (unpadded) sequences, with
 * optional rotary embeddings and a sliding window. Each (token, head) pair is
 * one independent work item: scores over the keys in its window only,
 * softmax in float32 (max subtracted), weighted sum of values.
 */
#include <math.h>
#include <string.h>

#include "kernels.h"

#ifdef _OPENMP
#include <omp.h>
#endif

static void rope_apply(float *v, const float *c, const float *s, int d)
{
    int half = d / 2;
    for (int j = 0; j < half; j++) {
        float a = v[j], b = v[j + half];
        v[j] = a * c[j] - b * s[j];
        v[j + half] = b * c[j] + a * s[j];
    }
}

void attention(float *qkv, int T, const int *seq_off, int n_seq, const int *seq_of, int heads, int d,
               const float *cosv, const float *sinv, int window, float *ctx, float *scratch, int max_len, int nt)
{
    int H = heads * d, H3 = 3 * H, half = d / 2;
    (void)n_seq;
    if (cosv) {
        #pragma omp parallel for schedule(static) num_threads(nt)
        for (int t = 0; t < T; t++) {
            int pos = t - seq_off[seq_of[t]];
            const float *c = cosv + (size_t)pos * half, *s = sinv + (size_t)pos * half;
            float *row = qkv + (size_t)t * H3;
            for (int h = 0; h < heads; h++) {
                rope_apply(row + h * d, c, s, d);
                rope_apply(row + H + h * d, c, s, d);
            }
        }
    }
    float scale = 1.0f / sqrtf((float)d);
    #pragma omp parallel num_threads(nt)
    {
#ifdef _OPENMP
        float *sc = scratch + (size_t)omp_get_thread_num() * max_len;
#else
        float *sc = scratch;
#endif
        #pragma omp for schedule(static)
        for (long it = 0; it < (long)T * heads; it++) {
            int t = (int)(it / heads), h = (int)(it % heads);
            int s0 = seq_off[seq_of[t]], s1 = seq_off[seq_of[t] + 1];
            int j0 = s0, j1 = s1;
            if (window >= 0) {
                if (t - window > j0) j0 = t - window;
                if (t + window + 1 < j1) j1 = t + window + 1;
            }
            const float *q = qkv + (size_t)t * H3 + h * d;
            float mx = -INFINITY;
            for (int j = j0; j < j1; j++) {
                const float *k = qkv + (size_t)j * H3 + H + h * d;
                float acc = 0;
                for (int i = 0; i < d; i++) acc += q[i] * k[i];
                acc *= scale;
                sc[j - j0] = acc;
                if (acc > mx) mx = acc;
            }
            float sum = 0;
            for (int j = 0; j < j1 - j0; j++) {
                sc[j] = expf(sc[j] - mx);
                sum += sc[j];
            }
            float inv = 1.0f / sum;
            float *o = ctx + (size_t)t * H + h * d;
            memset(o, 0, (size_t)d * sizeof *o);
            for (int j = j0; j < j1; j++) {
                const float *v = qkv + (size_t)j * H3 + 2 * H + h * d;
                float p = sc[j - j0] * inv;
                for (int i = 0; i < d; i++) o[i] += p * v[i];
            }
        }
    }
}
