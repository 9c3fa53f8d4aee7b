/*
 * store.h - the semindex store: chunk texts and their vectors in one LMDB
 * environment directory, written by one ingest at a time, read by any number
 * of processes and threads at once (LMDB MVCC: readers never block the writer
 * and see one committed snapshot for the life of their read transaction).
 *
 * Reading (index build, query, mine, export):
 *
 *     struct store *s;
 *     struct store_txn *r;
 *     if (store_open(dir, STORE_RDONLY, &s) < 0) die(err_msg());
 *     struct store_info in;
 *     store_read_begin(s, &r);
 *     store_txn_info(r, &in);                     // dim, model, generation, counts
 *     struct store_iter *it;
 *     store_iter_open(r, 0, &it);
 *     uint64_t id; float *v = malloc(in.dim * sizeof *v);
 *     while (store_iter_next(it, &id, v) == 1) add(id, v);   // chunk-id order
 *     store_iter_close(it);
 *     struct store_chunk c; struct buf text = BUF_INIT;
 *     store_get_chunk(r, id, &c, &text);          // doc id, span, tokens, text
 *     store_read_end(r);
 *     store_close(s);
 *
 * Writing is done by ingest (ingest/writer.c) and merge (merge.c), one
 * writer at a time (store_lock_writer). Docs, chunks and vectors go in through
 * store_write(), which runs a caller function inside one write transaction
 * and, when LMDB reports MDB_MAP_FULL, aborts it, doubles the map and runs
 * the function again (so the function must be re-runnable: it only puts and
 * deletes, and keeps its inputs until store_write returns). Nothing is lost:
 * the abort undoes the partial transaction. A writer frames each shard with
 * the shard lifecycle calls and lets the store decide its zstd dictionary:
 *
 *     store_shard_clear_pending(s, &chunks, &shards);  // what a killed writer left
 *     if (store_dict_wanted(s) == 1)                    // no dictionary yet: hold the
 *         ... store_dict_offer(s, text, len) ...        // puts back, offer their texts
 *                                                       // until it returns 0 (or finish)
 *     store_shard_begin(s, key, &rec, &ordinal, NULL);  // in progress, hidden
 *     store_write(s, put_batch, &batch);                // ids store_make_id(ordinal, n)
 *     store_shard_done(s, key, &rec, NULL);             // or store_shard_abort
 *
 * ---------------------------------------------------------------------------
 * On-disk layout (schema 1). DIR/data.mdb and DIR/lock.mdb are LMDB's; DIR/
 * ingest.lock is the writers' flock lock (store_lock_writer). Integers in values are
 * little-endian; ids in keys are 8-byte big-endian so that key order is id
 * order. Named databases:
 *
 *   meta      key: ASCII name; value: ASCII text unless noted
 *               "schema"       "1"
 *               "model"        the model: "builtin:ngram", or its directory's absolute path
 *                              (realpath; older stores: the path as given)
 *               "fingerprint"  32 hex digits (enc_fingerprint)
 *               "dim"          vector dimension, decimal
 *               "dtype"        "f32" or "f16" (fixed when the store is created)
 *               "precision"    encoder precision of the vectors: "f32", "bf16" or "int8"
 *                              (enc_precision_name; absent in older stores = "f32")
 *               "generation"   decimal; +1 on every committed write transaction
 *                              that puts or deletes chunks or vectors
 *               "next_shard"   next shard ordinal to hand out, decimal
 *               "zdict"        binary: the zstd dictionary (ZDICT_trainFromBuffer on
 *                              a sample of the first chunk texts); absent until trained
 *               "settings"     JSON object: segmentation and reader options of the last
 *                              ingest (0 = the default cap)
 *               "reembed"      decimal chunk id cursor while --reembed is in progress
 *               "pending"      the ordinals of shards in progress, decimal, space-separated;
 *                              kept by store_put_shard / store_delete_shard (absent in
 *                              older stores: the in-progress shard records are used)
 *               "root"         absolute path of the corpus root the shard keys are
 *                              relative to (ingest --root); absent in stores made
 *                              before keys were relative (their keys are absolute)
 *   shards    key: shard key (path relative to the corpus root); value (88 bytes; 80 in
 *             older stores, read with settings 0):
 *               0  u8  version (1)       1 u8 status (0 in progress, 1 done)
 *               2  u16 0                 4 u32 0
 *               8  u64 ordinal           16 u64 previous ordinal + 1 (0: none) whose
 *                                           chunks are replaced when this one is done
 *               24 16B content hash (xxh3-128 of the shard's bytes)
 *               40 u64 docs  48 u64 chunks  56 u64 rejected records  64 u64 bytes read
 *               72 u64 unix time of completion
 *               80 u64 settings hash (what shaped the chunks, ingest/settings.c; 0 unknown)
 *   shardids  key: u64 BE ordinal; value: the shard key (reverse map)
 *   docs      key: u64 BE doc id; value:
 *               0  u8 version (1)  1 u8 0  2 u16 0  4 u32 chunks
 *               8  u64 record number in the entry (1-based line; 0 = whole entry)
 *               16 u64 byte offset of the record in the entry
 *               24 u64 document text length in bytes
 *               32 u32 entry name length E   36 u32 external id length X
 *               40 entry name (E bytes), external id (X bytes; from --id-field)
 *   chunks    key: u64 BE chunk id; value:
 *               0  u8 version (1)  1 u8 flags (1 truncated, 2 zstd, 4 dictionary)
 *               2  u16 0           4 i32 n_tokens (special tokens included)
 *               8  u64 doc id      16 u64 span start  24 u64 span end (bytes in the doc)
 *               32 16B xxh3-128 of the text
 *               48 u32 text length  52 u32 zstd dictionary id (0 none)
 *               56 the text: a zstd frame (flag 2) or the raw bytes
 *   vectors   key: u64 BE chunk id; value: dim float32 LE (or float16 LE, dtype f16)
 *   texts     key: 16B text hash; value: u64 BE chunk id of a chunk holding that
 *               text (dedup: a text seen before is not embedded again, its vector is
 *               copied). Entries may be stale; users verify the chunk's hash.
 *
 * Ids. A shard gets an ordinal when first seen (a changed shard gets a new
 * one); its documents and chunks are numbered in reading order:
 *     doc id   = ordinal << 40 | doc number in the shard   (0-based)
 *     chunk id = ordinal << 40 | chunk number in the shard (0-based)
 * so ids are < 2^63 (FAISS idx_t), never reused, and a rerun of the same
 * input assigns the same ids. store_shard_of(id) = id >> 40.
 *
 * Isolation. A shard in progress (status 0) is listed in meta "pending";
 * read transactions (store_read_begin) hide every doc, chunk and vector of
 * a pending ordinal from iterators, lookups, store_text_lookup and the
 * counts of store_txn_info. store_shard_done marks a shard done and deletes
 * its previous version in one write transaction, so readers see each shard
 * whole: the old version, then the new one. Write transactions and
 * store_read_begin_pending see everything.
 * ---------------------------------------------------------------------------
 *
 * Errors: ERR_STORE (LMDB, with mdb_strerror and the path), ERR_CODEC (zstd),
 * ERR_FORMAT (a record that does not parse), ERR_NOTFOUND, ERR_MISMATCH
 * (schema or model disagree), ERR_NOMEM, ERR_INVALID.
 *
 * Durability: MDB_NOMETASYNC, one fsync per commit; commits are atomic and
 * the file is always consistent; a power loss may undo the last commits.
 *
 * Threading: a struct store may be shared by threads. A struct store_txn
 * belongs to one thread at a time (read transactions are MDB_NOTLS, so they
 * may move between threads but not be used by two at once). One write
 * transaction at a time per process (LMDB serializes them); every writer
 * (ingest, build, run) also holds DIR/ingest.lock (store_lock_writer) so two
 * writers never interleave.
 */
