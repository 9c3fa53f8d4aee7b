/*
 * faiss_c_ext_add.h - SEMINDEX EXTENSION to the FAISS C API (not upstream):
 * adding to an IVF index with the list assignments computed beforehand and
 * each inverted list's capacity reserved exactly.
 *
 * Why: FAISS 1.7.3's ArrayInvertedLists keeps each list in a std::vector
 * grown by doubling as batches are added, so an index built by batches holds
 * up to twice its codes and ids (measured in docs/performance.md, "Build
 * memory"). With the assignments known first (one coarse-quantizer pass, the
 * same work add_with_ids would do), every list can be reserved at its final
 * size and the add then only encodes and appends.
 *
 * Implemented in faiss_c_ext_add.cpp on the C++ API, which the Makefile
 * compiles whether the C API comes from a real libfaiss_c or from our shim
 * (faiss_c.cpp). Conventions of the C API: functions return 0 or a
 * FaissErrorCode (-2 FAISS exception, -4 std exception, -1 other) and leave
 * the exception for faiss_get_last_error(); no C++ exception crosses into C.
 *
 * The index is an IndexIVF, or an IndexPreTransform (OPQ, PCA, ...) whose
 * innermost index is one: the chain is applied before the assignment and
 * again before the add. Anything else is an error (-2).
 *
 *     idx_t *lists;   // n: the list of each vector
 *     size_t *extra;  // nlist: entries about to be added to each list
 *     semindex_faiss_IndexIVF_assign(index, n, x, lists);          // per batch
 *     semindex_faiss_IndexIVF_reserve(index, extra);               // once
 *     semindex_faiss_IndexIVF_add_preassigned(index, n, x, ids, lists); // per batch
 */
#ifndef SEMINDEX_FAISS_C_EXT_ADD_H
#define SEMINDEX_FAISS_C_EXT_ADD_H

#include <stddef.h>

#include <faiss/c_api/Index_c.h>

#ifdef __cplusplus
extern "C" {
#endif

/* semindex_faiss_IndexIVF_nlist: the lists of the IVF index (through any
 * pre-transform) into *nlist; 0 (and *nlist = 0) when it has none. */
int semindex_faiss_IndexIVF_nlist(const FaissIndex *index, size_t *nlist);

/* semindex_faiss_IndexIVF_assign: the list of each of n vectors x (n x d),
 * as add_with_ids would choose it (the coarse quantizer's nearest), into
 * list_nos (n). The index must be trained. */
int semindex_faiss_IndexIVF_assign(const FaissIndex *index, idx_t n, const float *x, idx_t *list_nos);

/* semindex_faiss_IndexIVF_reserve: room for extra[l] more entries in list l
 * (nlist values), codes and ids, allocated at once at the exact size. A
 * no-op for inverted lists that are not FAISS's in-memory ArrayInvertedLists
 * (on-disk or mapped lists). */
int semindex_faiss_IndexIVF_reserve(FaissIndex *index, const size_t *extra);

/* semindex_faiss_IndexIVF_add_preassigned: add n vectors x with ids xids
 * (NULL: sequential from ntotal) to the lists list_nos (n, from
 * semindex_faiss_IndexIVF_assign; -1 entries are skipped, as FAISS does). */
int semindex_faiss_IndexIVF_add_preassigned(FaissIndex *index, idx_t n, const float *x, const idx_t *xids,
                                            const idx_t *list_nos);

#ifdef __cplusplus
}
#endif

#endif
