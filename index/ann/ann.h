/*
 * ann.h - approximate nearest neighbours: a thin semindex wrapper over the
 * FAISS C API (<faiss/c_api/...>). FAISS types never appear outside
 * index/ann/; the rest of semindex sees struct ann and plain arrays.
 *
 * Metric: always inner product. Callers store L2-normalized vectors
 * (ann_normalize) so that a score is the cosine similarity, as
 * sentence-transformers' cos_sim gives it.
 *
 * Ids: 64-bit ids chosen by the caller (semindex uses chunk ids). Index types
 * that cannot take ids themselves (Flat, HNSW) are wrapped in IDMap by the
 * factory string ("IDMap,Flat", "IDMap,HNSW32"); IVF indexes take ids as is.
 *
 * Results: ann_search fills caller arrays of nq*k entries, row i for query
 * i, best first; when fewer than k neighbours are found the row is padded
 * with id -1 (FAISS's convention) and score -INFINITY.
 *
 *     struct ann *a;
 *     if (ann_create("IVF256,Flat", 384, &a) < 0) die(err_msg());
 *     ann_normalize(x, n, 384);
 *     ann_train(a, x, n_train);                    // a sample of x
 *     ann_add(a, x, ids, n);
 *     ann_set_param(a, "nprobe", 16);
 *     ann_search(a, q, nq, 10, scores, labels);
 *     ann_write(a, "store/index.faiss");           // tmp, fsync, rename
 *     ann_free(a);
 *
 * Errors: 0 or a negative err_code. FAISS failures are ERR_ANN with the text
 * of faiss_get_last_error() copied into err_msg() at once. Threading: one
 * struct ann may be searched by many threads at once (FAISS search is const)
 * but train/add/set_param/write need exclusive use. FAISS runs its own
 * OpenMP team: do not call these from inside an OpenMP parallel region.
 */
#ifndef SEMINDEX_ANN_H
#define SEMINDEX_ANN_H

#include <stddef.h>
#include <stdint.h>

struct ann;

/* ann_read flags. ANN_READ_MMAP maps an IVF index's inverted lists from the
 * file instead of reading them into memory (read-only afterwards: ann_add
 * refuses with ERR_INVALID, because FAISS would throw inside an OpenMP
 * region, where the exception cannot be caught). It is translated to FAISS 1.7.3's C++ IO_FLAG_MMAP value, not the C
 * header's FAISS_IO_FLAG_MMAP, which the C++ side does not understand. Index
 * types without inverted lists (Flat, HNSW) are read into memory as usual. */
enum { ANN_READ_MMAP = 1 };

/* ann_create: a new empty index from a FAISS factory string (inner product).
 * ERR_INVALID when FAISS rejects the string or dim < 1. */
int ann_create(const char *factory, int dim, struct ann **out);

/* ann_read: load an index written by ann_write (or by FAISS). ERR_NOTFOUND
 * when path is absent, ERR_ANN when FAISS cannot read it (named). */
int ann_read(const char *path, int flags, struct ann **out);

/* ann_write: write atomically: "<path>.tmp", fsync, rename, fsync the
 * directory. On failure the old file is untouched and the tmp is removed. */
int ann_write(const struct ann *a, const char *path);

/* ann_free: accepts NULL. */
void ann_free(struct ann *a);

int ann_dim(const struct ann *a);
int64_t ann_ntotal(const struct ann *a);
int ann_is_trained(const struct ann *a);

/* ann_train: train on n vectors (n*dim floats). A no-op for Flat. */
int ann_train(struct ann *a, const float *x, int64_t n);

/* ann_add: add n vectors with ids (ids may be NULL: sequential from ntotal,
 * only for index types that allow it). Added in chunks of 64k vectors. */
int ann_add(struct ann *a, const float *x, const int64_t *ids, int64_t n);

/* ann_search: the k best of each of nq queries into scores[nq*k] and
 * ids[nq*k] (see Results above). */
int ann_search(const struct ann *a, const float *q, int64_t nq, int k, float *scores, int64_t *ids);

/* ann_compressed: 1 when the index keeps compressed codes (SQ, PQ, ...)
 * rather than the vectors, so its scores only rank candidates and callers
 * re-score them with the stored vectors (mine, query); 0 for Flat, HNSW
 * (flat storage) and IVF,Flat, whose scores are float dot products. Known
 * from the factory string: ann_create's, or ann_set_factory's after
 * ann_read (build_open passes the manifest's). */
int ann_compressed(const struct ann *a);
void ann_set_factory(struct ann *a, const char *factory);

/* ann_set_param: a search-time parameter through FAISS's ParameterSpace:
 * "nprobe" (IVF), "efSearch" (HNSW), ... ERR_INVALID when the index has no
 * such parameter. */
int ann_set_param(struct ann *a, const char *name, double value);

/* Inverted lists of an IVF index (IVF{k},Flat / SQ8 / PQ..., also read with
 * ANN_READ_MMAP), as plain arrays, for list-wise mining (query/mine.c):
 *   ann_nlist        the number of lists k; 0 when the index has none
 *                    (Flat, HNSW, IDMap, a pre-transform such as OPQ);
 *   ann_nprobe       the lists a search probes (the tuned nprobe); 0 without;
 *   ann_list_size    the vectors in list l (0 <= l < nlist);
 *   ann_list_ids     their ids into ids[ann_list_size(l)], in list order;
 *   ann_probe_lists  for each of nq vectors x (nq x dim), the m lists an
 *                    IVF search with nprobe m probes (the quantizer's best
 *                    centroids by inner product) into lists[nq x m], best
 *                    first; m <= nlist.
 * ERR_INVALID for an index without lists or a list number out of range. */
int64_t ann_nlist(const struct ann *a);
int ann_nprobe(const struct ann *a);
int64_t ann_list_size(const struct ann *a, int64_t l);
int ann_list_ids(const struct ann *a, int64_t l, int64_t *ids);
int ann_probe_lists(const struct ann *a, const float *x, int64_t nq, int m, int64_t *lists);

/* ---- IVF adds at exact list sizes (semindex extension) ----
 * FAISS keeps an IVF index's lists in vectors grown by doubling, so adding
 * in batches can leave up to twice the codes and ids allocated (see
 * docs/index.md "Build memory"). With the lists known first, each is
 * reserved once at its final size:
 *
 *     int64_t k = ann_ivf_nlist(a);           // 0: not IVF: use ann_add
 *     ann_ivf_assign(a, x, n, lists);         // per batch: lists[n] (int32)
 *     ... count[lists[i]]++ over all batches ...
 *     ann_ivf_reserve(a, count);              // count[k]: entries to come
 *     ann_ivf_add_assigned(a, x, ids, lists, n); // per batch, same lists
 *
 * Implemented on FAISS's C++ API in index/ann/faiss_c/faiss_c_ext_add.cpp
 * (not part of FAISS's C API; compiled with a real libfaiss_c too). An IVF
 * index under a pre-transform (OPQ) counts as IVF. Errors as above; adding
 * to a mapped index is ERR_INVALID, as for ann_add. */
int64_t ann_ivf_nlist(const struct ann *a);
int ann_ivf_assign(const struct ann *a, const float *x, int64_t n, int32_t *lists);
int ann_ivf_reserve(struct ann *a, const int64_t *count);
int ann_ivf_add_assigned(struct ann *a, const float *x, const int64_t *ids, const int32_t *lists, int64_t n);

/* ann_normalize: L2-normalize n rows of dim floats in place (zero rows stay
 * zero), like torch.nn.functional.normalize. */
void ann_normalize(float *x, int64_t n, int dim);

#endif
