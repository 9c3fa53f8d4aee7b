/*
 * ingest.h - shards in, chunks and vectors out: the overlapped ingest
 * pipeline (ingest/worker.c, prep.c, writer.c; job.h) over source.h,
 * segment.h, the encoder and the store.
 *
 *   prep thread      for each shard in order: content hash, skip if done,
 *                    read (source.h) -> segment -> tokenize -> text dedup ->
 *                    batches of about batch_tokens tokens
 *   calling thread   the encoder: embeds the batches (only texts never seen)
 *   writer thread    one LMDB write transaction per batch; shard begin/done
 *                    (store.h, "Shard lifecycle")
 *
 * connected by bounded queues, so the encoder, the bottleneck, finds its next
 * batch ready and hands the last one off without waiting for LMDB.
 *
 *     struct ingest_options o = INGEST_OPTIONS_INIT;
 *     struct ingest_stats st = { 0 };
 *     rc = ingest_run(store, enc, paths, n, &o, &st);
 *     // rc < 0: failed; st.shards_failed or st.rejected > 0: partial
 *
 * Crash safety (docs/ingest.md): a shard is recorded "in progress" with its
 * ordinal and content hash before its first chunks, and "done" after its last
 * batch; every run first deletes the partial chunks of shards in progress,
 * and one given such a shard again does it with the same ordinal, so ids and contents equal those of one
 * clean run. A changed shard gets a new ordinal; its old chunks are deleted in
 * the transaction that marks the new version done; until then the new chunks
 * are hidden from readers (store.h, Isolation), so readers see the old or the
 * new version, never a mix. A shard is skipped only when done with the same
 * content hash and the same chunk-shaping settings (a hash in its record);
 * a shard not read to its end, of no record format, or whose every record
 * was rejected is not recorded done (read again next run). Duplicated texts (same bytes as a chunk in the
 * store or earlier in the run) are not encoded: their vector is copied.
 *
 * Shard keys are paths relative to the corpus root (ingest/part.h), recorded
 * in meta "root"; shards are taken in key order, so ordinals (and ids) follow
 * key order whatever the order of the arguments. A store made before keys
 * were relative (no meta "root") is upgraded in place: its absolute keys under
 * the root become relative; one outside the root fails with ERR_MISMATCH
 * saying which --root to give.
 *
 * Model: the first ingest records the encoder's name, fingerprint and dim;
 * later runs with another fingerprint fail with ERR_MISMATCH unless reembed
 * is set, which re-encodes every stored chunk with the new model first
 * (resumable: a cursor in meta "reembed").
 *
 * Threading: ingest_run uses the encoder from the calling thread only; it
 * takes the store's writer lock (store_lock_writer: ERR_BUSY naming the pid
 * when another ingest, build or run holds it; the kernel drops the lock of a
 * killed holder, so there is no stale lock). Before taking it, nothing is
 * counted in *st.
 */
#ifndef SEMINDEX_INGEST_H
#define SEMINDEX_INGEST_H

#include <stddef.h>
#include <stdint.h>

#include "index/store/store.h"
#include "ingest/segment.h"
#include "ingest/source/source.h"

struct enc;

struct ingest_options {
    struct src_options src;
    struct seg_options seg;     /* seg.tok is set from the encoder */
    size_t batch_tokens;        /* tokens per encoder batch (0 = 16384) */
    size_t batch_chunks;        /* and at most this many chunks (0 = 1024) */
    int reembed;                /* a different model re-encodes the store */
    enum store_dtype dtype;     /* vector storage of a new store */
    int progress;               /* progress bar / periodic lines on stderr */
    const char *root;           /* corpus root: shard keys are paths relative to it
                                   (NULL: the deepest directory holding every shard) */
};
#define INGEST_OPTIONS_INIT { SRC_OPTIONS_INIT, SEG_OPTIONS_INIT, 0, 0, 0, STORE_F32, 0, NULL }

struct ingest_stats {
    uint64_t shards_seen, shards_new, shards_changed, shards_resumed, shards_skipped, shards_failed;
    uint64_t docs, chunks, truncated, duplicates, encoded, tokens, bytes;
    uint64_t rejected, replaced, nul, empty, binary, skipped_entries;
    uint64_t reembedded;        /* chunks re-encoded for --reembed */
    uint64_t deleted;           /* old chunks of changed shards removed */
    double t_total;             /* wall seconds */
    double t_prep;              /* reading, segmenting, tokenizing, dedup (busy) */
    double t_encode;            /* encoder busy */
    double t_encode_wait;       /* encoder waiting for input */
    double t_write;             /* writer busy (LMDB, zstd) */
};

/* ingest_run: ingest shards[0..n) (paths) into s with encoder e. Returns 0
 * (check shards_failed / rejected for a partial result), ERR_MISMATCH (other
 * model, no reembed), ERR_BUSY (locked), ERR_FORMAT (strict and an input was
 * rejected), or the first store / encoder error. Stats are filled either way. */
int ingest_run(struct store *s, struct enc *e, const char *const *shards, size_t n,
               const struct ingest_options *o, struct ingest_stats *st);

/* ingest_stats_json: st as a new JSON object (json_decref it), NULL when out
 * of memory. Counts are integers, times seconds rounded to milliseconds. */
struct json_t;
struct json_t *ingest_stats_json(const struct ingest_stats *st);

#endif
