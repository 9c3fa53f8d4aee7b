/*
 * build.h - the index planner, builder and manifest: which FAISS index to
 * build for a corpus, building and tuning it, and refusing to use an index
 * that does not match its store.
 *
 * Planner (like autofaiss): from the vector count n, the dimension and a
 * memory budget for the index, pick the first that fits of
 *   1. IDMap,Flat                      n <= 20000: exact, cheap enough
 *   2. IDMap,HNSW32 (or HNSW16)        n <= 2M and vectors + graph fit
 *   3. IVF{k},Flat                     vectors + centroids fit
 *   4. IVF{k},PQ{m}np                  m in dim/4, dim/8 (codes of m bytes)
 *   5. OPQ{m}_{dim},IVF{k},PQ{m}np     m in dim/16, dim/32, ... down to 8
 * ("np": no polysemous training, which only serves Hamming pre-filtering)
 * with k = 4 sqrt(n) rounded to a power of two and at most n / 39, and a
 * training sample of 39 to 64 vectors per centroid, above 39 at most n / 10
 * (all of them when n is smaller), so that k-means costs a bounded multiple
 * of the add pass (build.c, train_size). When nothing fits, the smallest
 * (5. with m = 8) is chosen and the plan says so (over_budget).
 *
 * Adding (IVF): a first pass over the vectors assigns each to its list (the
 * coarse quantizer's search FAISS's add would do; the lists kept, 4 bytes a
 * vector), each inverted list is then reserved at its final size and a second
 * pass encodes and adds the vectors to the lists found. FAISS alone grows each
 * list by doubling as batches arrive, which left up to twice the codes
 * allocated (docs/index.md "Build memory").
 *
 * Tuning: a sample of the vectors (up to 500, evenly spaced) is searched
 * exactly (blocked sgemm over all n) and through the index; nprobe (IVF) or
 * efSearch (HNSW) doubles from 1 / 16 until recall@10 reaches the target
 * (default 0.95), or its largest value. The value and the measured recall are
 * recorded in the manifest and applied by build_open.
 *
 * Files: <path>.manifest.json is the manifest; the FAISS index data is the
 * file it names in "file", <path>.<16 hex> (the head of its checksum), and
 * <path> is a hard link to that file for other tools. The pair is replaced
 * as one unit: the new data file is written and fsynced under its own name,
 * then the manifest is replaced atomically (tmp, fsync, rename: the one
 * commit point), then older data files are removed. A build killed at any
 * moment leaves the old pair or the new one, both usable; the temp files it
 * leaves (<path>.new, *.tmp) are removed by the next build. A manifest
 * without "file" (older builds) names <path> itself:
 *   {"format": 1, "factory": "IVF1024,Flat", "dim": 384,
 *    "metric": "inner_product", "ntotal": 1000000, "trained_ntotal": 900000,
 *    "max_id": 1000041, "model_fingerprint": "<32 hex>",
 *    "store_generation": 7, "checksum": "<xxh128 of the index file>",
 *    "recall_at_10": 0.962, "recall_target": 0.95, "nprobe": 32,
 *    "efSearch": 0, "n_train": 262144, "file": "index.faiss.0123456789abcdef"}
 * build_open checks every field against what the caller expects; the first
 * that differs is ERR_MISMATCH naming it ("index 'x': manifest field
 * 'model_fingerprint' is 'ab..', the store has 'cd..'"). build_open_stale
 * (query) accepts an index of an older store generation: it checks only what
 * makes an index unusable (model fingerprint, dimension, checksum) and
 * returns the manifest's generation, ntotal and max_id so the caller can say
 * how far the index is behind.
 *
 * Incremental update (the nightly run): build_update adds the vectors the
 * index does not have yet, when the store only appended (ids grow, so the
 * first ntotal rows are the indexed ones and all later ids exceed max_id),
 * the model and dimension are unchanged, and the store has grown by less
 * than growth_factor (default 2) since the index was trained; then it
 * re-tunes and rewrites index and manifest. Otherwise it rebuilds from
 * scratch (re-planning and re-training). *rebuilt tells which happened.
 *
 *     struct build_options o = BUILD_OPTIONS_INIT;
 *     o.memory_budget = 8ull << 30;
 *     struct build_meta m = { fingerprint, generation };
 *     struct build_result r;
 *     build_index("store/index.faiss", x, ids, n, dim, &m, &o, &r);
 *     ...
 *     struct ann *a;
 *     build_open("store/index.faiss", &m, dim, n, 0, &a);   // ERR_MISMATCH?
 *
 * Vectors must be L2-normalized (ann_normalize). Threading: one call at a
 * time; FAISS and OpenBLAS run their own OpenMP teams.
 */
