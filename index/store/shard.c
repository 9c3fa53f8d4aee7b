/*
 * shard.c - the shard lifecycle of a writer (store.h, "Shard lifecycle"):
 * begin, done, abort, and the cleanup of shards an interrupted writer left in
 * progress. Each step is one write transaction built from the public calls of
 * store.h, so that ingest (ingest/writer.c) and merge (merge.c) share one
 * copy of the transactions readers' isolation depends on.
 *
 * Does not: write docs or chunks (the caller's store_write transactions do,
 * numbered with the ordinal store_shard_begin hands out).
 */
#include "index/store/store.h"

#include <string.h>

#include "common/err.h"
#include "common/mem.h"

struct shard_ctx {
    const char *key;
    const struct store_shard *in;   /* begin: hash and bytes; done: the counts */
    uint64_t ordinal;               /* begin: out */
    long deleted;                   /* chunks deleted (out) */
};

static int begin_fn(struct store_txn *t, void *ctx)
{
    struct shard_ctx *c = ctx;
    struct store_shard rec;
    int rc = store_get_shard(t, c->key, &rec);
    c->deleted = 0;
    if (rc == ERR_NOTFOUND) {
        err_clear();
        memset(&rec, 0, sizeof rec);
        FORWARD_ERR(store_next_ordinal(t, c->key, &rec.ordinal));
    } else if (rc < 0) {
        return rc;
    } else if (rec.status == STORE_SHARD_OPEN) {
        /* an interrupted run: start this ordinal over */
        long n = store_clear_ordinal(t, rec.ordinal);
        if (n < 0) return (int)n;
        c->deleted = n;
    } else {
        /* a new version of a done shard: a new ordinal, the old one goes when it is done */
        uint64_t prev = rec.ordinal;
        memset(&rec, 0, sizeof rec);
        rec.prev = prev + 1;
        FORWARD_ERR(store_next_ordinal(t, c->key, &rec.ordinal));
    }
    rec.status = STORE_SHARD_OPEN;
    rec.hash = c->in->hash;
    rec.bytes = c->in->bytes;
    c->ordinal = rec.ordinal;
    return store_put_shard(t, c->key, &rec);
}

static int done_fn(struct store_txn *t, void *ctx)
{
    struct shard_ctx *c = ctx;
    struct store_shard rec;
    FORWARD_ERR(store_get_shard(t, c->key, &rec));
    c->deleted = 0;
    if (rec.prev) {
        long n = store_delete_ordinal(t, rec.prev - 1);
        if (n < 0) return (int)n;
        c->deleted = n;
    }
    uint64_t ordinal = rec.ordinal;
    rec = *c->in;
    rec.status = STORE_SHARD_DONE;
    rec.ordinal = ordinal;
    rec.prev = 0;
    return store_put_shard(t, c->key, &rec);
}

static int abort_fn(struct store_txn *t, void *ctx)
{
    struct shard_ctx *c = ctx;
    struct store_shard rec;
    FORWARD_ERR(store_get_shard(t, c->key, &rec));
    long n = store_clear_ordinal(t, rec.ordinal);
    if (n < 0) return (int)n;
    c->deleted = n;
    rec.n_rejected = c->in->n_rejected;
    return store_put_shard(t, c->key, &rec);
}

int store_shard_begin(struct store *s, const char *key, const struct store_shard *in, uint64_t *ordinal,
                      long *deleted)
{
    struct shard_ctx c = { key, in, 0, 0 };
    FORWARD_ERR(store_write(s, begin_fn, &c));
    *ordinal = c.ordinal;
    if (deleted) *deleted = c.deleted;
    return 0;
}

int store_shard_done(struct store *s, const char *key, const struct store_shard *in, long *deleted)
{
    struct shard_ctx c = { key, in, 0, 0 };
    FORWARD_ERR(store_write(s, done_fn, &c));
    if (deleted) *deleted = c.deleted;
    return 0;
}

int store_shard_abort(struct store *s, const char *key, uint64_t n_rejected, long *deleted)
{
    struct store_shard in = { 0 };
    in.n_rejected = n_rejected;
    struct shard_ctx c = { key, &in, 0, 0 };
    FORWARD_ERR(store_write(s, abort_fn, &c));
    if (deleted) *deleted = c.deleted;
    return 0;
}

struct clear_ctx {
    uint64_t ordinal;
    long n;
};

static int clear_fn(struct store_txn *t, void *ctx)
{
    struct clear_ctx *c = ctx;
    c->n = store_clear_ordinal(t, c->ordinal);
    return c->n < 0 ? (int)c->n : 0;
}

int store_shard_clear_pending(struct store *s, uint64_t *chunks, uint64_t *shards)
{
    struct store_txn *t;
    uint64_t *v = NULL;
    size_t n = 0;
    *chunks = *shards = 0;
    FORWARD_ERR(store_read_begin_pending(s, &t));
    int rc = store_pending_ordinals(t, &v, &n);
    store_read_end(t);
    for (size_t i = 0; i < n && rc == 0; i++) {
        struct clear_ctx c = { v[i], 0 };
        rc = store_write(s, clear_fn, &c);
        if (rc == 0 && c.n > 0) {
            *chunks += (uint64_t)c.n;
            (*shards)++;
        }
    }
    mem_free(v);
    return rc;
}
