/*
 * head.c - the sentence-transformers head: Pooling, Dense*, Normalize.
 *
 * Pooling follows sentence_transformers.models.Pooling on an unpadded
 * sequence (every position has attention mask 1; include_prompt only
 * matters with prompts, which semindex does not add): modes are
 * concatenated in the order cls, max, mean, mean_sqrt_len, weightedmean
 * (weights 1..L), lasttoken.
 */
#include <math.h>
#include <string.h>

#include "ingest/encoder/forward.h"
#include "ingest/encoder/kernels/kernels.h"
#include "ingest/model/model.h"

void pool_seq(const struct model *m, const float *h, int L, float *out)
{
    const struct model_pooling *p = &m->pool;
    int H = p->dim;
    float *o = out;
    if (p->cls) {
        memcpy(o, h, (size_t)H * sizeof *o);
        o += H;
    }
    if (p->max) {
        for (int i = 0; i < H; i++) {
            float mx = -1e9f;
            for (int t = 0; t < L; t++)
                if (h[(size_t)t * H + i] > mx) mx = h[(size_t)t * H + i];
            o[i] = mx;
        }
        o += H;
    }
    if (p->mean || p->mean_sqrt_len) {
        for (int i = 0; i < H; i++) {
            double s = 0;
            for (int t = 0; t < L; t++) s += h[(size_t)t * H + i];
            if (p->mean) o[i] = (float)(s / (L > 0 ? (double)L : 1e-9));
            if (p->mean_sqrt_len) o[i + (p->mean ? H : 0)] = (float)(s / sqrt((double)L));
        }
        o += H * (p->mean + p->mean_sqrt_len);
    }
    if (p->weighted_mean) {
        float wsum = 0;
        for (int t = 0; t < L; t++) wsum += (float)(t + 1);
        for (int i = 0; i < H; i++) {
            float s = 0;
            for (int t = 0; t < L; t++) s += h[(size_t)t * H + i] * (float)(t + 1);
            o[i] = s / (wsum > 1e-9f ? wsum : 1e-9f);
        }
        o += H;
    }
    if (p->last_token) {
        memcpy(o, h + (size_t)(L - 1) * H, (size_t)H * sizeof *o);
        o += H;
    }
}

const float *head_forward(const struct model *m, struct fwd_ws *ws, float *in, int n, int normalize)
{
    float *cur = in;
    for (int i = 0; i < m->n_dense; i++) {
        const struct model_dense *d = &m->dense[i];
        float *nxt = cur == ws->head_a ? ws->head_b : ws->head_a;
        mm_xwt(cur, n, d->in, d->w, d->out, d->b, nxt, d->out, 0, ws->nt);
        act_inplace(nxt, (size_t)n * d->out, d->act, ws->nt);
        cur = nxt;
    }
    if (m->normalize || normalize) {
        int D = m->out_dim;
        for (int r = 0; r < n; r++) {
            float *v = cur + (size_t)r * D;
            double ss = 0;
            for (int i = 0; i < D; i++) ss += (double)v[i] * v[i];
            float nrm = (float)sqrt(ss);
            if (nrm < 1e-12f) nrm = 1e-12f;
            for (int i = 0; i < D; i++) v[i] /= nrm;
        }
    }
    return cur;
}