#ifndef SEMINDEX_STORE_H
#define SEMINDEX_STORE_H

#include <stddef.h>
#include <stdint.h>

#include "common/buf.h"
#include "common/hash.h"

#define STORE_SCHEMA 1
#define STORE_ID_SHIFT 40
#define store_shard_of(id) ((uint64_t)(id) >> STORE_ID_SHIFT)
#define store_make_id(ordinal, n) (((uint64_t)(ordinal) << STORE_ID_SHIFT) | (uint64_t)(n))

struct store;
struct store_txn;
struct store_iter;

enum store_flags {
    STORE_RDONLY = 1 << 0, /* open an existing store read-only */
    STORE_CREATE = 1 << 1, /* create DIR and the environment if absent */
};

enum store_dtype { STORE_F32 = 0, STORE_F16 = 1 };

struct store_info {
    int schema;
    int dim;                  /* 0 until the first ingest records a model */
    char model[512];          /* "" until then */
    char fingerprint[33];
    char precision[8];        /* encoder precision: "f32" (also when unrecorded), "bf16", "int8" */
    enum store_dtype dtype;
    uint64_t generation;
    uint64_t n_shards;        /* shards done */
    uint64_t n_shards_open;   /* shards in progress (running, interrupted, or not read whole) */
    uint64_t n_docs, n_chunks, n_vectors; /* as this transaction sees them (shards in
                                             progress not counted, unless _pending) */
    int has_dict;             /* a zstd dictionary is trained */
    uint64_t map_size;        /* bytes */
    uint64_t file_size;       /* bytes used (pages * page size) */
};

