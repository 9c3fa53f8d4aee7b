/*
 * dedup.h - text dedup of one ingest_run: the one place that decides where
 * each chunk's vector comes from (internal, like job.h).
 *
 * A chunk's text is hashed (xxh3-128) by the prep thread, and dedup_mark
 * gives it one of:
 *   DEDUP_PENDING  a chunk of this run with the same text (its twin) was
 *                  sent to the encoder and is not committed yet: dedup_vector,
 *                  in the writer's transaction, copies the twin's vector by
 *                  its id (written earlier in the same order; not through the
 *                  texts map, whose entry a later copy may have replaced and
 *                  an unread shard's deletion removed). A shard not read
 *                  whole is forgotten (dedup_forget_shard): its chunks are
 *                  deleted, so nothing may be the twin of one of them;
 *   DEDUP_STORED   the store holds the text (store_text_lookup in a snapshot
 *                  that sees shards in progress): the vector is copied at once;
 *   DEDUP_ENCODE   the rest: encoded. The encoder marks a chunk whose vector
 *                  is not finite DEDUP_BAD.
 * A DEDUP_BAD chunk is never stored or indexed; dedup_vector remembers its
 * text, and a PENDING duplicate of it is rejected too (the encoder, being
 * deterministic, would give the same vector). Whether a chunk is copied or
 * encoded never changes what is stored: the encoder is deterministic for a
 * given text, and n_tokens is computed for every chunk the same way.
 *
 * Threading: dedup_mark runs in the prep thread, dedup_vector in the
 * writer's; each touches its own half of struct dedup. What links them is the
 * job's "committed" counter: the sets of committed batches are dropped, since
 * a snapshot begun afterwards sees their texts.
 */
#ifndef SEMINDEX_INGEST_DEDUP_H
#define SEMINDEX_INGEST_DEDUP_H

#include <stddef.h>
#include <stdint.h>

#include "common/hash.h"

struct batch;
struct batch_chunk;
struct store;
struct store_txn;

enum dedup_how { DEDUP_ENCODE, DEDUP_STORED, DEDUP_PENDING, DEDUP_BAD };

/* the texts of one batch sent to the encoder (open addressing, {0,0} empty),
 * each with the number of its first chunk in the shard */
struct dedup_entry {
    struct hash128 h;
    uint64_t seq;
};

struct dedup_set {
    uint64_t seq;                 /* the batch's number */
    uint32_t shard;               /* and its shard (a batch holds one shard's chunks) */
    struct dedup_entry *slot;
    size_t mask;
};

struct dedup {
    /* prep thread: the sets of batches sent but not known to be committed */
    struct dedup_set *sets;
    size_t n_sets, cap_sets;
    /* writer thread: the texts of rejected chunks */
    struct hash128 *bad;
    size_t n_bad, cap_bad;
};

/* dedup_mark: set how of every chunk of DATA batch b (b->seq set, b->vecs
 * NULL), and for a DEDUP_PENDING chunk its twin (twin_shard, twin_seq);
 * allocate b->vecs (n_chunks, dim) and fill the rows of DEDUP_STORED chunks.
 * committed: every batch with seq <= committed is in the store. Returns 0,
 * ERR_NOMEM, or a store error. */
int dedup_mark(struct dedup *d, struct store *s, uint64_t committed, struct batch *b, int dim);

/* dedup_forget_shard: shard (all its batches marked) is not read whole: the
 * writer deletes its chunks (store_shard_abort) before it writes a later
 * batch, so no later chunk may take its vector from them. Prep thread. */
void dedup_forget_shard(struct dedup *d, uint32_t shard);

/* dedup_vector: in the writer's transaction t, before chunk c (id: its chunk
 * id, for messages) is put: 0 when it is to be stored with vec (dim floats:
 * its row of the batch, which the vector of its twin, chunk
 * store_make_id(ordinal[twin_shard], twin_seq), replaces for a DEDUP_PENDING
 * chunk); 1 when it is rejected (DEDUP_BAD, also set for the duplicate of a
 * rejected text); ERR_STORE when a twin's vector is missing, ERR_NOMEM. */
int dedup_vector(struct dedup *d, struct store_txn *t, const uint64_t *ordinal, uint64_t id, struct batch_chunk *c,
                 float *vec);

void dedup_release(struct dedup *d);

#endif
