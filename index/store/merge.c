/*
 * merge.c - part stores into one store (merge.h).
 */
#include "index/store/merge.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/err.h"
#include "common/fsutil.h"
#include "common/log.h"
#include "common/mem.h"

#define BATCH_CHUNKS 1024
#define BATCH_DOCS 4096
#define BATCH_BYTES (8u << 20)

struct part {
    const char *dir;
    struct store *s;
    struct store_txn *r;          /* one read snapshot for the whole merge */
    struct store_info in;
    struct buf settings;
};

struct todo {
    const char *key;
    size_t part;
    struct store_shard rec;       /* the part's record */
};

static int by_dir(const void *a, const void *b)
{
    return strcmp(((const struct part *)a)->dir, ((const struct part *)b)->dir);
}

static int by_key_part(const void *a, const void *b)
{
    const struct todo *x = a, *y = b;
    int c = strcmp(x->key, y->key);
    return c ? c : (x->part > y->part) - (x->part < y->part);
}

static const char *dtype_name(enum store_dtype d) { return d == STORE_F16 ? "f16" : "f32"; }

/* ---- write steps (each re-runnable: store_write may call it again) ----------- */

struct wctx {
    struct store *out;
    struct part *p;
    const struct todo *td;
    uint64_t ordinal;             /* in OUT */
    uint64_t from, next;          /* doc number / chunk id cursor */
    int dim;
    float *v, *w;
    struct buf text;
    struct store_doc d;
    long deleted;
    uint64_t n, dups;
    int done;
};

static int docs_fn(struct store_txn *t, void *ctx)
{
    struct wctx *c = ctx;
    uint64_t po = c->td->rec.ordinal, end = c->td->rec.n_docs;
    c->n = 0;
    uint64_t i = c->from;
    for (; i < end && c->n < BATCH_DOCS; i++) {
        int rc = store_get_doc(c->p->r, store_make_id(po, i), &c->d);
        if (rc == ERR_NOTFOUND) { err_clear(); continue; }
        if (rc < 0) return rc;
        c->d.id = store_make_id(c->ordinal, i);
        FORWARD_ERR(store_put_doc(t, &c->d));
        c->n++;
    }
    c->next = i;
    c->done = i >= end;
    return 0;
}

static int chunks_fn(struct store_txn *t, void *ctx)
{
    struct wctx *c = ctx;
    uint64_t po = c->td->rec.ordinal;
    struct store_iter *it;
    FORWARD_ERR(store_chunk_iter_open(c->p->r, c->from, &it));
    struct store_chunk ch;
    size_t bytes = 0;
    int rc;
    c->n = c->dups = 0;
    c->done = 1;
    c->next = c->from;
    while ((rc = store_iter_next_chunk(it, &ch, &c->text)) == 1) {
        if (store_shard_of(ch.id) != po) break;
        if (c->n >= BATCH_CHUNKS || bytes >= BATCH_BYTES) {
            c->done = 0;
            break;
        }
        rc = store_get_vector(c->p->r, ch.id, c->v);
        if (rc < 0) {
            char m[1024];
            snprintf(m, sizeof m, "%s", err_msg());
            rc = err_set(rc, "part '%s': chunk %llu has no vector: %s", c->p->dir, (unsigned long long)ch.id, m);
            break;
        }
        const float *v = c->v;
        uint64_t twin;
        if ((rc = store_text_lookup(t, ch.text_hash, &twin)) < 0) break;
        if (rc == 1) {
            /* a text OUT holds from an earlier chunk: its vector, as ingest copies it */
            if ((rc = store_get_vector(t, twin, c->w)) < 0) break;
            v = c->w;
            c->dups++;
        }
        struct store_chunk o = ch;
        o.id = store_make_id(c->ordinal, ch.id & ((1ull << STORE_ID_SHIFT) - 1));
        o.doc = store_make_id(c->ordinal, ch.doc & ((1ull << STORE_ID_SHIFT) - 1));
        if ((rc = store_put_chunk(t, &o, c->text.data ? c->text.data : "", c->text.len)) < 0) break;
        if ((rc = store_put_vector(t, o.id, v)) < 0) break;
        bytes += c->text.len + (size_t)c->dim * 4;
        c->n++;
        c->next = ch.id + 1;
    }
    store_iter_close(it);
    return rc < 0 ? rc : 0;
}