struct store_chunk {
    uint64_t id, doc;
    uint64_t start, end;      /* byte span of the chunk in its document text */
    int32_t n_tokens;
    int truncated;            /* the encoder cut the text at max_seq_length */
    struct hash128 text_hash;
};

struct store_doc {
    uint64_t id;
    uint64_t record;          /* 1-based line of the record in its entry; 0 = the whole entry */
    uint64_t offset;          /* byte offset of the record in the entry */
    uint64_t length;          /* document text bytes */
    uint32_t n_chunks;
    struct buf shard;         /* shard key (caller-owned bufs, reset and filled) */
    struct buf entry;         /* entry path inside the shard ("" for a plain file) */
    struct buf ext_id;        /* the record's own id (--id-field), "" if none */
};
#define STORE_DOC_INIT { 0, 0, 0, 0, 0, BUF_INIT, BUF_INIT, BUF_INIT }
void store_doc_release(struct store_doc *d);

enum store_shard_status { STORE_SHARD_OPEN = 0, STORE_SHARD_DONE = 1 };

struct store_shard {
    int status;
    uint64_t ordinal;
    uint64_t prev;            /* previous ordinal + 1, 0 = none */
    struct hash128 hash;
    uint64_t n_docs, n_chunks, n_rejected, bytes, time;
    uint64_t settings;        /* hash of the settings that shaped the chunks; 0 unknown */
};

/* ---- environment --------------------------------------------------------- */

/* store_open: open the store in dir. flags: STORE_RDONLY, or STORE_CREATE to
 * make it (mkdir -p) when absent. Runs mdb_reader_check (slots of dead
 * readers are freed) and checks the schema (ERR_MISMATCH when newer). A
 * read-only open of a missing store is ERR_NOTFOUND. *out owned by caller. */
int store_open(const char *dir, int flags, struct store **out);
/* The map starts at 1 GiB (or twice the file) and doubles on MDB_MAP_FULL;
 * $SEMINDEX_STORE_MAP_SIZE (bytes, >= 65536) sets the start, for tests. */
/* store_close: close; accepts NULL. Open transactions must be ended first. */
void store_close(struct store *s);
const char *store_dir(const struct store *s);

/* store_lock_writer: take the store's writer lock, an flock(2) on
 * DIR/ingest.lock (common/fsutil.h fs_lock_acquire; the file is never
 * unlinked, the kernel releases the lock when the holder dies). ERR_BUSY
 * "store 'DIR' is locked by pid N (...)" when another process writes the
 * store. Nested calls in one process share the lock. fs_lock_release ends it. */
struct fs_lock;
int store_lock_writer(const char *dir, struct fs_lock *l);

/* store_info: one consistent snapshot of the header facts and counts. */
int store_info(struct store *s, struct store_info *out);

/* ---- read transactions --------------------------------------------------- */

/* store_read_begin: a read snapshot; cheap (no lock; reuses a reader slot).
 * A snapshot kept open keeps its pages from being reused, so long readers
 * make the file grow: end them when done. */
int store_read_begin(struct store *s, struct store_txn **out);
/* store_read_begin_pending: a snapshot that also sees the chunks of shards in
 * progress (ingest itself: text dedup, --reembed). Every other reader uses
 * store_read_begin, which hides them. */
int store_read_begin_pending(struct store *s, struct store_txn **out);
void store_read_end(struct store_txn *t);

int store_txn_info(struct store_txn *t, struct store_info *out);

/* store_get_chunk: the chunk's facts into *c and, if text != NULL, its text
 * decompressed into text (reset first). ERR_NOTFOUND, ERR_FORMAT, ERR_CODEC. */
int store_get_chunk(struct store_txn *t, uint64_t id, struct store_chunk *c, struct buf *text);
/* store_get_vector: dim floats into out (converted from f16 if stored so). */
int store_get_vector(struct store_txn *t, uint64_t id, float *out);
/* store_get_doc: the document record; d's bufs are reset and filled. */
int store_get_doc(struct store_txn *t, uint64_t id, struct store_doc *d);
/* store_get_shard: the shard record by key; ERR_NOTFOUND when unknown. */
int store_get_shard(struct store_txn *t, const char *key, struct store_shard *out);
/* store_list_shards: every shard record, in key order: *keys (owned array of
 * owned strings) and *recs (owned), *n of them. store_shard_list_free frees. */
