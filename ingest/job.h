/*
 * job.h - what the three threads of one ingest_run share (internal: not
 * installed, not in semindex.h): the batches that travel between them and
 * the job state.
 *
 *   prep.c     prep thread: shard -> documents -> chunks -> token ids ->
 *              batches (dedup.h decides which chunks need the encoder)
 *   worker.c   the calling thread: ingest_run wires the job, then encodes
 *   writer.c   writer thread: batches -> store transactions, shard lifecycle
 *
 * Batches travel in shard order through two bounded queues (prep -> encoder
 * -> writer): BEGIN(shard) DATA... END(shard). Ids are ordinal << 40 |
 * sequence number, and sequence numbers come from reading order, so a rerun
 * makes the same ids.
 *
 * Threading: each thread owns the batch it holds; a batch changes hands only
 * through a queue. In struct ingest_job, the fields above "synchronization"
 * are set before the threads start and only read afterwards (st's counters
 * are split: each is written by one thread, see the comments); the rest are
 * atomics, the queues, and the first error under mu_err.
 */
#ifndef SEMINDEX_INGEST_JOB_H
#define SEMINDEX_INGEST_JOB_H

#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include "common/buf.h"
#include "common/hash.h"
#include "common/queue.h"
#include "ingest/dedup.h"
#include "ingest/ingest.h"

enum batch_kind { BATCH_BEGIN, BATCH_DATA, BATCH_END };

/* one chunk of a DATA batch */
struct batch_chunk {
    uint64_t doc_seq, chunk_seq;  /* numbers in the shard: ids are store_make_id(ordinal, seq) */
    size_t off, len;              /* text in the batch arena */
    uint64_t start, end;          /* byte span in the document */
    struct hash128 h;             /* xxh3-128 of the text */
    int32_t n_tokens;
    uint8_t truncated;
    uint8_t how;                  /* enum dedup_how: where its vector comes from */
    uint32_t twin_shard;          /* DEDUP_PENDING: the chunk whose vector it takes */
    uint64_t twin_seq;
    size_t ids_off, n_ids;        /* token ids in the batch (transformer models) */
};

/* one document of a DATA batch: it travels with its first chunk */
struct batch_doc {
    uint64_t seq, record, offset, length;
    uint32_t n_chunks;
    size_t entry_off, entry_len, id_off, id_len;   /* entry name and external id in the arena */
};

struct batch {
    enum batch_kind kind;
    uint32_t shard;               /* index into job->keys / job->paths */
    /* DATA */
    uint64_t seq;                 /* batch number in this run, from 1 */
    struct batch_chunk *chunks;
    size_t n_chunks, cap_chunks;
    struct batch_doc *docs;
    size_t n_docs, cap_docs;
    struct buf arena;             /* texts, entry names, external ids */
    int32_t *ids;
    size_t n_ids, cap_ids;
    float *vecs;                  /* (n_chunks, dim): copied by dedup or encoded */
    size_t tokens;
    /* BEGIN / END */
    struct hash128 hash;          /* the shard's content hash */
    uint64_t bytes;
    uint64_t sh_docs, sh_chunks, sh_rejected;   /* END: the shard's counts */
    int failed;                   /* END: the shard was not read whole: it is not done */
};

/* batch_create: an empty batch of kind k for shard; NULL (err_set) when out
 * of memory. batch_free accepts NULL. */
struct batch *batch_create(enum batch_kind k, uint32_t shard);
void batch_free(struct batch *b);

struct ingest_job {
    struct store *s;
    struct enc *e;                /* used by the calling thread only */
    const struct tok *tok;        /* NULL for the builtin encoder */
    int dim;
    const struct ingest_options *o;
    struct ingest_stats *st;      /* prep: shards_*, bytes, reader counts, t_prep; encoder:
                                     t_encode*; writer: docs, chunks, ..., deleted, t_write */
    const char *const *paths;     /* in key order */
    char **keys;                  /* shard keys, keys[i] of paths[i] */
    size_t n;
    uint64_t settings;            /* hash of the chunk-shaping settings (ingest_save_settings) */
    int legacy_same;              /* a shard record without that hash counts as made with them */
    struct dedup dedup;           /* prep's half and the writer's half (dedup.h) */
    /* synchronization */
    struct queue q_enc, q_write;
    atomic_int abort;
    atomic_ullong committed;      /* every DATA batch with seq <= this is committed */
    atomic_ullong passed;         /* shards the prep thread skipped or failed (progress) */
    atomic_ullong bad;            /* chunks rejected for a non-finite vector (writer) */
    pthread_mutex_t mu_err;
    int err;
    char errmsg[1024];
};

/* ingest_job_fail: record rc (and err_msg()) as the job's error if it is the
 * first, and stop every thread: abort set, both queues closed. */
void ingest_job_fail(struct ingest_job *j, int rc);

/* the thread bodies (void *job); each closes the queue it feeds when done */
void *ingest_prep_main(void *job);
void *ingest_write_main(void *job);

#endif
