/*
 * search.h - the reading side's plumbing between a store and its index:
 * load the store's vectors, open the index that belongs to the store (its
 * manifest checked against the store's model fingerprint, generation,
 * dimension and vector count), and encode queries with the store's model.
 *
 * The index of a store lives at DIR/index.faiss with its manifest
 * DIR/index.faiss.manifest.json (see index/build.h).
 *
 *     struct store_info in;  store_txn_info(t, &in);
 *     struct ann *a;
 *     if (search_open_index(dir, &in, 0, &a) < 0) die(err_msg());  // ERR_MISMATCH
 *     struct enc *e;
 *     search_open_encoder(&in, 0, -1, &e);          // refuses another model
 *
 * Threading: as the store and the encoder (one thread per txn / enc).
 */
#ifndef SEMINDEX_SEARCH_H
#define SEMINDEX_SEARCH_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "index/store/store.h"

struct ann;
struct enc;

/* search_index_path: DIR/index.faiss into out. */
int search_index_path(struct buf *out, const char *store_dir);

/* search_load_vectors: every vector of the snapshot, in chunk-id order,
 * L2-normalized: *ids (n) and *x (n * dim), owned (mem_free). */
int search_load_vectors(struct store_txn *t, const struct store_info *in, int64_t **ids, float **x,
                        size_t *n);

/* search_open_index: build_open of DIR/index.faiss against the store's
 * facts. ERR_NOTFOUND (with a hint to run `semindex build`), ERR_MISMATCH. */
int search_open_index(const char *store_dir, const struct store_info *in, int flags, struct ann **out);

/* search_open_encoder: enc_create(in->model) at precision (enum
 * enc_precision; -1 = the store's, in->precision) and check that its
 * fingerprint and dimension are the store's (ERR_MISMATCH otherwise). */
int search_open_encoder(const struct store_info *in, int n_threads, int precision, struct enc **out);

/* search_write_pairs: the mining report at path (.tsv, .jsonl or .html by
 * its extension; NULL or "-" = tsv on stdout), texts read from the
 * snapshot t, written atomically (common/fsutil.h fs_atomic). sm and
 * clusters are used by the html report only (clusters may be NULL). */
struct report_summary;
struct mine_pair;
struct mine_clusters;
int search_write_pairs(struct store_txn *t, const char *path, const struct report_summary *sm,
                       const struct mine_pair *p, size_t np, const struct mine_clusters *clusters);

#endif