int store_list_shards(struct store_txn *t, char ***keys, struct store_shard **recs, size_t *n);
void store_shard_list_free(char **keys, struct store_shard *recs, size_t n);
/* store_get_meta: a meta value into out (reset first); ERR_NOTFOUND. */
int store_get_meta(struct store_txn *t, const char *key, struct buf *out);

/* store_iter_open: iterate vectors (equivalently, embedded chunks) in
 * chunk-id order from the first id >= from. store_iter_next writes the id
 * and dim floats (vec NULL: the id only); returns 1 with an item, 0 at the
 * end, < 0 on error. The iterator lives inside t: close it before
 * store_read_end. A vector iterator (and store_get_vector) releases the file
 * pages it has read from the process's mapping as it goes (madvise), so a
 * scan of a store larger than RAM, or millions of reads by id, do not grow
 * the resident set (the data stays in the page cache). */
int store_iter_open(struct store_txn *t, uint64_t from, struct store_iter **out);
int store_iter_next(struct store_iter *it, uint64_t *id, float *vec);
/* store_iter_next_chunk: iterate chunks instead (an iterator opened with
 * store_chunk_iter_open); text may be NULL. Same return convention. */
int store_chunk_iter_open(struct store_txn *t, uint64_t from, struct store_iter **out);
int store_iter_next_chunk(struct store_iter *it, struct store_chunk *c, struct buf *text);
void store_iter_close(struct store_iter *it);

/* ---- writing ------------------------------------------------------------- */

/* store_write: run fn(t, ctx) inside one write transaction and commit it.
 * fn returns 0 or a negative error (the transaction is then aborted and the
 * error returned). On MDB_MAP_FULL, in fn's puts or in the commit, the
 * transaction is aborted, the map doubled and fn called again, up to a map of
 * STORE_MAX_MAP bytes. Calls made on t inside fn: store_get_*, store_put_*,
 * store_delete_*, store_text_lookup. */
#define STORE_MAX_MAP (1ull << 40)
int store_write(struct store *s, int (*fn)(struct store_txn *t, void *ctx), void *ctx);

int store_put_meta(struct store_txn *t, const char *key, const void *val, size_t n);
int store_delete_meta(struct store_txn *t, const char *key);
/* store_put_shard: put the shards record of key, keeping meta "pending" in
 * step with its status. This and the ordinal calls below are the parts the
 * shard lifecycle (store_shard_begin ...) is made of: writers use that; the
 * parts serve key upgrades (ingest/keys.c) and tests. */
int store_put_shard(struct store_txn *t, const char *key, const struct store_shard *sh);
int store_put_doc(struct store_txn *t, const struct store_doc *d);
/* store_put_chunk: compress text (with the dictionary when there is one) and
 * put the chunk record and the texts-map entry. c->text_hash is computed
 * here from the text. */
int store_put_chunk(struct store_txn *t, struct store_chunk *c, const char *text, size_t len);
/* store_put_vector: dim floats (stored as the store's dtype). */
int store_put_vector(struct store_txn *t, uint64_t id, const float *vec);
/* store_text_lookup: the id of a live chunk whose text has hash h (its record
 * is checked); 1 found, 0 not, < 0 error. Works in read transactions too. */
int store_text_lookup(struct store_txn *t, struct hash128 h, uint64_t *id);
/* store_delete_ordinal: delete every doc, chunk and vector of a shard
 * ordinal (and texts-map entries that point at them) and its shardids entry
 * (put it back with store_put_shardid when the ordinal is reused).
 * Returns the number of chunks deleted or an error. */
long store_delete_ordinal(struct store_txn *t, uint64_t ordinal);
/* store_clear_ordinal: the same, but the shardids entry stays (a shard in
 * progress keeps its ordinal). */
long store_clear_ordinal(struct store_txn *t, uint64_t ordinal);
/* store_pending_ordinals: the ordinals of shards in progress (meta
 * "pending"), in any transaction; *out is the caller's (mem_free). */
int store_pending_ordinals(struct store_txn *t, uint64_t **out, size_t *n);
/* store_delete_shard: delete the shards record of key. */
int store_delete_shard(struct store_txn *t, const char *key);
/* store_next_ordinal: hand out the next shard ordinal (meta next_shard) and
 * record ordinal -> key in shardids. */