#ifndef SEMINDEX_BUILD_H
#define SEMINDEX_BUILD_H

#include <stddef.h>
#include <stdint.h>

struct ann;

enum build_kind { BUILD_FLAT, BUILD_HNSW, BUILD_IVF_FLAT, BUILD_IVF_PQ, BUILD_OPQ_IVF_PQ, BUILD_IVF_SQ8 };

struct build_plan {
    char factory[128];
    enum build_kind kind;
    int64_t nlist;        /* IVF lists, 0 otherwise */
    int hnsw_m;           /* HNSW neighbours per node, 0 otherwise */
    int pq_m;             /* PQ bytes per vector, 0 otherwise */
    int64_t n_train;      /* training sample size (0 = no training) */
    uint64_t est_bytes;   /* estimated index memory */
    uint64_t work_bytes;  /* the build's working memory besides the index:
                             the training sample (and FAISS's copies of it),
                             one batch of vectors being added and, for IVF,
                             the list of every vector (4 bytes each) */
    int64_t batch;        /* rows read and added per batch */
    int over_budget;      /* nothing fitted the budget */
};

/* build_batch_rows: the rows per add batch for n vectors: 4096, at most a
 * sixteenth of the budget (0 = unlimited) but at least 256. */
int64_t build_batch_rows(int64_t n, int dim, uint64_t budget);

/* build_plan_for: choose an index for n vectors of dim under budget bytes
 * (0 = unlimited). ERR_INVALID when n < 1 or dim < 1. */
int build_plan_for(int64_t n, int dim, uint64_t budget, struct build_plan *out);

/* build_plan_factory: a plan for a user's factory string (nlist and the
 * training sample read from "IVF<k>" when present). */
int build_plan_factory(const char *factory, int64_t n, int dim, struct build_plan *out);

/* build_factory_with_ids: factory as built, in out[cap]: a factory whose
 * index cannot take ids (anything but IVF*, e.g. Flat, HNSW32, PQ16) is
 * wrapped as "IDMap,<factory>"; build_plan_factory applies it. */
int build_factory_with_ids(const char *factory, char *out, size_t cap);

struct build_options {
    const char *factory;      /* NULL or "auto": the planner decides */
    uint64_t memory_budget;   /* bytes, 0 = unlimited */
    double recall_target;     /* recall@10 to reach when tuning (0.95) */
    int n_tune_queries;       /* held-out sample size (500) */
    double growth_factor;     /* build_update retrains beyond this growth (2.0) */
};
#define BUILD_OPTIONS_INIT { NULL, 0, 0.95, 500, 2.0 }

/* What the index is built from; build_open compares it with the manifest. */
struct build_meta {
    const char *model_fingerprint;
    uint64_t store_generation;
};

struct build_result {
    struct build_plan plan;
    double recall;        /* measured recall@10 */
    int nprobe, ef_search;
    int64_t ntotal;
    int rebuilt;          /* build_update: 1 = from scratch, 0 = added */
    double seconds;
    int streamed;         /* vectors were read in batches (build_*_stream) */
    double train_seconds, add_seconds, tune_seconds;
    double assign_seconds;  /* IVF: the pass assigning every vector to its list
                               before the add (part of add_seconds) */
};

