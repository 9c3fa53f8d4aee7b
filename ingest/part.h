/*
 * part.h - machine-independent shard keys and deterministic partitions of a
 * shard list, for ingest spread over N machines (docs/operations.md).
 *
 * Keys. A shard's key in the store is its path relative to the corpus root
 * (default: the deepest directory containing every input), so two machines
 * that mount the corpus at different places agree, and a moved corpus is not
 * ingested again. The root's absolute path is recorded in meta "root".
 *
 * Parts. part_select gives the I-th of N parts of a shard list: shards sorted
 * by size (largest first, ties by key) go one by one to the part with the
 * fewest bytes so far (ties: the lowest part number). It is a pure function of
 * the keys and sizes, so every task of an array job computes the same split
 * without talking to the others; each part is returned in key order.
 *
 *     struct part_spec p;
 *     if (part_parse("2/7", &p) < 0) die(err_msg());       // or "slurm"
 *     char root[PATH_MAX];
 *     part_common_root(paths, n, root, sizeof root);
 *     size_t *idx; size_t k;
 *     part_select(paths, n, root, &p, &idx, &k);           // indices into paths
 *
 * part_filter does the last three steps on a discovered shard list in place
 * (what `ingest --part` and `run --part` both do).
 */
#ifndef SEMINDEX_PART_H
#define SEMINDEX_PART_H

#include <stddef.h>

#include "common/buf.h"
#include "ingest/discover.h"

struct part_spec {
    int index, count;   /* 0 <= index < count */
};

/* part_parse: "I/N" (0 <= I < N <= 65536) or "slurm": SLURM_ARRAY_TASK_ID with
 * SLURM_ARRAY_TASK_COUNT (or SLURM_ARRAY_TASK_MIN/MAX: I = ID - MIN, N = MAX -
 * MIN + 1), or JOB_COMPLETION_INDEX with a count from "k8s:N" (Kubernetes
 * Indexed Job). ERR_INVALID naming what is missing. */
int part_parse(const char *s, struct part_spec *out);

/* part_common_root: the deepest directory containing every path of
 * paths[0..n) (made absolute with realpath) into out. ERR_NOTFOUND when a
 * path does not exist, ERR_INVALID when out is too small. */
int part_common_root(const char *const *paths, size_t n, char *out, size_t cap);

/* part_key: the key of shard path under root (absolute directory): its real
 * path relative to root, into out (reset first). ERR_INVALID naming both when
 * the shard is not under root. */
int part_key(const char *path, const char *root, struct buf *out);

/* part_select: *idx (owned, sorted by key) = indices of paths[0..n) in part
 * p, *k of them. Sizes come from stat (a shard that cannot be stat'ed counts
 * 0 bytes: every task sees the same error later). */
int part_select(const char *const *paths, size_t n, const char *root, const struct part_spec *p, size_t **idx,
                size_t *k);

/* part_filter: keep only part p of the discovered shard list l, in place: the
 * other paths are freed, the kept ones stay in key order. The corpus root is
 * root when given, else the common root of l's paths (left "" when l is empty);
 * it is written to root_out (root_cap bytes). Returns 0, ERR_NOMEM, or the
 * errors of part_common_root and part_select; l is unchanged on error. */
int part_filter(struct shard_list *l, const struct part_spec *p, const char *root, char *root_out,
                size_t root_cap);

#endif
