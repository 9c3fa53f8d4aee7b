/*
 * search.h - the reading side: the nearest chunks of query texts or of a
 * stored chunk (search_open, search_query: what `semindex query` does), and
 * the plumbing between a store and its index under it: load the store's
 * vectors, open the index that belongs to the store (its
 * manifest checked against the store's model fingerprint, generation,
 * dimension and vector count; or, for query, an index of an older
 * generation, with how far it is behind), encode queries with the store's
 * model, say where a chunk comes from (search_src), and write mining reports
 * with the copies left out of the pairs and grouped (search_write_pairs).
 *
 * The index of a store lives at DIR/index.faiss with its manifest
 * DIR/index.faiss.manifest.json (see index/build.h).
 *
 *     struct store_info in;  store_txn_info(t, &in);
 *     struct ann *a;
 *     if (search_open_index(dir, &in, 0, &a) < 0) die(err_msg());  // ERR_MISMATCH
 *     struct enc *e;
 *     search_open_encoder(&in, NULL, 0, -1, &e);    // refuses another model
 *
 * A search, from a C program:
 *
 *     struct search *se;
 *     if (search_open(dir, NULL, &se) < 0) die(err_msg());
 *     struct search_request rq = SEARCH_REQUEST_INIT;
 *     rq.text = texts; rq.len = lens; rq.n = 2; rq.k = 5;
 *     search_query(se, &rq, on_hit, ctx);   // on_hit(ctx, &hit) per hit, rank 1 first
 *     search_close(se);
 *
 * Threading: as the store and the encoder (one thread per txn / enc, so one
 * thread per struct search).
 */
#ifndef SEMINDEX_SEARCH_H
#define SEMINDEX_SEARCH_H

#include <math.h>
#include <stddef.h>
#include <stdint.h>

#include "common/buf.h"
#include "index/store/store.h"

struct ann;
struct enc;

/* search_index_path: DIR/index.faiss into out. */
int search_index_path(struct buf *out, const char *store_dir);

/* search_load_vectors: every vector of the snapshot, in chunk-id order,
 * L2-normalized: *ids (n) and *x (n * dim), owned (mem_free). */
int search_load_vectors(struct store_txn *t, const struct store_info *in, int64_t **ids, float **x,
                        size_t *n);

/* search_source: the snapshot's vectors as an index build source
 * (index/build.h): streamed in chunk-id order, L2-normalized, a batch at a
 * time, by id for tuning; s holds the iterator (search_source_release
 * before store_read_end). */
struct build_source;
struct search_src {
    struct store_txn *t;
    struct store_iter *it;
    int dim;
};
int search_source(struct search_src *s, struct store_txn *t, const struct store_info *in, struct build_source *out);
void search_source_release(struct search_src *s);

/* search_rescore: exact scores for search results (query reports these on
 * every index type; with compressed codes, ann_compressed, from 4 k candidates):
 * each of the nq rows of kc results (scores sc, ids lab, as ann_search
 * gives them for the queries q) gets the exact scores (mine_score with the
 * stored vector), is re-sorted (score desc, id asc), and the best kk of it
 * are moved to row stride kk (kk <= kc). Ids no longer in the store drop
 * out (id -1, score -inf). */
int search_rescore(struct store_txn *t, int dim, const float *q, size_t nq, int kc, int kk, float *sc, int64_t *lab);

/* search_open_index: build_open of DIR/index.faiss against the store's
 * facts. ERR_NOTFOUND (with a hint to run `semindex build`), ERR_MISMATCH. */
int search_open_index(const char *store_dir, const struct store_info *in, int flags, struct ann **out);

/* How far an index is behind its store (search_open_index_stale):
 *   newer  vectors in the store whose chunk id is greater than the largest
 *          id in the index (max_id in the manifest): chunks ingested after
 *          the build, which queries do not find until the next build;
 *   gone   indexed vectors whose chunks are no longer in the store (their
 *          shard changed or was re-done): index ntotal minus the store's
 *          vectors with id <= max_id, at least 0; such hits are dropped. */
