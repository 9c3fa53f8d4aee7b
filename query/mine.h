/*
 * mine.h - paraphrase mining and clusters over L2-normalized vectors.
 *
 * Pairs follow sentence-transformers' util.paraphrase_mining_embeddings:
 * every vector looks for its top_k most similar other vectors (cosine = inner
 * product of normalized vectors); each unordered pair found from either side
 * is kept once, as (a, b) with a < b; the max_pairs best are returned sorted
 * by score descending. Deliberate differences, all documented in
 * docs/index.md:
 *   - a threshold drops pairs scoring below it (the CLI's --threshold);
 *   - ties are broken deterministically: a neighbour list prefers the lower
 *     position on equal scores, and the result is ordered by (score desc,
 *     a asc, b asc); torch.topk breaks ties arbitrarily;
 *   - a reported score is mine_score() of the pair, recomputed in one fixed
 *     order: the sgemm / FAISS scores only choose the candidates (with a
 *     margin of MINE_RESCORE_MARGIN below the threshold and the max_pairs
 *     floor), so exact, ANN and streamed mining agree to the last bit on
 *     every machine;
 *   - with an index of compressed codes (SQ8, PQ: ann_compressed) the
 *     approximate score errs by far more than the margin, and the rank
 *     among close neighbours with it, so MINE_COMPRESSED_FETCH x top_k
 *     candidates are asked of the index, every one scored exactly, and a
 *     vector's best top_k by exact score nominated;
 *   - chunking never changes the result (sentence-transformers takes top_k
 *     per corpus chunk, so its answer depends on corpus_chunk_size when n
 *     exceeds it), and max_pairs counts distinct pairs (its priority queue
 *     holds max_pairs - 1 directed entries, both directions of a pair
 *     included, so it returns fewer).
 *
 * Two ways to find the neighbours:
 *   mine_exact  brute force in blocks: an sgemm of query_chunk x corpus_chunk
 *               scores at a time, so memory is bounded by the block, the
 *               query chunk's top-k lists and the pair buffer (about
 *               3 * max_pairs entries), never by n^2;
 *   mine_ann    k-nearest-neighbour search in a FAISS index (index/ann) built
 *               over the same vectors with ids = the caller's ids; its recall
 *               is the index's.
 * Both report pairs in the caller's id space (ids[i] for row i; ids NULL =
 * row numbers).
 *
 * Clusters:
 *   mine_components   connected components of the mined pairs scoring at
 *                     least a threshold, of at least min_size members;
 *   mine_communities  sentence-transformers' util.community_detection: each
 *                     vector with at least min_size neighbours at cosine >=
 *                     threshold (itself included) proposes the community of
 *                     all of them, ordered by score; proposals are taken
 *                     largest first, members already taken are removed, and
 *                     what keeps at least min_size members is a community,
 *                     its first member the proposing vector ("central").
 *                     Exact (blocked sgemm); memory grows with the total
 *                     size of the proposals.
 * Clusters are ordered by size descending (ties: in the order found).
 *
 *     struct mine_options o = MINE_OPTIONS_INIT;
 *     o.threshold = 0.8f;
 *     struct mine_pair *p; size_t np;
 *     if (mine_exact(x, ids, n, dim, &o, &p, &np) < 0) die(err_msg());
 *     for (size_t i = 0; i < np; i++) printf("%.4f %lld %lld\n", p[i].score, p[i].a, p[i].b);
 *     mem_free(p);
 *
 * Threading: the functions run OpenBLAS / FAISS and their own OpenMP loops;
 * call them from one thread, outside any parallel region.
 */
#ifndef SEMINDEX_MINE_H
#define SEMINDEX_MINE_H

#include <stddef.h>
#include <stdint.h>

#include "index/build.h"

struct ann;

struct mine_pair {
    float score;     /* cosine */
    int64_t a, b;    /* ids, a < b */
};

/* what list-wise mining did (mine_ann_lists), for -v and the benchmarks */
struct mine_stats {
    uint64_t lists;         /* query lists mined */
    uint64_t groups;        /* groups of query lists mined together */
    uint64_t list_loads;    /* lists read from the source (a list evicted and needed again counts again) */
    uint64_t vectors_read;  /* vectors read by id for them */
    uint64_t scores;        /* row x candidate scores computed (sgemm entries) */
};

#define MINE_LIST_CACHE_BYTES ((size_t)256 << 20)

struct mine_options {
    int top_k;              /* neighbours per vector (sentence-transformers: 100) */
    size_t max_pairs;       /* pairs returned at most (500000) */
    float threshold;        /* drop pairs below it (-1 = keep all) */
    size_t query_chunk;     /* rows per sgemm block (1024) */
    size_t corpus_chunk;    /* columns per sgemm block (16384) */
    size_t cache_bytes;     /* list-wise mining's cache of lists (MINE_LIST_CACHE_BYTES;
                             * mine_cache_bytes sizes it from a memory budget) */
    struct mine_stats *stats; /* NULL, or filled by mine_ann_lists */
};
#define MINE_OPTIONS_INIT { 100, 500000, -1.0f, 1024, 16384, MINE_LIST_CACHE_BYTES, NULL }