static int copy_shard(struct store *out, struct part *p, const struct todo *td, int dim, struct merge_stats *st)
{
    struct wctx c = { .out = out, .p = p, .td = td, .dim = dim, .d = STORE_DOC_INIT };
    c.v = mem_alloc_array((size_t)dim, sizeof(float));
    c.w = mem_alloc_array((size_t)dim, sizeof(float));
    int rc = c.v && c.w ? 0 : err_nomem();
    if (rc == 0) rc = store_shard_begin(out, td->key, &td->rec, &c.ordinal, &c.deleted);
    st->deleted += (uint64_t)c.deleted;
    for (c.from = 0, c.done = 0; rc == 0 && !c.done; c.from = c.next) {
        rc = store_write(out, docs_fn, &c);
        st->docs += c.n;
    }
    for (c.from = store_make_id(td->rec.ordinal, 0), c.done = 0; rc == 0 && !c.done; c.from = c.next) {
        rc = store_write(out, chunks_fn, &c);
        st->chunks += c.n;
        st->duplicates += c.dups;
    }
    c.deleted = 0;
    if (rc == 0) rc = store_shard_done(out, td->key, &td->rec, &c.deleted);
    st->deleted += (uint64_t)c.deleted;
    if (rc < 0 && !strstr(err_msg(), p->dir)) {
        char m[1024];
        snprintf(m, sizeof m, "%s", err_msg());
        rc = err_set(rc, "merging shard '%s' of part '%s': %s", td->key, p->dir, m);
    }
    mem_free(c.v);
    mem_free(c.w);
    buf_release(&c.text);
    store_doc_release(&c.d);
    return rc;
}

/* ---- checks ---------------------------------------------------------------- */

static int check_part(const struct part *p, const struct part *ref, const char *what)
{
    const struct store_info *a = &p->in, *b = &ref->in;
    RETURN_ERR_IF(a->schema != b->schema, ERR_MISMATCH, "part '%s': store schema %d, %s '%s' has %d", p->dir,
                  a->schema, what, ref->dir, b->schema);
    RETURN_ERR_IF(strcmp(a->fingerprint, b->fingerprint) || a->dim != b->dim, ERR_MISMATCH,
                  "part '%s' holds vectors of model '%s' (fingerprint %s, dim %d); %s '%s' of '%s' (fingerprint "
                  "%s, dim %d)",
                  p->dir, a->model, a->fingerprint, a->dim, what, ref->dir, b->model, b->fingerprint, b->dim);
    RETURN_ERR_IF(a->dtype != b->dtype, ERR_MISMATCH, "part '%s' stores %s vectors, %s '%s' %s", p->dir,
                  dtype_name(a->dtype), what, ref->dir, dtype_name(b->dtype));
    if (p->settings.len && ref->settings.len &&
        (p->settings.len != ref->settings.len || memcmp(p->settings.data, ref->settings.data, p->settings.len)))
        return err_set(ERR_MISMATCH, "part '%s' was ingested with other segmentation/reader settings than %s '%s': "
                                     "%.*s vs %.*s",
                       p->dir, what, ref->dir, (int)p->settings.len, p->settings.data, (int)ref->settings.len,
                       ref->settings.data);
    return 0;
}

struct setup {
    const struct part *ref;
    int set_model;
    const char *root;
    size_t root_len;
};

static int setup_fn(struct store_txn *t, void *ctx)
{
    struct setup *c = ctx;
    const struct store_info *in = &c->ref->in;
    if (c->set_model) FORWARD_ERR(store_set_model(t, in->model, in->fingerprint, in->dim, in->dtype));
    if (c->ref->settings.len)
        FORWARD_ERR(store_put_meta(t, "settings", c->ref->settings.data, c->ref->settings.len));
    if (c->root) {
        struct buf v = BUF_INIT;
        int rc = store_get_meta(t, "root", &v);
        buf_release(&v);
        if (rc == ERR_NOTFOUND) {
            err_clear();
            return store_put_meta(t, "root", c->root, c->root_len);
        }
        return rc;
    }
    return 0;
}

/* train_dict: OUT's dictionary from the first texts in merge order (as ingest
 * trains on its first texts), when OUT has none: offered until the store has
 * its sample (store_dict_offer). */
