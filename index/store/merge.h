/*
 * merge.h - merge part stores (ingest --part I/N, one per machine or array
 * task) into one store that equals a single ingest of the whole corpus.
 *
 *     struct merge_stats st = { 0 };
 *     rc = store_merge(out, parts, n, &st);
 *
 * What "equal" means: the same shard keys, ordinals, doc and chunk ids, docs,
 * chunk texts, spans, token counts and vectors (as stored: copied, never
 * re-embedded) as one `ingest` of every shard into an empty store. That
 * ingest hands out ordinals in shard-key order, so the merge collects the
 * done shards of every part, sorts them by key and gives each shard not yet
 * in OUT the next ordinal of OUT. A chunk whose text OUT already holds (from
 * an earlier shard, in id order) gets that chunk's vector, as a single ingest
 * copies the vector of a text it has seen; the texts map holds one entry per
 * text. Texts are decompressed from the part and compressed again with OUT's
 * zstd dictionary (trained on the first texts of the merge, like ingest, when
 * OUT has none), so every text decodes whatever dictionary its part had.
 *
 * The order of parts is irrelevant: parts are sorted by directory name, a key
 * present in two parts must have the same content hash (the copy of the first
 * part in that order is taken; ERR_MISMATCH naming both otherwise).
 *
 * Refused with ERR_MISMATCH naming the part: another model fingerprint,
 * dimension, vector dtype, segmentation/reader settings or schema than OUT
 * (or the first part); a shard still in progress; a --reembed in progress;
 * OUT itself given as a part (ERR_INVALID).
 *
 * Crash safety, as ingest: each shard goes into OUT as "in progress" with its
 * ordinal, then its docs and chunks in bounded write transactions (appended
 * in id order, MDB_APPEND; the map grows on MDB_MAP_FULL), then "done". A
 * merge killed at any point and run again deletes the partial shard and
 * redoes it with the same ordinal: the result is the same store. Run again
 * with more parts (the next night) it adds only the shards OUT lacks, and a
 * shard whose content changed replaces its old version (new ordinal), as
 * ingest does. OUT's DIR/ingest.lock is held throughout (ERR_BUSY).
 */
#ifndef SEMINDEX_MERGE_H
#define SEMINDEX_MERGE_H

#include <stddef.h>
#include <stdint.h>

#include "index/store/store.h"

struct merge_stats {
    uint64_t parts;                 /* part stores read */
    uint64_t shards_seen;           /* distinct done shards over all parts */
    uint64_t shards_new, shards_changed, shards_resumed, shards_skipped;
    uint64_t docs, chunks;          /* copied */
    uint64_t duplicates;            /* chunks that took the vector of a text OUT held */
    uint64_t deleted;               /* chunks of replaced or partial shards removed */
    double t_total;
};

int store_merge(struct store *out, const char *const *parts, size_t n, struct merge_stats *st);

#endif