struct search_staleness {
    uint64_t index_generation, store_generation;
    int64_t index_ntotal;
    int64_t newer, gone;
};

/* search_open_index_stale: open DIR/index.faiss built at any generation of
 * the store (build_open_stale: ERR_MISMATCH only for another model,
 * dimension or a checksum mismatch) and measure *st in the snapshot t. */
int search_open_index_stale(const char *store_dir, struct store_txn *t, const struct store_info *in, int flags,
                            struct ann **out, struct search_staleness *st);

/* search_open_encoder: enc_create(model, or NULL: the store's in->model) at
 * precision (enum enc_precision; -1 = the store's, in->precision) and check
 * that its fingerprint and dimension are the store's (ERR_MISMATCH naming
 * both fingerprints otherwise). A recorded model that is gone is ERR_NOTFOUND
 * saying that --model DIR points at a moved one. */
int search_open_encoder(const struct store_info *in, const char *model, int n_threads, int precision,
                        struct enc **out);

/* ---- search ---------------------------------------------------------- */

/* search_open's options (NULL = all defaults) */
struct search_options {
    int flags;            /* ann_read's (ANN_READ_MMAP) */
    const char *model;    /* the store's model moved here (checked); NULL = the store's */
    int n_threads;        /* encoder threads, 0 = all cores */
    int precision;        /* enum enc_precision for queries; -1 = the store's */
};
#define SEARCH_OPTIONS_INIT { 0, NULL, 0, -1 }

struct search;

/* search_open: open the store at store_dir read-only, a read snapshot of it
 * and its index (search_open_index_stale: an index of an older generation
 * serves, search_stale says how far behind). The encoder is created on the
 * first query by text (search_open_encoder). ERR_NOTFOUND (no store, no
 * index), ERR_MISMATCH, ERR_STORE, ERR_NOMEM. *out is owned: search_close. */
int search_open(const char *store_dir, const struct search_options *o, struct search **out);

/* search_close: end the snapshot, close index, encoder and store; NULL is
 * fine. */
void search_close(struct search *se);

/* The snapshot's facts and the index's staleness; borrowed, valid until
 * search_close. */
const struct store_info *search_info(const struct search *se);
const struct search_staleness *search_stale(const struct search *se);

/* One search: n texts (len[i] bytes each; len NULL = NUL-terminated), or,
 * with by_id, the stored vector of chunk id (that chunk itself is not a
 * hit). k hits per query at most, scores below threshold dropped. */
struct search_request {
    const char *const *text;
    const size_t *len;
    size_t n;
    int by_id;
    uint64_t id;
    int k;
    double threshold;
};
#define SEARCH_REQUEST_INIT { NULL, NULL, 0, 0, 0, 10, -INFINITY }

/* A hit as search_query reports it: query i (0 for by_id), rank r (1 =
 * best), the exact score (mine_score of the normalized vectors, the same on
 * every index type), the chunk id and its text and provenance (borrowed for
 * the callback's duration). */
struct report_src;
struct search_hit {
    size_t query;
    int rank;
    float score;
    int64_t id;
    const struct report_src *src;
};
typedef int (*search_hit_fn)(void *ctx, const struct search_hit *h);

/* search_query: encode the texts (or read the chunk's vector), normalize,
 * search the index (4 k candidates for compressed codes), score the
 * candidates exactly (search_rescore), skip the query's own chunk, hits
 * below the threshold and hits deleted since the build (an index that is
 * behind), and call fn for each hit, query by query, rank 1 first; a
 * non-zero return of fn stops the search and is returned. Errors: the
 * store's and the encoder's ("cannot encode the queries: ..."), ERR_NOTFOUND
 * for an id the store lacks, or, prefixed "index and store disagree", when
 * the index names a chunk the store lacks although no indexed chunk is
 * gone; ERR_ANN, ERR_NOMEM. */
int search_query(struct search *se, const struct search_request *rq, search_hit_fn fn, void *ctx);

/* ---- mining reports ------------------------------------------------------ */