/* build_index: plan (or take o->factory), train on a sample, add all n
 * vectors with ids, tune, write index and manifest. */
int build_index(const char *path, const float *x, const int64_t *ids, int64_t n, int dim,
                const struct build_meta *meta, const struct build_options *o, struct build_result *r);

/* build_update: see "Incremental update" above. */
int build_update(const char *path, const float *x, const int64_t *ids, int64_t n, int dim,
                 const struct build_meta *meta, const struct build_options *o, struct build_result *r);

/* Streamed input (out-of-core build): the n vectors in id order, a batch at
 * a time, never all in memory. rewind() starts over at the first vector;
 * next() fills up to cap rows (ids ascending, vectors L2-normalized) and
 * returns their count, 0 at the end, or a negative error; vector() fills
 * the vector of one id (ERR_NOTFOUND when absent). The build reads the
 * source in passes: the training sample (evenly spaced rows), the adds
 * (batches of plan.batch rows, the tuning queries picked on the way), and
 * the exact ground truth for tuning (a blocked sgemm over the batches).
 * Peak memory: the index + plan.work_bytes + the tuning queries and their
 * score block (n_tune_queries x batch floats). build_index / build_update
 * are these over an in-memory array. */
struct build_source {
    int64_t n;
    int (*rewind)(void *ctx);
    long (*next)(void *ctx, int64_t *ids, float *x, size_t cap);
    int (*vector)(void *ctx, int64_t id, float *x);
    void *ctx;
};

/* build_array_source: the n rows of x (dim floats each, L2-normalized)
 * under ids (NULL = row numbers) as a source, rows in array order (mining
 * takes any ids; the build wants them ascending); a holds its state and,
 * after the first vector() call, an id index (build_array_release). */
struct build_idrow { int64_t id, row; };
struct build_array {
    const float *x;
    const int64_t *ids;
    int64_t n, at;
    int dim;
    struct build_idrow *by_id;
};
struct build_source build_array_source(struct build_array *a, const float *x, const int64_t *ids, int64_t n,
                                       int dim);
void build_array_release(struct build_array *a);

int build_index_stream(const char *path, const struct build_source *src, int dim, const struct build_meta *meta,
                       const struct build_options *o, struct build_result *r);
int build_update_stream(const char *path, const struct build_source *src, int dim, const struct build_meta *meta,
                        const struct build_options *o, struct build_result *r);

/* build_open: read the manifest and the index, check them against the
 * caller's store (model fingerprint, store generation, dim, ntotal; ntotal
 * < 0 skips that check), verify the checksum, apply nprobe / efSearch.
 * flags are ann_read's (ANN_READ_MMAP). ERR_NOTFOUND when either file is
 * missing, ERR_FORMAT for a bad manifest, ERR_MISMATCH naming the field. */
int build_open(const char *path, const struct build_meta *meta, int dim, int64_t ntotal, int flags,
               struct ann **out);

/* What an index was built from (build_open_stale). */
struct build_facts {
    uint64_t generation;  /* store generation at build time */
    int64_t ntotal;       /* vectors in the index */
    int64_t max_id;       /* largest indexed chunk id (-1 when none) */
};

/* build_open_stale: open the index as build_open does, but accept any store
 * generation and vector count: ERR_MISMATCH only for another model
 * fingerprint, another dimension or a checksum mismatch. facts may be NULL. */
int build_open_stale(const char *path, const char *fingerprint, int dim, int flags, struct ann **out,
                     struct build_facts *facts);

/* build_recall_at_10: recall@10 of index against exact search for the
 * sample queries q (nq rows): the share of the exact top 10 matched by the
 * index's top 10, where a returned vector matches when its true score
 * reaches the exact 10th score (so ties between duplicates do not count as
 * misses, and PQ results are judged by true scores). Exposed for tests and
 * the benchmark. */
int build_recall_at_10(const struct ann *index, const float *x, const int64_t *ids, int64_t n, int dim,
                       const float *q, int nq, double *recall);

#endif
