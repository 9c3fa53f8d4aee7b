/*
 * topk.c - blocked sgemm + per-row top-k lists (see topk.h).
 *
 * The sgemm score of a pair depends on the BLAS kernel, the block and the
 * CPU in its last bits; the lists are ordered by it (it is all the block
 * has), and callers that report scores use the exact le instead.
 */
#include "index/topk.h"

#include <cblas.h>
#include <math.h>

void topk_reset(float *ls, int64_t *lc, float *le, size_t nq, int k)
{
    for (size_t i = 0; i < nq * (size_t)k; i++) {
        ls[i] = -INFINITY;
        lc[i] = -1;
        if (le) le[i] = -INFINITY;
    }
}

float topk_score(const float *a, const float *b, int dim)
{
    double s = 0;
    for (int j = 0; j < dim; j++) s += (double)a[j] * b[j];
    return (float)s;
}

/* insert (s, id) into one list unless it is no better than the last entry;
 * returns the position taken, or -1 */
static inline int insert(float *ls, int64_t *lc, float *le, int k, float s, int64_t id)
{
    if (lc[k - 1] >= 0 && s <= ls[k - 1]) return -1;
    int p = k - 1;
    while (p > 0 && (lc[p - 1] < 0 || s > ls[p - 1])) {
        ls[p] = ls[p - 1];
        lc[p] = lc[p - 1];
        if (le) le[p] = le[p - 1];
        p--;
    }
    ls[p] = s;
    lc[p] = id;
    return p;
}

void topk_block(const float *q, const int64_t *self, size_t nq, const float *x, const int64_t *ids, size_t m,
                int dim, int k, float min, float *S, float *ls, int64_t *lc, float *le)
{
    if (nq == 0 || m == 0) return;
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)nq, (int)m, dim, 1.0f, q, dim, x, dim, 0.0f, S,
                (int)m);
#pragma omp parallel for schedule(static)
    for (size_t r = 0; r < nq; r++) {
        const float *row = S + r * m;
        float *rs = ls + r * (size_t)k, *re = le ? le + r * (size_t)k : NULL;
        int64_t *rl = lc + r * (size_t)k;
        for (size_t j = 0; j < m; j++) {
            float s = row[j];
            if (s < min || (self && ids[j] == self[r])) continue;
            int p = insert(rs, rl, re, k, s, ids[j]);
            if (p >= 0 && re) re[p] = topk_score(q + r * (size_t)dim, x + j * (size_t)dim, dim);
        }
    }
}