int store_next_ordinal(struct store_txn *t, const char *key, uint64_t *out);
/* store_put_shardid: record ordinal -> key (a resumed shard keeps its ordinal). */
int store_put_shardid(struct store_txn *t, uint64_t ordinal, const char *key);
/* store_set_model: record model, fingerprint, dim and dtype (first ingest or
 * --reembed). Later runs compare them with store_txn_info. */
int store_set_model(struct store_txn *t, const char *model, const char *fingerprint, int dim,
                    enum store_dtype dtype);

/* ---- shard lifecycle (shard.c) ------------------------------------------ */

/* The transactions a writer frames each shard with; each is one write
 * transaction of its own (store_write: do not call inside one), so a
 * reader sees a shard before its begin, in progress (hidden: listed in meta
 * "pending"), or done, never half of a step. Caller holds the writer lock.
 * deleted (may be NULL) receives the number of chunks the step deleted. */

/* store_shard_begin: start shard key (in: hash and bytes of in are recorded;
 * the rest of in is ignored) and give the ordinal its docs and chunks are
 * numbered with:
 *   unknown key            the next ordinal (meta "next_shard");
 *   in progress            its own ordinal again, its partial docs, chunks and
 *                          vectors deleted (an interrupted writer: a rerun
 *                          makes the same ids);
 *   done                   a new ordinal; the old one stays visible (prev)
 *                          until store_shard_done deletes it.
 * The record is "in progress" afterwards. ERR_STORE, ERR_FORMAT (a bad record). */
int store_shard_begin(struct store *s, const char *key, const struct store_shard *in, uint64_t *ordinal,
                      long *deleted);
/* store_shard_done: mark shard key done, in one transaction with the deletion
 * of its previous version (if any), so readers switch from the old version to
 * the new at once. The record takes in's hash, bytes, counts, time and
 * settings; status, ordinal and prev come from the store. ERR_NOTFOUND when
 * the shard was never begun. */
int store_shard_done(struct store *s, const char *key, const struct store_shard *in, long *deleted);
/* store_shard_abort: a begun shard that will not be done (not read whole):
 * delete what was written of it and record n_rejected; it stays in progress
 * (hidden; a changed shard's previous version stays visible) and the next
 * store_shard_begin of key reuses its ordinal. */
int store_shard_abort(struct store *s, const char *key, uint64_t n_rejected, long *deleted);
/* store_shard_clear_pending: delete the docs, chunks and vectors of every
 * shard in progress (an interrupted writer's), one transaction per shard;
 * their records stay (a writer given the shard again reuses its ordinal).
 * *chunks and *shards count what was deleted. */
int store_shard_clear_pending(struct store *s, uint64_t *chunks, uint64_t *shards);

/* ---- zstd dictionary ----------------------------------------------------- */

/* The store trains one zstd dictionary, on the first texts written to it,
 * and compresses every later text with it. Texts put before it exists are
 * compressed without it, so a writer asks store_dict_wanted before its first
 * chunk puts and, while it returns 1, holds its puts back and offers their
 * texts, in the order it will put them; the store decides when the sample is
 * enough (STORE_DICT_TEXTS texts or STORE_DICT_BYTES bytes) and trains then.
 * Threading: the writer's thread only (the sample lives in struct store). */
#define STORE_DICT_TEXTS 4000
#define STORE_DICT_BYTES (2u << 20)
/* store_dict_wanted: 1 while the store collects a sample (no dictionary yet),
 * 0 once it has one or has settled without one (also for a read-only store),
 * < 0 on error. */
int store_dict_wanted(struct store *s);
/* store_dict_offer: add text (copied) to the sample. Returns 1 when the store
 * wants more, 0 when it has settled (this text may have completed the sample:
 * the dictionary is trained and recorded, in a write transaction of its own),
 * ERR_NOMEM, or the error of recording it. */
int store_dict_offer(struct store *s, const char *text, size_t len);
/* store_dict_finish: no more texts: train on the sample so far and settle.
 * A sample zstd finds too small settles without a dictionary (0; log_debug
 * says why). Returns 0 or the error of recording it. */
int store_dict_finish(struct store *s);
/* store_train_dict: train a zstd dictionary on samples (texts) and record it
 * in meta (own write transaction). Returns 0, or ERR_CODEC when zstd finds
 * the sample too small (the store goes on without a dictionary). A store
 * keeps its first dictionary: later calls are no-ops. */
int store_train_dict(struct store *s, const char *const *texts, const size_t *lens, size_t n);

/* f16 helpers (IEEE binary16, round to nearest even). */
uint16_t store_f32_to_f16(float f);
float store_f16_to_f32(uint16_t h);

#endif