/* how far below the threshold (and the max_pairs floor) a kernel's score may
 * be and the pair still be scored exactly: float dot products of unit
 * vectors of dimension <= 4096 err by less than 1e-5 */
#define MINE_RESCORE_MARGIN 1e-4f
#define MINE_COMPRESSED_FETCH 3   /* candidates per neighbour kept, from compressed codes */

/* mine_exact: x is n rows of dim floats, L2-normalized; ids (n, distinct) or
 * NULL. *out (owned, mem_free) gets *n_out pairs. ERR_INVALID on bad
 * options, ERR_NOMEM. */
int mine_exact(const float *x, const int64_t *ids, size_t n, int dim, const struct mine_options *o,
               struct mine_pair **out, size_t *n_out);

/* mine_ann: the same with the neighbours from index, which holds the rows of
 * x under ids (ids NULL = row numbers). ERR_INVALID when the index dimension
 * differs; ERR_ANN from FAISS. */
int mine_ann(const struct ann *index, const float *x, const int64_t *ids, size_t n, int dim,
             const struct mine_options *o, struct mine_pair **out, size_t *n_out);

/* Streamed mining reads the vectors from a struct build_source
 * (index/build.h; the store's: query/search.h search_source; an array's:
 * build_array_source): src->next(ctx, ids, x, cap) fills up to cap rows
 * (L2-normalized) and returns their count, 0 at the end, or a negative error
 * (returned as is); src->vector(ctx, id, x) fills the vector of one id (0,
 * ERR_NOTFOUND when the id left the source since the index was built: the
 * pair is skipped, or another negative error); src->rewind starts next()
 * over (mine_exact_stream and mine_auto_choose).
 *
 * mine_ann_stream: mine_ann with the query vectors pulled in batches from
 * src, the other side of a candidate pair by src->vector for its exact
 * score. Memory: one batch, not the corpus, so a store of millions of
 * vectors is mined without loading it (semindex mine --ann). */
int mine_ann_stream(const struct ann *index, int dim, const struct build_source *src,
                    const struct mine_options *o, struct mine_pair **out, size_t *n_out);

/* mine_ann_stream runs one of two ways:
 *
 * mine_ann_lists (an IVF index, ann_nlist > 0, and src->vector): by
 * inverted list, doing the work the searches of the lists' vectors would
 * do and no more. Query lists are mined in groups: a group's vectors are
 * read from src by id (the stored vectors, not the index's codes) and each
 * row is scored only against the vectors of the lists its own search
 * probes (ann_probe_lists, nprobe lists; with nprobe 1 just its list, each
 * vector having been added to the list of its nearest centroid, which is
 * what a search of it probes: no probe is computed, a group is one list).
 * The candidate lists of a group (the union of its rows' probes) are
 * visited in ascending order; for each, the group's rows that probe it are
 * gathered (with their top-k state) into blocks of query_chunk rows and
 * scored against it, corpus_chunk columns at a time, by cblas_sgemm
 * (index/topk.h topk_block), then their top-k state is put back. Each row
 * keeps its top_k with exact scores (mine_score of the two stored vectors,
 * as mine_exact_stream), then the bounded candidate pairs as everywhere.
 * The result is each vector's top_k among the vectors of the lists its
 * search probes, scored exactly: what an IVF-Flat search with that nprobe
 * followed by exact re-scoring finds (mine_ann_queries on IVF-Flat, up to
 * ties), so compressed codes (SQ8, PQ) cost nothing in accuracy here: the
 * codes only chose the lists. Ties in a row prefer the candidate seen
 * first (lists ascending, ids ascending within a list). Neither the
 * grouping nor the cache changes the result.
 *
 * Groups and cache: a cache of lists, least recently used out first, holds
 * at most o->cache_bytes (the group's own lists are pinned; beyond it only
 * they and the list being scored); a group takes lists up to half of it
 * (at least one list), walked so that consecutive lists share candidates:
 * after a list, the unvisited list the group's rows probe most (ties: the
 * lower number), else the lowest unvisited list (with nprobe 1: ascending,
 * each list read once and dropped). Each candidate list is read at most
 * once per group. Memory: the cache, the score block, the group's rows,
 * top-k lists and probes, one gathered block and the pairs; never
 * n x dim; the index's codes are never read (ann_read with ANN_READ_MMAP
 * leaves them on disk). Progress counts lists, groups and list loads;
 * o->stats gets the counts. ERR_INVALID without lists or src->vector.
 *
 * mine_ann_queries (every other index: Flat, HNSW; the reference path):
 * one FAISS search per batch of query vectors from src->next, the
 * candidates' vectors read by id for their exact scores (compressed codes:
 * MINE_COMPRESSED_FETCH x top_k candidates, best top_k by exact score). */
int mine_ann_lists(const struct ann *index, int dim, const struct build_source *src,
                   const struct mine_options *o, struct mine_pair **out, size_t *n_out);
