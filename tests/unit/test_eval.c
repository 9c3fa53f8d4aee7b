/*
 * test_eval.c - Pearson, Spearman (ties ranked as scipy.stats.rankdata
 * "average") and the STS table, against values computed by hand and by
 * independent textbook formulas.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "common/err.h"
#include "query/eval.h"
#include "tests/check.h"

/* Pearson by the one-pass textbook formula (independent of eval.c's) */
static double pearson_textbook(const double *x, const double *y, int n)
{
    double sx = 0, sy = 0, sxx = 0, syy = 0, sxy = 0;
    for (int i = 0; i < n; i++) {
        sx += x[i]; sy += y[i]; sxx += x[i] * x[i]; syy += y[i] * y[i]; sxy += x[i] * y[i];
    }
    return (n * sxy - sx * sy) / sqrt((n * sxx - sx * sx) * (n * syy - sy * sy));
}

/* Spearman without ties: 1 - 6 sum d^2 / (n (n^2 - 1)), ranks by counting */
static double spearman_noties(const double *x, const double *y, int n)
{
    double d2 = 0;
    for (int i = 0; i < n; i++) {
        int rx = 1, ry = 1;
        for (int j = 0; j < n; j++) { rx += x[j] < x[i]; ry += y[j] < y[i]; }
        d2 += (double)(rx - ry) * (rx - ry);
    }
    return 1 - 6 * d2 / ((double)n * ((double)n * n - 1));
}

int main(void)
{
    TEST("pearson by hand") {
        double x[] = { 1, 2, 3, 4, 5 }, y[] = { 2, 4, 5, 4, 5 };
        /* sxy = 6, sxx = 10, syy = 6 -> 6 / sqrt(60) */
        CHECK_NEAR(eval_pearson(x, y, 5), 6 / sqrt(60.0), 1e-12);
        double z[] = { 5, 4, 3, 2, 1 };
        CHECK_NEAR(eval_pearson(x, z, 5), -1, 1e-12);
        double c[] = { 3, 3, 3, 3, 3 };
        CHECK_TRUE(isnan(eval_pearson(x, c, 5)));
        CHECK_TRUE(isnan(eval_pearson(x, y, 1)));
    }

    TEST("average ranks for ties like scipy rankdata") {
        double x[] = { 0, 2, 3, 2 }, r[4];
        CHECK_OK(eval_rank_average(x, 4, r));
        CHECK_NEAR(r[0], 1, 0); CHECK_NEAR(r[1], 2.5, 0); CHECK_NEAR(r[2], 4, 0); CHECK_NEAR(r[3], 2.5, 0);
        double y[] = { 7, 7, 7, 1, 9, 9 }, s[6];
        /* sorted: 1 | 7 7 7 | 9 9 -> 1 | 3 3 3 | 5.5 5.5 */
        CHECK_OK(eval_rank_average(y, 6, s));
        CHECK_NEAR(s[0], 3, 0); CHECK_NEAR(s[1], 3, 0); CHECK_NEAR(s[2], 3, 0);
        CHECK_NEAR(s[3], 1, 0); CHECK_NEAR(s[4], 5.5, 0); CHECK_NEAR(s[5], 5.5, 0);
    }

    TEST("spearman with ties by hand") {
        /* ranks y = 1 2.5 4.5 2.5 4.5: sxy = 7, sxx = 10, syy = 9 -> 7/sqrt(90);
         * scipy.stats.spearmanr gives 0.7378647873726218 */
        double x[] = { 1, 2, 3, 4, 5 }, y[] = { 2, 4, 5, 4, 5 };
        CHECK_NEAR(eval_spearman(x, y, 5), 7 / sqrt(90.0), 1e-12);
        CHECK_NEAR(eval_spearman(x, y, 5), 0.7378647873726218, 1e-12);
        double c[] = { 1, 1, 1, 1, 1 };
        CHECK_TRUE(isnan(eval_spearman(x, c, 5)));
    }

    TEST("pearson and spearman agree with textbook formulas on random data") {
        enum { N = 500 };
        double x[N], y[N];
        srand(7);
        for (int i = 0; i < N; i++) {
            x[i] = rand() / (double)RAND_MAX;
            y[i] = x[i] * 0.5 + rand() / (double)RAND_MAX;
        }
        CHECK_NEAR(eval_pearson(x, y, N), pearson_textbook(x, y, N), 1e-10);
        CHECK_NEAR(eval_spearman(x, y, N), spearman_noties(x, y, N), 1e-10);
    }

    TEST("sts table: four similarity functions and the max") {
        enum { N = 6, D = 3 };
        float a[N * D] = { 1, 0, 0,  1, 1, 0,  0, 1, 2,  3, 1, 1,  -1, 2, 0,  2, 2, 2 };
        float b[N * D] = { 1, 0, 0,  1, 0, 0,  0, 2, 1,  1, 1, 3,  1, -2, 1,  1, 1, 1 };
        double gold[N] = { 5, 3.5, 3, 2, 0, 4 };
        double cos[N], euc[N], man[N], dot[N];
        for (int i = 0; i < N; i++) {
            double aa = 0, bb = 0, ab = 0, l2 = 0, l1 = 0;
            for (int j = 0; j < D; j++) {
                double p = a[i * D + j], q = b[i * D + j];
                aa += p * p; bb += q * q; ab += p * q; l2 += (p - q) * (p - q); l1 += fabs(p - q);
            }
            cos[i] = ab / sqrt(aa * bb); euc[i] = -sqrt(l2); man[i] = -l1; dot[i] = ab;
        }
        struct eval_sts r;
        CHECK_OK(eval_sts(a, b, N, D, gold, &r));
        double *fn[4] = { cos, euc, man, dot };
        double pmax = -2, smax = -2;
        for (int k = 0; k < 4; k++) {
            double p = pearson_textbook(gold, fn[k], N), s = eval_spearman(gold, fn[k], N);
            CHECK_NEAR(r.value[2 * k], p, 1e-9);
            CHECK_NEAR(r.value[2 * k + 1], s, 1e-12);
            if (p > pmax) pmax = p;
            if (s > smax) smax = s;
        }
        CHECK_NEAR(r.value[8], pmax, 1e-9);
        CHECK_NEAR(r.value[9], smax, 1e-12);
        /* cosine of pair 0 is 1, gold 5: the best pair ranks first */
        CHECK_STR(eval_sts_metric_name(0), "pearson_cosine");
        CHECK_STR(eval_sts_metric_name(9), "spearman_max");
        CHECK_INT(eval_sts(a, b, 1, D, gold, &r), ERR_INVALID);
        CHECK_INT(eval_sts(a, b, N, 0, gold, &r), ERR_INVALID);
    }
    return test_summary();
}
