/*
 * eval.h - STS evaluation: sentence-transformers' EmbeddingSimilarityEvaluator.
 *
 * Given the embeddings of n sentence pairs and their gold scores, the
 * evaluator scores every pair four ways (as sentence-transformers 3.x does
 * with sklearn's paired distances):
 *
 *   cosine     1 - paired_cosine_distance(a, b) = cos(a, b)
 *   euclidean  -||a - b||_2
 *   manhattan  -||a - b||_1
 *   dot        a . b
 *
 * and correlates each with the gold scores: Pearson (scipy.stats.pearsonr)
 * and Spearman (scipy.stats.spearmanr: Pearson of the ranks, ties given
 * their average rank as scipy.stats.rankdata(method="average") does).
 * "max" is the largest Pearson and the largest Spearman over the four.
 * Embeddings are used as the model gives them (not re-normalized), so
 * euclidean, manhattan and dot match the Python numbers for models without a
 * Normalize module too. A correlation with a constant input is NaN (scipy
 * warns and returns nan).
 *
 *     struct eval_sts r;
 *     eval_sts(emb1, emb2, n, dim, gold, &r);
 *     for (int i = 0; i < EVAL_STS_N_METRICS; i++)
 *         printf("%s %.4f\n", eval_sts_metric_name(i), r.value[i]);
 *
 * All arithmetic is in double. Pure functions: thread-safe.
 */
#ifndef SEMINDEX_EVAL_H
#define SEMINDEX_EVAL_H

#include <stddef.h>

/* The metrics in the order of the model card table: pearson_cosine,
 * spearman_cosine, pearson_euclidean, spearman_euclidean, pearson_manhattan,
 * spearman_manhattan, pearson_dot, spearman_dot, pearson_max, spearman_max. */
#define EVAL_STS_N_METRICS 10

struct eval_sts {
    double value[EVAL_STS_N_METRICS];
};

/* eval_sts_metric_name: "pearson_cosine", ... for i in [0, EVAL_STS_N_METRICS). */
const char *eval_sts_metric_name(int i);

/* eval_sts: e1, e2 are n rows of dim floats; gold has n scores. ERR_INVALID
 * when n < 2 or dim < 1; ERR_NOMEM. */
int eval_sts(const float *e1, const float *e2, size_t n, int dim, const double *gold,
             struct eval_sts *out);

/* eval_pearson: Pearson's r of x and y (n >= 2), NaN when either is
 * constant; clipped to [-1, 1] like scipy. */
double eval_pearson(const double *x, const double *y, size_t n);

/* eval_rank_average: ranks 1..n of x into ranks[n], ties get the mean of
 * the ranks they span (scipy.stats.rankdata "average"). ERR_NOMEM or 0. */
int eval_rank_average(const double *x, size_t n, double *ranks);

/* eval_spearman: Spearman's rho = Pearson of the average ranks; NaN when
 * either input is constant. ERR_NOMEM is reported as NaN with err_msg set. */
double eval_spearman(const double *x, const double *y, size_t n);

#endif
