/*
 * keys.c - the shard keys of an ingest_run (internal.h): each shard's path
 * relative to the corpus root (part.h), the shards taken in key order, and
 * meta "root"; a store made before keys were relative is upgraded in place.
 */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/err.h"
#include "common/fsutil.h"
#include "common/log.h"
#include "common/mem.h"
#include "ingest/internal.h"
#include "ingest/job.h"
#include "ingest/part.h"

struct keyed {
    char *key;
    const char *path;
};

static int by_key(const void *a, const void *b)
{
    return strcmp(((const struct keyed *)a)->key, ((const struct keyed *)b)->key);
}

struct rootctx {
    const char *dir;
    const char *root;
    size_t upgraded;
};

/* upgrade_fn: a store made before keys were relative (no meta "root"): its
 * absolute keys under the root become relative (shards and shardids). */
static int upgrade_fn(struct store_txn *t, void *ctx)
{
    struct rootctx *c = ctx;
    struct buf v = BUF_INIT;
    int rc = store_get_meta(t, "root", &v);
    buf_release(&v);
    if (rc == 0 || rc != ERR_NOTFOUND) return rc;
    err_clear();
    rc = 0;
    char **keys;
    struct store_shard *recs;
    size_t n;
    FORWARD_ERR(store_list_shards(t, &keys, &recs, &n));
    size_t rl = strlen(c->root);
    while (rl > 1 && c->root[rl - 1] == '/') rl--;
    for (size_t i = 0; i < n && rc == 0; i++) {
        const char *k = keys[i];
        if (k[0] != '/') continue;
        const char *rel = NULL;
        if (rl == 1 && k[1]) rel = k + 1;
        else if (!strncmp(k, c->root, rl) && k[rl] == '/' && k[rl + 1]) rel = k + rl + 1;
        if (!rel) {
            rc = err_set(ERR_MISMATCH,
                         "store '%s' was made before shard keys were relative and holds shard '%s', which is not "
                         "under the corpus root '%.*s': give --root with the directory that held the corpus when it "
                         "was ingested (docs/ingest.md, \"Shard keys\")",
                         c->dir, k, (int)rl, c->root);
            break;
        }
        rc = store_put_shard(t, rel, &recs[i]);
        if (rc == 0) rc = store_delete_shard(t, k);
        if (rc == 0) rc = store_put_shardid(t, recs[i].ordinal, rel);
        if (rc == 0 && recs[i].prev) rc = store_put_shardid(t, recs[i].prev - 1, rel);
        if (rc == 0) c->upgraded++;
    }
    store_shard_list_free(keys, recs, n);
    if (rc == 0) rc = store_put_meta(t, "root", c->root, strlen(c->root));
    return rc;
}

static int root_fn(struct store_txn *t, void *ctx)
{
    const char *root = ctx;
    return store_put_meta(t, "root", root, strlen(root));
}

/* shard_keys: j->keys[i] and sorted[i] = the shards in key order; meta "root"
 * recorded (an old store's absolute keys upgraded first). */
int ingest_shard_keys(struct ingest_job *j, const char *const *shards, const char **sorted)
{
    const struct ingest_options *o = j->o;
    char root[PATH_MAX];
    if (o->root) {
        char *rp = realpath(o->root, NULL);
        RETURN_ERR_IF(!rp, ERR_NOTFOUND, "corpus root '%s' does not exist", o->root);
        snprintf(root, sizeof root, "%s", rp);
        free(rp);
    } else {
        /* the root recorded by earlier runs when it still holds every shard
         * (a nightly drop into one subdirectory keeps its keys), else the
         * deepest directory holding them all */
        struct store_txn *t;
        struct buf v = BUF_INIT;
        int have = 0;
        FORWARD_ERR(store_read_begin(j->s, &t));
        if (store_get_meta(t, "root", &v) == 0 && v.len < sizeof root && buf_putc(&v, 0) == 0) {
            have = fs_is_dir(v.data);
            for (size_t i = 0; i < j->n && have; i++) {
                struct buf kb = BUF_INIT;
                have = part_key(shards[i], v.data, &kb) == 0;
                buf_release(&kb);
            }
            if (have) snprintf(root, sizeof root, "%s", v.data);
        }
        store_read_end(t);
        buf_release(&v);
        err_clear();
        if (!have) FORWARD_ERR(part_common_root(shards, j->n, root, sizeof root));
    }
    struct keyed *kv = mem_calloc(j->n, sizeof *kv);
    if (!kv) return err_nomem();
    struct buf kb = BUF_INIT;
    int rc = 0;
    for (size_t i = 0; i < j->n && rc == 0; i++) {
        kv[i].path = shards[i];
        if ((rc = part_key(shards[i], root, &kb)) == 0 && !(kv[i].key = mem_strdup(kb.data)))
            rc = err_nomem();
    }
    buf_release(&kb);
    if (rc == 0) {
        qsort(kv, j->n, sizeof *kv, by_key);
        for (size_t i = 0; i + 1 < j->n && rc == 0; i++)
            if (!strcmp(kv[i].key, kv[i + 1].key))
                rc = err_set(ERR_INVALID, "shard '%s' is given twice", kv[i + 1].path);
    }
    for (size_t i = 0; i < j->n; i++) {
        j->keys[i] = kv[i].key;
        sorted[i] = kv[i].path;
    }
    mem_free(kv);
    if (rc < 0) return rc;
    struct rootctx c = { store_dir(j->s), root, 0 };
    FORWARD_ERR(store_write(j->s, upgrade_fn, &c));
    if (c.upgraded)
        log_info("store '%s': %zu shard keys made relative to the corpus root '%s'", store_dir(j->s), c.upgraded,
                 root);
    return store_write(j->s, root_fn, root);
}
