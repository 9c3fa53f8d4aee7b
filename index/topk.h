/*
 * topk.h - exact nearest rows by inner product: a blocked sgemm and one
 * top-k list per query row. The one exact top-k of the project: the
 * ground truth of the index tuner (index/build.c) and exact mining
 * (query/mine.c) both feed it block by block.
 *
 * A list is k (score, id) entries, best first: score descending, and on
 * equal scores the row seen first (the earlier block, the lower row in a
 * block) first, so a pass over rows in id order breaks ties by the lower
 * id. Unused entries have id -1 (score -INFINITY).
 *
 *     topk_reset(ls, lc, NULL, nq, k);
 *     for each block of m rows x (ids):                          // one pass
 *         topk_block(q, NULL, nq, x, ids, m, dim, k, -INFINITY, S, ls, lc, NULL);
 *
 * Threading: topk_block runs cblas_sgemm and one OpenMP loop over the query
 * rows; call it from one thread, outside any parallel region.
 */
#ifndef SEMINDEX_TOPK_H
#define SEMINDEX_TOPK_H

#include <stddef.h>
#include <stdint.h>

/* topk_reset: empty the nq lists (ls, lc and, if not NULL, le: nq x k). */
void topk_reset(float *ls, int64_t *lc, float *le, size_t nq, int k);

/* topk_block: S (nq, m) = q (nq, dim) * x^T (m, dim) (cblas_sgemm; S has
 * room for nq * m floats), then query row r's list (ls, lc + r k) takes the
 * rows j of the block with S >= min and ids[j] != self[r] (self NULL: no
 * row is skipped). le (NULL: not kept) gets, for every entry that enters a
 * list, topk_score of the two vectors: the exact score of the kept rows
 * while their vectors are at hand, so that nobody reads them again. */
void topk_block(const float *q, const int64_t *self, size_t nq, const float *x, const int64_t *ids, size_t m,
                int dim, int k, float min, float *S, float *ls, int64_t *lc, float *le);

/* topk_score: the inner product summed in index order in double and
 * rounded once to float: independent of the BLAS, the block and the CPU
 * (query/mine.h mine_score, the score every mining path reports). */
float topk_score(const float *a, const float *b, int dim);

#endif