struct report_summary;
struct mine_pair;
struct mine_clusters;

/* search_src: report.h's report_src_fn over a store snapshot (ctx is the
 * struct store_txn *): the chunk's text and its provenance (doc id, shard
 * key, entry, record number and offset, external id, byte span). A chunk
 * whose doc record is missing has its text but known = 0.
 * search_src_doc: the doc record's part of it (known, shard, entry, record,
 * offset, ext_id) for document doc, replacing what out held of it. */
int search_src(void *ctx, int64_t id, struct report_src *out);
int search_src_doc(struct store_txn *t, uint64_t doc, struct report_src *out);

/* search_drop_identical: remove, in place and keeping the order, the pairs
 * whose two chunks have the same text hash (identical texts), and the pairs
 * whose two texts already form a better pair (a duplicate of a or of b paired
 * with the same other text): each pair of distinct texts is kept once, as the
 * pair of the lowest chunk ids (a, then b: the same pair whatever order or
 * mining mode gave them). Counts what left in *identical and *repeated.
 * Each chunk's record is read once, however many pairs name it. */
int search_drop_identical(struct store_txn *t, struct mine_pair *p, size_t *np, size_t *identical,
                          size_t *repeated);

/* search_duplicate_groups: the texts the snapshot holds more than once
 * (same text hash), as groups in the layout of clusters: members in id order,
 * groups by size descending then first id. Scans every chunk record (not the
 * texts): 24 bytes of memory per chunk while it runs. */
int search_duplicate_groups(struct store_txn *t, struct mine_clusters *out);

/* search_dups_path: the duplicate groups' default file for a report at
 * path: "<stem>.duplicates.jsonl" beside it (pairs.html ->
 * pairs.duplicates.jsonl); "" (none) when path is NULL or "-". */
int search_dups_path(struct buf *out, const char *path);

/* Writing a mining report (mine and run):
 *
 *     struct search_report o = { path, NULL, 0, mo.max_pairs };
 *     struct mine_clusters dups;
 *     search_report_prepare(t, &o, mo.top_k, &mo.max_pairs, &dups);  // before mining
 *     mine_exact(..., &mo, &p, &np);
 *     search_write_pairs(t, &o, &sm, p, &np, clusters, &dups);
 *     mine_clusters_release(&dups);
 *
 * path: .tsv, .jsonl or .html by its extension; NULL or "-" = tsv on stdout.
 * dups_path: the duplicate groups as jsonl (report.h); NULL = search_dups_path
 * of path. include_identical: pairs as mined, no groups. max_pairs: the most
 * pairs reported. */
struct search_report {
    const char *path;
    const char *dups_path;
    int include_identical;
    size_t max_pairs;
    int format;          /* 1 + enum report_format; 0 = by path's extension (report_format_of) */
};

/* search_report_prepare: unless o->include_identical, find the duplicate
 * groups (*dups; else zeroed) and raise *mine_max_pairs by the chunks in them
 * times top_k (at most max(4 max_pairs, 2^20) more), so that the pairs
 * dropped later do not crowd paraphrases out of the mined pairs. */
int search_report_prepare(struct store_txn *t, const struct search_report *o, int top_k,
                          size_t *mine_max_pairs, struct mine_clusters *dups);

/* search_write_pairs: the mining report at o->path, texts and provenance
 * read from the snapshot t, written atomically (common/fsutil.h fs_atomic).
 * Unless o->include_identical, first drops the identical-text and repeated
 * pairs (search_drop_identical), then keeps the o->max_pairs best (*np
 * shrinks), writes the duplicate groups dups to o->dups_path and gives them
 * to the html report's own section. sm (html only; its identical_dropped,
 * repeated_dropped and identical_included are set here) and clusters (may be
 * NULL) are for the html report. */
int search_write_pairs(struct store_txn *t, const struct search_report *o, struct report_summary *sm,
                       struct mine_pair *p, size_t *np, const struct mine_clusters *clusters,
                       const struct mine_clusters *dups);

#endif
