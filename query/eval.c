/*
 * eval.c - Pearson, Spearman with average ranks, and the STS table (eval.h).
 *
 * Follows scipy.stats.pearsonr (centre, normalize, dot, clip) and
 * scipy.stats.rankdata(method="average") for ties; the four pair scores
 * follow sentence-transformers' EmbeddingSimilarityEvaluator.
 */
#include "query/eval.h"

#include <math.h>
#include <stdlib.h>

#include "common/err.h"
#include "common/mem.h"

static const char *const metric_names[EVAL_STS_N_METRICS] = {
    "pearson_cosine",    "spearman_cosine",    "pearson_euclidean", "spearman_euclidean",
    "pearson_manhattan", "spearman_manhattan", "pearson_dot",       "spearman_dot",
    "pearson_max",       "spearman_max",
};

const char *eval_sts_metric_name(int i)
{
    return i >= 0 && i < EVAL_STS_N_METRICS ? metric_names[i] : "?";
}

double eval_pearson(const double *x, const double *y, size_t n)
{
    if (n < 2) return NAN;
    double mx = 0, my = 0;
    for (size_t i = 0; i < n; i++) mx += x[i], my += y[i];
    mx /= (double)n;
    my /= (double)n;
    double sxx = 0, syy = 0, sxy = 0;
    for (size_t i = 0; i < n; i++) {
        double dx = x[i] - mx, dy = y[i] - my;
        sxx += dx * dx;
        syy += dy * dy;
        sxy += dx * dy;
    }
    if (sxx == 0 || syy == 0) return NAN;
    double r = sxy / (sqrt(sxx) * sqrt(syy));
    return r > 1 ? 1 : r < -1 ? -1 : r;
}

/* sort positions by value; qsort needs the values, so pass them in pairs */
struct ranked { double v; size_t i; };

static int cmp_ranked(const void *a, const void *b)
{
    const struct ranked *p = a, *q = b;
    if (p->v < q->v) return -1;
    if (p->v > q->v) return 1;
    return p->i < q->i ? -1 : p->i > q->i;
}

int eval_rank_average(const double *x, size_t n, double *ranks)
{
    struct ranked *r = mem_alloc_array(n ? n : 1, sizeof *r);
    if (!r) return err_set(ERR_NOMEM, "out of memory ranking %zu values", n);
    for (size_t i = 0; i < n; i++) r[i].v = x[i], r[i].i = i;
    qsort(r, n, sizeof *r, cmp_ranked);
    for (size_t a = 0; a < n;) {
        size_t b = a + 1;
        while (b < n && r[b].v == r[a].v) b++;
        /* positions a..b-1 hold ranks a+1..b: their mean is (a+1+b)/2 */
        double avg = (double)(a + 1 + b) / 2.0;
        for (size_t k = a; k < b; k++) ranks[r[k].i] = avg;
        a = b;
    }
    mem_free(r);
    return 0;
}

double eval_spearman(const double *x, const double *y, size_t n)
{
    double *rx = mem_alloc_array(n ? 2 * n : 1, sizeof *rx);
    if (!rx) {
        err_set(ERR_NOMEM, "out of memory ranking %zu values", n);
        return NAN;
    }
    double *ry = rx + n, rho = NAN;
    if (eval_rank_average(x, n, rx) == 0 && eval_rank_average(y, n, ry) == 0)
        rho = eval_pearson(rx, ry, n);
    mem_free(rx);
    return rho;
}

/* fmax that ignores NaN like Python's max() over a list would not: a NaN
 * metric (constant scores) should not hide the others */
static double max_skip_nan(double a, double b)
{
    if (isnan(a)) return b;
    if (isnan(b)) return a;
    return a > b ? a : b;
}

int eval_sts(const float *e1, const float *e2, size_t n, int dim, const double *gold,
             struct eval_sts *out)
{
    RETURN_ERR_IF(n < 2, ERR_INVALID, "need at least 2 pairs to correlate, got %zu", n);
    RETURN_ERR_IF(dim < 1, ERR_INVALID, "bad embedding dimension %d", dim);
    double *s = mem_alloc_array(4 * n, sizeof *s);
    RETURN_ERR_IF(!s, ERR_NOMEM, "out of memory scoring %zu pairs", n);
    double *cos = s, *euc = s + n, *man = s + 2 * n, *dot = s + 3 * n;
    for (size_t i = 0; i < n; i++) {
        const float *a = e1 + i * (size_t)dim, *b = e2 + i * (size_t)dim;
        double aa = 0, bb = 0, ab = 0, l2 = 0, l1 = 0;
        for (int j = 0; j < dim; j++) {
            double d = (double)a[j] - b[j];
            aa += (double)a[j] * a[j];
            bb += (double)b[j] * b[j];
            ab += (double)a[j] * b[j];
            l2 += d * d;
            l1 += fabs(d);
        }
        /* sklearn normalizes rows first; a zero row stays zero (cos 0) */
        cos[i] = (aa > 0 && bb > 0) ? ab / sqrt(aa * bb) : 0;
        euc[i] = -sqrt(l2);
        man[i] = -l1;
        dot[i] = ab;
    }
    double *fn[4] = { cos, euc, man, dot };
    out->value[8] = NAN;
    out->value[9] = NAN;
    for (int k = 0; k < 4; k++) {
        out->value[2 * k] = eval_pearson(gold, fn[k], n);
        out->value[2 * k + 1] = eval_spearman(gold, fn[k], n);
        out->value[8] = max_skip_nan(out->value[8], out->value[2 * k]);
        out->value[9] = max_skip_nan(out->value[9], out->value[2 * k + 1]);
    }
    mem_free(s);
    return 0;
}