static int train_dict(struct store *out, struct part *parts, const struct todo *td, size_t n)
{
    struct buf text = BUF_INIT;
    int rc = store_dict_wanted(out);
    for (size_t i = 0; i < n && rc == 1; i++) {
        struct store_iter *it;
        struct part *p = &parts[td[i].part];
        uint64_t po = td[i].rec.ordinal;
        if ((rc = store_chunk_iter_open(p->r, store_make_id(po, 0), &it)) < 0) break;
        struct store_chunk ch;
        int more = 1;
        while (more == 1 && (rc = store_iter_next_chunk(it, &ch, &text)) == 1 && store_shard_of(ch.id) == po)
            more = store_dict_offer(out, text.data ? text.data : "", text.len);
        store_iter_close(it);
        rc = rc < 0 ? rc : more;
    }
    if (rc >= 0) rc = store_dict_finish(out);
    buf_release(&text);
    return rc;
}

/* ---- store_merge ------------------------------------------------------------- */

int store_merge(struct store *out, const char *const *dirs, size_t n, struct merge_stats *st)
{
    double t0 = now_sec();
    struct part *parts = mem_calloc(n ? n : 1, sizeof *parts);
    struct todo *td = NULL;
    size_t n_td = 0;
    char ***keys = mem_calloc(n ? n : 1, sizeof *keys);
    struct store_shard **recs = mem_calloc(n ? n : 1, sizeof *recs);
    size_t *n_keys = mem_calloc(n ? n : 1, sizeof *n_keys);
    struct fs_lock lock = { -1, NULL };
    struct part self;
    memset(&self, 0, sizeof self);
    struct buf rootv = BUF_INIT;   /* before the first goto out */
    size_t m = 0;
    int rc = parts && keys && recs && n_keys ? 0 : err_nomem();
    if (rc < 0) goto out;
    if ((rc = store_lock_writer(store_dir(out), &lock)) < 0) goto out;
    for (size_t i = 0; i < n; i++) parts[i].dir = dirs[i];
    qsort(parts, n, sizeof *parts, by_dir);
    for (size_t i = 0; i + 1 < n; i++)
        if (!strcmp(parts[i].dir, parts[i + 1].dir)) {
            rc = err_set(ERR_INVALID, "part '%s' is given twice", parts[i].dir);
            goto out;
        }
    /* OUT itself as a part: LMDB must not open one environment twice */
    {
        char *o = realpath(store_dir(out), NULL);
        for (size_t i = 0; i < n && o && rc == 0; i++) {
            char *q = realpath(parts[i].dir, NULL);
            if (q && !strcmp(q, o)) rc = err_set(ERR_INVALID, "part '%s' is the merged store itself", parts[i].dir);
            free(q);
        }
        free(o);
        if (rc < 0) goto out;
    }
    /* open every part and check it against OUT, or the first part with a model */
    self.dir = store_dir(out);
    if ((rc = store_info(out, &self.in)) < 0) goto out;
    {
        struct store_txn *t;
        if ((rc = store_read_begin(out, &t)) < 0) goto out;
        if (store_get_meta(t, "settings", &self.settings) < 0) err_clear();
        store_read_end(t);
    }
    const struct part *ref = self.in.dim ? &self : NULL;
    const char *root = NULL;
    for (size_t i = 0; i < n && rc == 0; i++) {
        struct part *p = &parts[i];
        if ((rc = store_open(p->dir, STORE_RDONLY, &p->s)) < 0 ||
            (rc = store_read_begin(p->s, &p->r)) < 0 || (rc = store_txn_info(p->r, &p->in)) < 0) {
            char msg[1024];
            snprintf(msg, sizeof msg, "%s", err_msg());
            rc = err_set(rc, "part '%s': %s", p->dir, msg);
            break;
        }
        if (store_get_meta(p->r, "settings", &p->settings) < 0) err_clear();
        struct buf tmp = BUF_INIT;
        int re = store_get_meta(p->r, "reembed", &tmp);
        buf_release(&tmp);
        if (re == 0) {
            rc = err_set(ERR_MISMATCH, "part '%s': a --reembed is in progress: finish its ingest first", p->dir);
            break;
        }
        err_clear();
        if ((rc = store_list_shards(p->r, &keys[i], &recs[i], &n_keys[i])) < 0) break;
        for (size_t j = 0; j < n_keys[i] && rc == 0; j++) {
            if (recs[i][j].status != STORE_SHARD_DONE)
                rc = err_set(ERR_MISMATCH, "part '%s': shard '%s' is still in progress (a task was interrupted): "
                                           "run its ingest again, then merge",
                             p->dir, keys[i][j]);
            else if (keys[i][j][0] == '/')
                rc = err_set(ERR_MISMATCH, "part '%s': shard '%s' is keyed by an absolute path (a store made "
                                           "before keys were relative): run its ingest again with --root",
                             p->dir, keys[i][j]);
        }
        if (rc < 0) break;
        if (!p->in.dim) {
            if (n_keys[i]) rc = err_set(ERR_FORMAT, "part '%s' has shards but no model", p->dir);
            continue;
        }
        if (!ref) ref = p;
        else if ((rc = check_part(p, ref, ref == &self ? "the merged store" : "part")) < 0) break;
        if (!root && store_get_meta(p->r, "root", &rootv) == 0) root = rootv.data ? rootv.data : NULL;
        err_clear();
        st->parts++;
    }
    if (rc < 0) goto out;
    /* every done shard, by key; a key in two parts must have one content */
    size_t total = 0;
    for (size_t i = 0; i < n; i++) total += n_keys[i];
    td = mem_calloc(total ? total : 1, sizeof *td);
    if (!td) { rc = err_nomem(); goto out; }
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j < n_keys[i]; j++) td[n_td++] = (struct todo){ keys[i][j], i, recs[i][j] };
    qsort(td, n_td, sizeof *td, by_key_part);
    m = 0;
    for (size_t i = 0; i < n_td; i++) {
        if (m && !strcmp(td[m - 1].key, td[i].key)) {
            if (td[m - 1].rec.hash.lo != td[i].rec.hash.lo || td[m - 1].rec.hash.hi != td[i].rec.hash.hi) {
                rc = err_set(ERR_MISMATCH, "shard '%s' has different contents in parts '%s' and '%s'", td[i].key,
                             parts[td[m - 1].part].dir, parts[td[i].part].dir);
                goto out;
            }
            continue;
        }
        td[m++] = td[i];
    }
    n_td = m;
    st->shards_seen = n_td;
    if (!ref) goto out; /* nothing holds a model: nothing to merge */
    {
        struct setup su = { ref, !self.in.dim, root, root ? strlen(root) : 0 };
        if ((rc = store_write(out, setup_fn, &su)) < 0) goto out;
    }
    /* what OUT lacks, in key order */
    struct store_txn *t;
    if ((rc = store_read_begin(out, &t)) < 0) goto out;
    m = 0;
    for (size_t i = 0; i < n_td; i++) {
        struct store_shard cur;
        int g = store_get_shard(t, td[i].key, &cur);
        if (g == 0 && cur.status == STORE_SHARD_DONE && cur.hash.lo == td[i].rec.hash.lo &&
            cur.hash.hi == td[i].rec.hash.hi) {
            st->shards_skipped++;
            continue;
        }
        if (g == ERR_NOTFOUND) st->shards_new++;
        else if (g < 0) { rc = g; break; }
        else if (cur.status == STORE_SHARD_DONE) st->shards_changed++;
        else st->shards_resumed++;
        td[m++] = td[i];
    }
    store_read_end(t);
    err_clear();
    if (rc < 0) goto out;
    if (m && (rc = train_dict(out, parts, td, m)) < 0) goto out;
    for (size_t i = 0; i < m && rc == 0; i++) {
        log_debug("merge: shard '%s' from part '%s'", td[i].key, parts[td[i].part].dir);
        rc = copy_shard(out, &parts[td[i].part], &td[i], ref->in.dim, st);
    }
out:
    buf_release(&rootv);
    buf_release(&self.settings);
    for (size_t i = 0; parts && i < n; i++) {
        if (parts[i].r) store_read_end(parts[i].r);
        store_close(parts[i].s);
        buf_release(&parts[i].settings);
        if (keys && recs) store_shard_list_free(keys[i], recs[i], n_keys[i]);
    }
    mem_free(parts);
    mem_free(keys);
    mem_free(recs);
    mem_free(n_keys);
    mem_free(td);
    fs_lock_release(&lock);
    st->t_total += now_sec() - t0;
    return rc;
}