int mine_ann_queries(const struct ann *index, int dim, const struct build_source *src,
                     const struct mine_options *o, struct mine_pair **out, size_t *n_out);

/* mine_cache_bytes: the list cache that fits a memory budget next to an
 * index opened with ANN_READ_MMAP (its quantizer, nlist x dim floats, and
 * ids kept by FAISS; the codes stay on disk) and the mining's own buffers
 * (the candidate pairs, 2 x max_pairs at most, the score block and the
 * top-k state of the largest list): budget minus all that, but at least
 * MINE_LIST_CACHE_MIN: below it a budget is exceeded anyway (the pairs
 * alone take more) and a cache of almost nothing re-reads every candidate
 * list for every query list (a 25,000 x 32 store under 1 MiB: minutes
 * instead of a second). */
#define MINE_LIST_CACHE_MIN ((size_t)16 << 20)
size_t mine_cache_bytes(const struct ann *index, int dim, const struct mine_options *o, uint64_t budget);

/* mine_exact_stream: mine_exact over the src->n vectors of src in id order
 * (ids ascending, so ties prefer the lower id as mine_exact prefers the
 * lower row): one pass for each block of query_chunk rows, scoring it
 * against corpus_chunk rows at a time (index/topk.h; the pass also collects
 * the next query block, and the lists keep the exact scores of their rows,
 * so no vector is read by id). Memory: two query blocks, one corpus block,
 * the score block and the top-k lists, independent of n (semindex mine
 * --exact). mine_exact is this over an array (build_array_source).
 * ERR_MISMATCH when the source does not yield src->n rows. */
int mine_exact_stream(const struct build_source *src, int dim, const struct mine_options *o,
                      struct mine_pair **out, size_t *n_out);

/* The auto choice between exact and ANN mining (semindex mine and run
 * without --exact / --ann), from measured throughput, not a fixed n: the
 * first AUTO_ROWS (2048) vectors of src are read (timing the store), 256
 * of them are scored against all of them by sgemm + the score scan exactly
 * as mine_exact_stream does (pairs/s), and searched in the index for top_k
 * + 1 neighbours, plus, for compressed codes, the exact re-scoring of their
 * candidates with vectors read by id (queries/s). Estimates for n vectors:
 *   exact  n^2 / pairs_per_s + ceil(n / query_chunk) passes of n reads
 *   ann    the path mine_ann_stream takes:
 *          per query (mine_ann_queries: Flat, HNSW): n / queries_per_s +
 *          one pass of n reads;
 *          list-wise (mine_ann_lists: IVF): sum over lists of |l|^2 (times
 *          nprobe when above 1: each vector against its nprobe lists, taken
 *          as l's size; plus n x nlist for the probes), scaled by (n / ntotal)^2, at the measured pairs_per_s (the same
 *          sgemm + scan), + n reads by id at the rate measured on ids of 8
 *          lists spread over the index; ann_queries_per_s is n / that
 * ANN is chosen when there is an index and the exact estimate exceeds
 * MINE_AUTO_EXACT_FACTOR times the ANN's and MINE_AUTO_EXACT_FLOOR
 * seconds: exact answers are worth some wait. src is rewound at the end. */
#define MINE_AUTO_EXACT_FACTOR 2.0
#define MINE_AUTO_EXACT_FLOOR 30.0
struct mine_auto {
    double read_rows_per_s;     /* vectors read from the source per second */
    double exact_pairs_per_s;   /* exact scores (with their scan) per second */
    double ann_queries_per_s;   /* index searches (+ re-scoring) per second; 0 without index */
    double exact_seconds;       /* estimated exact mining time for n */
    double ann_seconds;         /* estimated ANN mining time for n; 0 without index */
    int use_ann;
};
int mine_auto_choose(const struct ann *index, const struct build_source *src, size_t n, int dim,
                     const struct mine_options *o, struct mine_auto *out);

/* mine_score: the score every mining path reports for a pair, the inner
 * product summed in index order in double and rounded once to float.
 * Symmetric in (a, b) and independent of the BLAS, the FAISS kernel, the
 * batch and the CPU, so ties and near-ties order the same everywhere. */
float mine_score(const float *a, const float *b, int dim);

/* Clusters in compressed form: cluster c has the ids
 * member[start[c] .. start[c+1]), n clusters. */
struct mine_clusters {
    size_t n;
    size_t *start;     /* n + 1 offsets */
    int64_t *member;
};

/* mine_components: components of the graph of pairs with score >= threshold,
 * min_size members or more; members in ascending id order. */
int mine_components(const struct mine_pair *p, size_t n_pairs, float threshold, size_t min_size,
                    struct mine_clusters *out);

/* mine_communities: community detection as described above. */
int mine_communities(const float *x, const int64_t *ids, size_t n, int dim, float threshold,
                     size_t min_size, struct mine_clusters *out);

/* mine_clusters_release: free and zero (accepts a zeroed struct). */
void mine_clusters_release(struct mine_clusters *c);

/* mine_pair_cmp: the result order (score desc, a asc, b asc), for qsort. */
int mine_pair_cmp(const void *x, const void *y);

#endif
