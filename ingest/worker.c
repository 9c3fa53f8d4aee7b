/*
 * worker.c - the ingest pipeline of ingest.h: prep thread -> encoder (the
 * calling thread) -> writer thread, joined by bounded queues of events.
 *
 * Events travel in shard order: BEGIN(shard) DATA... END(shard). The writer
 * turns BEGIN into an "in progress" shard record with its ordinal (deleting
 * the partial chunks of an interrupted run of the same shard), each DATA into
 * one write transaction, END into the "done" record (deleting the chunks of
 * the shard's previous version, in the same transaction: readers, who do not
 * see shards in progress, switch from the old version to the new at once).
 * An END of a shard not read whole (failed) leaves it in progress instead.
 * Ids are ordinal << 40 | sequence number, and sequence numbers come from
 * reading order, so a rerun makes the same ids.
 *
 * Text dedup: the prep thread hashes each chunk text (xxh3-128) and looks it
 * up (1) in the hash sets of the batches it has sent but the writer has not
 * yet committed -> "pending", the writer copies the vector from the chunk it
 * wrote earlier in the same run; (2) in the store's texts map -> "stored", the
 * vector is copied right away from a read snapshot. Only the rest is encoded.
 * Whether a chunk is copied or encoded never changes what is stored: the
 * encoder is deterministic for a given text and n_tokens is computed for every
 * chunk the same way.
 *
 * The writer holds its first batches until it has a sample (4000 texts or
 * 2 MiB, or the end of the run) to train the store's zstd dictionary on.
 */
#include "ingest.h"

#include <jansson.h>
#include <limits.h>
#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "err.h"
#include "fsutil.h"
#include "json.h"
#include "ingest/encoder/encoder.h"
#include "ingest/part.h"
#include "ingest/tokenizer/tokenizer.h"
#include "log.h"
#include "mem.h"
#include "queue.h"
#include "utf8.h"
#include "ingest/internal.h"

#define QCAP 4
#define DICT_TEXTS 4000
#define DICT_BYTES (2u << 20)

/* ---- events ---------------------------------------------------------------- */

enum how { HOW_ENCODE, HOW_STORED, HOW_PENDING, HOW_BAD /* non-finite vector: not stored */ };
enum ev_kind { EV_BEGIN, EV_DATA, EV_END };

struct item {
    uint64_t doc_seq, chunk_seq;
    size_t off, len;          /* text in the batch arena */
    uint64_t start, end;      /* span in the document */
    struct hash128 h;
    int32_t n_tokens;
    uint8_t truncated, how;
    size_t ids_off, n_ids;    /* token ids (transformer models) */
};

struct docr {
    uint64_t seq, record, offset, length;
    uint32_t n_chunks;
    size_t entry_off, entry_len, id_off, id_len;
};

struct event {
    enum ev_kind kind;
    uint32_t shard;
    uint64_t seq;             /* DATA: batch number in this run, from 1 */
    struct item *items;
    size_t n_items, cap_items;
    struct docr *docs;
    size_t n_docs, cap_docs;
    struct buf arena;
    int32_t *ids;
    size_t n_ids, cap_ids;
    float *vecs;              /* n_items * dim */
    size_t tokens;
    /* BEGIN / END */
    struct hash128 hash;
    uint64_t bytes;
    uint64_t sh_docs, sh_chunks, sh_rejected;
    int failed;               /* END: the shard was not read whole: it is not done */
};

static void ev_free(struct event *e)
{
    if (!e) return;
    mem_free(e->items);
    mem_free(e->docs);
    buf_release(&e->arena);
    mem_free(e->ids);
    mem_free(e->vecs);
    mem_free(e);
}

/* hash set of one batch's texts (open addressing, {0,0} = empty) */
struct hset {
    uint64_t seq;
    struct hash128 *slot;
    size_t mask;
};

struct run {
    struct store *s;
    struct enc *e;
    const struct tok *tok;
    int dim;
    const struct ingest_options *o;
    struct ingest_stats *st;
    const char *const *paths;
    char **keys;
    size_t n;
    uint64_t *ordinal;        /* writer: shard index -> ordinal */
    uint64_t settings;        /* hash of the settings that shape chunks (shard records) */
    int legacy_same;          /* a record without that hash counts as made with them */
    struct queue q_enc, q_write;
    atomic_int abort;
    atomic_ullong committed;  /* every DATA batch with seq <= this is committed */
    atomic_ullong passed;     /* shards the prep thread skipped or failed (progress) */
    atomic_ullong bad;        /* chunks rejected for a non-finite vector (writer) */
    struct hash128 *bad_h;    /* writer: their text hashes (duplicates are rejected too) */
    size_t n_bad_h, cap_bad_h;
    pthread_mutex_t mu_err;
    int err;
    char errmsg[1024];
    /* prep state */
    struct event *cur;
    uint32_t shard;
    uint64_t doc_seq, chunk_seq, seq, sh_docs, sh_chunks;
    struct seg_spans spans;
    struct tok_encoding te;
    struct hset *sets;
    size_t n_sets, cap_sets;
    size_t batch_tokens, batch_chunks;
    double prep_blocked;      /* prep time spent waiting for room in the queue */
};

static void run_fail(struct run *r, int rc)
{
    pthread_mutex_lock(&r->mu_err);
    if (!r->err) {
        r->err = rc;
        snprintf(r->errmsg, sizeof r->errmsg, "%s", err_msg());
    }
    pthread_mutex_unlock(&r->mu_err);
    atomic_store(&r->abort, 1);
    queue_close(&r->q_enc);
    queue_close(&r->q_write);
}

/* ---- prep thread ----------------------------------------------------------- */

static int hset_has(const struct hset *h, struct hash128 x)
{
    for (size_t i = (size_t)x.lo & h->mask;; i = (i + 1) & h->mask) {
        if (!h->slot[i].lo && !h->slot[i].hi) return 0;
        if (h->slot[i].lo == x.lo && h->slot[i].hi == x.hi) return 1;
    }
}

static void hset_add(struct hset *h, struct hash128 x)
{
    if (!x.lo && !x.hi) return;
    size_t i = (size_t)x.lo & h->mask;
    while (h->slot[i].lo || h->slot[i].hi) {
        if (h->slot[i].lo == x.lo && h->slot[i].hi == x.hi) return;
        i = (i + 1) & h->mask;
    }
    h->slot[i] = x;
}

static struct event *ev_new(enum ev_kind k, uint32_t shard)
{
    struct event *e = mem_calloc(1, sizeof *e);
    if (e) {
        e->kind = k;
        e->shard = shard;
    }
    return e;
}

static int send_event(struct run *r, struct event *e)
{
    double t0 = now_sec();
    int full = queue_push(&r->q_enc, e);
    r->prep_blocked += now_sec() - t0;
    if (full < 0) {
        ev_free(e);
        return ERR_INVALID; /* aborted: the error is already recorded */
    }
    return 0;
}

/* dedup: decide how each chunk of the batch gets its vector. */
static int dedup(struct run *r, struct event *b)
{
    /* sets of committed batches are visible in a snapshot begun after this load */
    uint64_t done = atomic_load(&r->committed);
    size_t k = 0;
    for (size_t i = 0; i < r->n_sets; i++) {
        if (r->sets[i].seq <= done) mem_free(r->sets[i].slot);
        else r->sets[k++] = r->sets[i];
    }
    r->n_sets = k;
    FORWARD_ERR(MEM_GROW(r->sets, r->n_sets + 1, r->cap_sets));
    size_t sz = 16;
    while (sz < b->n_items * 2) sz *= 2;
    struct hset cur = { b->seq, mem_calloc(sz, sizeof(struct hash128)), sz - 1 };
    if (!cur.slot) return err_nomem();
    r->sets[r->n_sets++] = cur;
    b->vecs = mem_alloc_array(b->n_items * (size_t)r->dim, sizeof(float));
    if (!b->vecs) return err_nomem();
    struct store_txn *t;
    FORWARD_ERR(store_read_begin_pending(r->s, &t));
    int rc = 0;
    for (size_t i = 0; i < b->n_items && rc == 0; i++) {
        struct item *it = &b->items[i];
        int seen = 0;
        for (size_t j = 0; j < r->n_sets && !seen; j++) seen = hset_has(&r->sets[j], it->h);
        uint64_t id;
        if (seen) {
            it->how = HOW_PENDING;
        } else if ((rc = store_text_lookup(t, it->h, &id)) == 1 &&
                   store_get_vector(t, id, b->vecs + i * (size_t)r->dim) == 0) {
            it->how = HOW_STORED;
            rc = 0;
        } else if (rc >= 0) {
            rc = 0;
            it->how = HOW_ENCODE;
            hset_add(&r->sets[r->n_sets - 1], it->h);
        }
    }
    store_read_end(t);
    return rc;
}

static int flush(struct run *r)
{
    struct event *b = r->cur;
    if (!b) return 0;
    r->cur = NULL;
    if (b->n_items == 0 && b->n_docs == 0) {
        ev_free(b);
        return 0;
    }
    b->seq = ++r->seq;
    int rc = dedup(r, b);
    if (rc < 0) {
        ev_free(b);
        return rc;
    }
    return send_event(r, b);
}

static int on_doc(void *ctx, const struct src_doc *d)
{
    struct run *r = ctx;
    if (atomic_load(&r->abort)) return ERR_INVALID;
    FORWARD_ERR(seg_split(&r->o->seg, d->text, d->len, &r->spans));
    if (r->spans.n == 0) return 0;
    for (size_t i = 0; i < r->spans.n; i++) {
        if (!r->cur && !(r->cur = ev_new(EV_DATA, r->shard))) return err_nomem();
        struct event *b = r->cur;
        if (i == 0) {
            /* the doc record travels with its first chunk */
            FORWARD_ERR(MEM_GROW(b->docs, b->n_docs + 1, b->cap_docs));
            struct docr *dr = &b->docs[b->n_docs++];
            dr->seq = r->doc_seq;
            dr->record = d->record;
            dr->offset = d->offset;
            dr->length = d->len;
            dr->n_chunks = (uint32_t)r->spans.n;
            dr->entry_off = b->arena.len;
            dr->entry_len = strlen(d->entry);
            if (buf_append(&b->arena, d->entry, dr->entry_len) < 0) return err_nomem();
            dr->id_off = b->arena.len;
            dr->id_len = d->ext_id ? d->ext_id_len : 0;
            if (dr->id_len && buf_append(&b->arena, d->ext_id, dr->id_len) < 0)
                return err_nomem();
        }
        FORWARD_ERR(MEM_GROW(b->items, b->n_items + 1, b->cap_items));
        struct item *it = &b->items[b->n_items++];
        memset(it, 0, sizeof *it);
        const char *s = d->text + r->spans.v[i].start;
        size_t n = r->spans.v[i].end - r->spans.v[i].start;
        it->doc_seq = r->doc_seq;
        it->chunk_seq = r->chunk_seq++;
        it->start = r->spans.v[i].start;
        it->end = r->spans.v[i].end;
        it->off = b->arena.len;
        it->len = n;
        if (buf_append(&b->arena, s, n) < 0) return err_nomem();
        it->h = hash128(s, n);
        FORWARD_ERR(ingest_count_tokens(r->tok, s, n, &r->te, &it->n_tokens, &it->truncated));
        if (r->tok) {
            FORWARD_ERR(MEM_GROW(b->ids, b->n_ids + r->te.n, b->cap_ids));
            it->ids_off = b->n_ids;
            it->n_ids = r->te.n;
            memcpy(b->ids + b->n_ids, r->te.ids, r->te.n * sizeof *b->ids);
            b->n_ids += r->te.n;
        }
        b->tokens += (size_t)it->n_tokens;
        r->sh_chunks++;
        if (b->tokens >= r->batch_tokens || b->n_items >= r->batch_chunks) FORWARD_ERR(flush(r));
    }
    r->doc_seq++;
    r->sh_docs++;
    return 0;
}

static int prep_shard(struct run *r, uint32_t i)
{
    struct ingest_stats *st = r->st;
    const char *key = r->keys[i], *path = r->paths[i];
    st->shards_seen++;
    struct hash128 h;
    uint64_t bytes;
    if (src_hash_opt(path, &r->o->src, &h, &bytes) < 0) {
        log_warn("shard '%s': %s; skipped", path, err_msg());
        st->shards_failed++;
        st->rejected++;
        atomic_fetch_add(&r->passed, 1);
        if (r->o->src.strict) return err_set(ERR_FORMAT, "shard '%s' cannot be read (--strict)", path);
        return 0;
    }
    struct store_txn *t;
    FORWARD_ERR(store_read_begin(r->s, &t));
    struct store_shard rec;
    int rc = store_get_shard(t, key, &rec);
    store_read_end(t);
    if (rc < 0 && rc != ERR_NOTFOUND) return rc;
    int same_settings = rc == 0 && (rec.settings == r->settings || (rec.settings == 0 && r->legacy_same));
    if (rc == 0 && rec.status == STORE_SHARD_DONE && rec.hash.lo == h.lo && rec.hash.hi == h.hi) {
        if (same_settings) {
            st->shards_skipped++;
            atomic_fetch_add(&r->passed, 1);
            log_debug("shard '%s': unchanged, skipped", path);
            return 0;
        }
        log_info("shard '%s': its chunks were made with other settings (segmentation, window, text/id field, "
                 "column, caps or model): read again, its old chunks are replaced", path);
    }
    if (rc == ERR_NOTFOUND) st->shards_new++;
    else if (rec.status == STORE_SHARD_DONE) st->shards_changed++;
    else st->shards_resumed++;
    err_clear();
    struct event *b = ev_new(EV_BEGIN, i);
    if (!b) return err_nomem();
    b->hash = h;
    b->bytes = bytes;
    FORWARD_ERR(send_event(r, b));
    r->shard = i;
    r->doc_seq = r->chunk_seq = r->sh_docs = r->sh_chunks = 0;
    struct src_stats ss = { 0 };
    rc = src_read(path, &r->o->src, on_doc, r, &ss);
    st->bytes += ss.bytes;
    st->rejected += ss.n_rejected;
    st->replaced += ss.n_replaced;
    st->nul += ss.n_nul;
    st->empty += ss.n_empty;
    st->binary += ss.n_binary;
    st->skipped_entries += ss.n_skipped;
    if (rc < 0) return rc;
    FORWARD_ERR(flush(r));
    b = ev_new(EV_END, i);
    if (!b) return err_nomem();
    /* a shard is done only when it was read whole and gave something to read:
     * otherwise the next run reads it again and reports it again */
    if (ss.n_unread) {
        log_warn("shard '%s': not read to its end; not recorded as done (the next run reads it again)", path);
        b->failed = 1;
    } else if (!ss.n_formatted) {
        log_warn("shard '%s': no entry of a known record format (.txt .md .jsonl .ndjson .tsv .csv); not "
                 "recorded as done", path);
        st->rejected++;
        b->failed = 1;
    } else if (!ss.docs && ss.n_rejected) {
        log_warn("shard '%s': every record was rejected (%llu); not recorded as done", path,
                 (unsigned long long)ss.n_rejected);
        b->failed = 1;
    }
    if (b->failed) {
        st->shards_failed++;
        atomic_fetch_add(&r->passed, 1);
    }
    b->hash = h;
    b->bytes = bytes;
    b->sh_docs = r->sh_docs;
    b->sh_chunks = r->sh_chunks;
    b->sh_rejected = ss.n_rejected;
    return send_event(r, b);
}

static void *prep_main(void *arg)
{
    struct run *r = arg;
    double t0 = now_sec();
    for (uint32_t i = 0; i < r->n && !atomic_load(&r->abort); i++) {
        int rc = prep_shard(r, i);
        if (rc < 0) {
            if (!atomic_load(&r->abort)) run_fail(r, rc);
            break;
        }
    }
    ev_free(r->cur);
    r->cur = NULL;
    r->st->t_prep = now_sec() - t0 - r->prep_blocked;
    queue_close(&r->q_enc);
    return NULL;
}

/* ---- encoder (calling thread) ---------------------------------------------- */

static int encode_batch(struct run *r, struct event *b)
{
    size_t k = 0;
    for (size_t i = 0; i < b->n_items; i++) k += b->items[i].how == HOW_ENCODE;
    if (!k) return 0;
    const char **texts = mem_alloc_array(k, sizeof *texts);
    const int32_t **ids = mem_alloc_array(k, sizeof *ids);
    size_t *lens = mem_alloc_array(k, sizeof *lens), *idx = mem_alloc_array(k, sizeof *idx);
    float *out = mem_alloc_array(k * (size_t)r->dim, sizeof *out);
    int rc = texts && ids && lens && idx && out ? 0 : err_nomem();
    if (rc == 0) {
        size_t j = 0;
        for (size_t i = 0; i < b->n_items; i++) {
            struct item *it = &b->items[i];
            if (it->how != HOW_ENCODE) continue;
            texts[j] = b->arena.data + it->off;
            lens[j] = r->tok ? it->n_ids : it->len;
            ids[j] = r->tok ? b->ids + it->ids_off : NULL;
            idx[j++] = i;
        }
        rc = r->tok ? enc_encode_ids(r->e, ids, lens, k, out) : enc_encode(r->e, texts, lens, k, out, NULL);
        for (size_t j2 = 0; rc == 0 && j2 < k; j2++) {
            memcpy(b->vecs + idx[j2] * (size_t)r->dim, out + j2 * (size_t)r->dim, (size_t)r->dim * sizeof *out);
            if (!ingest_vec_finite(out + j2 * (size_t)r->dim, r->dim)) b->items[idx[j2]].how = HOW_BAD;
        }
    }
    mem_free(texts);
    mem_free(ids);
    mem_free(lens);
    mem_free(idx);
    mem_free(out);
    return rc;
}

static void encode_main(struct run *r)
{
    for (;;) {
        double t0 = now_sec();
        struct event *b = queue_pop(&r->q_enc);
        double t1 = now_sec();
        r->st->t_encode_wait += t1 - t0;
        if (!b) break;
        if (b->kind == EV_DATA) {
            int rc = encode_batch(r, b);
            r->st->t_encode += now_sec() - t1;
            if (rc < 0) {
                ev_free(b);
                run_fail(r, rc);
                break;
            }
        }
        if (queue_push(&r->q_write, b) < 0) {
            ev_free(b);
            break;
        }
    }
    queue_close(&r->q_write);
}

/* ---- writer thread --------------------------------------------------------- */

struct wctx {
    struct run *r;
    struct event *b;
    uint64_t ordinal;
    long deleted;
    uint64_t dups, bad;
};

static int begin_fn(struct store_txn *t, void *ctx)
{
    struct wctx *w = ctx;
    const char *key = w->r->keys[w->b->shard];
    struct store_shard rec;
    int rc = store_get_shard(t, key, &rec);
    w->deleted = 0;
    if (rc == ERR_NOTFOUND) {
        memset(&rec, 0, sizeof rec);
        FORWARD_ERR(store_next_ordinal(t, key, &rec.ordinal));
    } else if (rc < 0) {
        return rc;
    } else if (rec.status == STORE_SHARD_OPEN) {
        /* an interrupted run: start this ordinal over */
        long n = store_clear_ordinal(t, rec.ordinal);
        if (n < 0) return (int)n;
        w->deleted = n;
    } else {
        /* a new version of a done shard: new ordinal, the old one goes at END */
        uint64_t prev = rec.ordinal;
        memset(&rec, 0, sizeof rec);
        rec.prev = prev + 1;
        FORWARD_ERR(store_next_ordinal(t, key, &rec.ordinal));
    }
    rec.status = STORE_SHARD_OPEN;
    rec.hash = w->b->hash;
    rec.bytes = w->b->bytes;
    w->ordinal = rec.ordinal;
    return store_put_shard(t, key, &rec);
}

static int end_fn(struct store_txn *t, void *ctx)
{
    struct wctx *w = ctx;
    const char *key = w->r->keys[w->b->shard];
    struct store_shard rec;
    FORWARD_ERR(store_get_shard(t, key, &rec));
    w->deleted = 0;
    if (w->b->failed) {
        /* stays in progress (hidden from readers; a changed shard's old
         * version stays visible): drop what was read of it */
        long n = store_clear_ordinal(t, rec.ordinal);
        if (n < 0) return (int)n;
        rec.n_rejected = w->b->sh_rejected;
        return store_put_shard(t, key, &rec);
    }
    if (rec.prev) {
        long n = store_delete_ordinal(t, rec.prev - 1);
        if (n < 0) return (int)n;
        w->deleted = n;
    }
    rec.status = STORE_SHARD_DONE;
    rec.prev = 0;
    rec.hash = w->b->hash;
    rec.bytes = w->b->bytes;
    rec.n_docs = w->b->sh_docs;
    rec.n_chunks = w->b->sh_chunks;
    rec.n_rejected = w->b->sh_rejected;
    rec.time = (uint64_t)time(NULL);
    rec.settings = w->r->settings;
    return store_put_shard(t, key, &rec);
}

static int twin_bad(const struct run *r, struct hash128 h)
{
    for (size_t i = 0; i < r->n_bad_h; i++)
        if (r->bad_h[i].lo == h.lo && r->bad_h[i].hi == h.hi) return 1;
    return 0;
}

/* bad_chunk: name the rejected chunk (shard, entry, record) and remember its
 * text so that its duplicates later in the run are rejected too. */
static int bad_chunk(struct run *r, const struct event *b, const struct item *it)
{
    const struct docr *dr = NULL;
    for (size_t i = 0; i < b->n_docs && !dr; i++)
        if (b->docs[i].seq == it->doc_seq) dr = &b->docs[i];
    if (dr)
        log_warn("shard '%s': entry '%.*s': record %llu: chunk at bytes %llu-%llu: the encoder gave a non-finite "
                 "vector (NaN or Inf); chunk rejected", r->paths[b->shard], (int)dr->entry_len,
                 b->arena.data + dr->entry_off, (unsigned long long)dr->record, (unsigned long long)it->start,
                 (unsigned long long)it->end);
    else
        log_warn("shard '%s': document %llu: chunk at bytes %llu-%llu: the encoder gave a non-finite vector "
                 "(NaN or Inf); chunk rejected", r->paths[b->shard], (unsigned long long)it->doc_seq,
                 (unsigned long long)it->start, (unsigned long long)it->end);
    if (twin_bad(r, it->h)) return 0;
    FORWARD_ERR(MEM_GROW(r->bad_h, r->n_bad_h + 1, r->cap_bad_h));
    r->bad_h[r->n_bad_h++] = it->h;
    return 0;
}

static int data_fn(struct store_txn *t, void *ctx)
{
    struct wctx *w = ctx;
    struct run *r = w->r;
    struct event *b = w->b;
    uint64_t ord = r->ordinal[b->shard];
    w->dups = w->bad = 0;
    struct store_doc d = STORE_DOC_INIT;
    int rc = 0;
    for (size_t i = 0; i < b->n_docs && rc == 0; i++) {
        struct docr *dr = &b->docs[i];
        d.id = store_make_id(ord, dr->seq);
        d.record = dr->record;
        d.offset = dr->offset;
        d.length = dr->length;
        d.n_chunks = dr->n_chunks;
        buf_reset(&d.entry);
        buf_reset(&d.ext_id);
        if (buf_append(&d.entry, b->arena.data + dr->entry_off, dr->entry_len) < 0 ||
            buf_append(&d.ext_id, b->arena.data + dr->id_off, dr->id_len) < 0)
            rc = err_nomem();
        else
            rc = store_put_doc(t, &d);
    }
    store_doc_release(&d);
    float *tmp = NULL;
    for (size_t i = 0; i < b->n_items && rc == 0; i++) {
        struct item *it = &b->items[i];
        float *v = b->vecs + i * (size_t)r->dim;
        if (it->how == HOW_PENDING && twin_bad(r, it->h)) it->how = HOW_BAD;
        if (it->how == HOW_BAD) {
            /* a NaN/Inf vector is never stored or indexed: the chunk alone is rejected */
            if ((rc = bad_chunk(r, b, it)) < 0) break;
            w->bad++;
            continue;
        }
        if (it->how == HOW_PENDING) {
            /* its twin was written earlier in this run (before this chunk's own
             * texts-map entry replaces it) */
            uint64_t id;
            rc = store_text_lookup(t, it->h, &id);
            if (rc == 0) rc = err_set(ERR_STORE, "chunk %llu: the vector of its duplicate text is missing",
                                      (unsigned long long)store_make_id(ord, it->chunk_seq));
            if (rc < 0) break;
            if (!tmp && !(tmp = mem_alloc_array((size_t)r->dim, sizeof *tmp))) {
                rc = err_nomem();
                break;
            }
            if ((rc = store_get_vector(t, id, tmp)) < 0) break;
            v = tmp;
        }
        if (it->how != HOW_ENCODE) w->dups++;
        struct store_chunk c = { 0 };
        c.id = store_make_id(ord, it->chunk_seq);
        c.doc = store_make_id(ord, it->doc_seq);
        c.start = it->start;
        c.end = it->end;
        c.n_tokens = it->n_tokens;
        c.truncated = it->truncated;
        if ((rc = store_put_chunk(t, &c, b->arena.data + it->off, it->len)) < 0) break;
        rc = store_put_vector(t, c.id, v);
    }
    mem_free(tmp);
    return rc;
}

static int write_event(struct run *r, struct event *b, struct progress *p, uint64_t *shards_done)
{
    struct wctx w = { r, b, 0, 0, 0, 0 };
    struct ingest_stats *st = r->st;
    int rc;
    switch (b->kind) {
    case EV_BEGIN:
        FORWARD_ERR(store_write(r->s, begin_fn, &w));
        r->ordinal[b->shard] = w.ordinal;
        st->deleted += (uint64_t)w.deleted;
        return 0;
    case EV_END:
        FORWARD_ERR(store_write(r->s, end_fn, &w));
        if (b->failed) {
            /* what was read of it was dropped: not in the run's counts */
            st->chunks -= (uint64_t)w.deleted < st->chunks ? (uint64_t)w.deleted : st->chunks;
            st->docs -= b->sh_docs < st->docs ? b->sh_docs : st->docs;
            return 0;
        }
        st->deleted += (uint64_t)w.deleted;
        (*shards_done)++;
        log_debug("shard '%s': done, %llu docs, %llu chunks", r->paths[b->shard], (unsigned long long)b->sh_docs,
                  (unsigned long long)b->sh_chunks);
        return 0;
    case EV_DATA:
        rc = store_write(r->s, data_fn, &w);
        if (rc < 0) return rc;
        atomic_store(&r->committed, b->seq);
        st->docs += b->n_docs;
        st->chunks += b->n_items - w.bad;
        st->duplicates += w.dups;
        st->encoded += b->n_items - w.dups - w.bad;
        atomic_fetch_add(&r->bad, w.bad);
        st->tokens += b->tokens;
        for (size_t i = 0; i < b->n_items; i++) st->truncated += b->items[i].truncated;
        if (r->o->progress) {
            double el = now_sec() - p->t_start;
            progress_update(p, *shards_done + atomic_load(&r->passed), "shards, %llu docs, %llu chunks, %.0f chunks/s",
                            (unsigned long long)st->docs, (unsigned long long)st->chunks,
                            el > 0 ? (double)st->chunks / el : 0.0);
        }
        return 0;
    }
    return 0;
}

/* train_from: the dictionary sample is the held batches' texts. */
static void train_from(struct run *r, struct event **held, size_t n_held)
{
    size_t n = 0, bytes = 0;
    for (size_t i = 0; i < n_held; i++)
        if (held[i]->kind == EV_DATA) n += held[i]->n_items;
    const char **tx = mem_alloc_array(n ? n : 1, sizeof *tx);
    size_t *ln = mem_alloc_array(n ? n : 1, sizeof *ln);
    if (!tx || !ln) goto out;
    size_t k = 0;
    for (size_t i = 0; i < n_held; i++) {
        struct event *b = held[i];
        if (b->kind != EV_DATA) continue;
        for (size_t j = 0; j < b->n_items && bytes < 16 * DICT_BYTES; j++) {
            tx[k] = b->arena.data + b->items[j].off;
            ln[k] = b->items[j].len;
            bytes += ln[k++];
        }
    }
    double t0 = now_sec();
    if (store_train_dict(r->s, tx, ln, k) < 0)
        log_debug("store '%s': no zstd dictionary yet: %s", store_dir(r->s), err_msg());
    else
        log_debug("store '%s': zstd dictionary trained on %zu texts in %.3fs", store_dir(r->s), k, now_sec() - t0);
    err_clear();
out:
    mem_free(tx);
    mem_free(ln);
}

static void *write_main(void *arg)
{
    struct run *r = arg;
    struct progress p;
    progress_init(&p, "ingest", r->n);
    uint64_t shards_done = 0;
    struct store_info in;
    int have_dict = store_info(r->s, &in) == 0 && in.has_dict;
    struct event **held = NULL;
    size_t n_held = 0, cap_held = 0, sample_n = 0, sample_bytes = 0;
    int rc = 0;
    for (;;) {
        struct event *b = queue_pop(&r->q_write);
        if (b && atomic_load(&r->abort)) {
            ev_free(b);
            break;
        }
        if (!have_dict && !atomic_load(&r->abort)) {
            if (b) {
                if (MEM_GROW(held, n_held + 1, cap_held) < 0) {
                    ev_free(b);
                    rc = err_nomem();
                    break;
                }
                held[n_held++] = b;
                if (b->kind == EV_DATA) {
                    sample_n += b->n_items;
                    sample_bytes += b->arena.len;
                }
            }
            if (b && sample_n < DICT_TEXTS && sample_bytes < DICT_BYTES) continue;
            double t0 = now_sec();
            train_from(r, held, n_held);
            have_dict = 1;
            for (size_t i = 0; i < n_held && rc == 0; i++) rc = write_event(r, held[i], &p, &shards_done);
            for (size_t i = 0; i < n_held; i++) ev_free(held[i]);
            n_held = 0;
            r->st->t_write += now_sec() - t0;
            if (rc < 0 || !b) break;
            continue;
        }
        if (!b) break;
        double t0 = now_sec();
        rc = write_event(r, b, &p, &shards_done);
        r->st->t_write += now_sec() - t0;
        ev_free(b);
        if (rc < 0) break;
    }
    for (size_t i = 0; i < n_held; i++) ev_free(held[i]);
    mem_free(held);
    if (rc < 0) run_fail(r, rc);
    if (r->o->progress) {
        double el = now_sec() - p.t_start;
        p.t_last = 0;
        progress_update(&p, shards_done + atomic_load(&r->passed), "shards, %llu docs, %llu chunks, %.0f chunks/s",
                        (unsigned long long)r->st->docs, (unsigned long long)r->st->chunks,
                        el > 0 ? (double)r->st->chunks / el : 0.0);
        progress_done(&p);
    }
    return NULL;
}

/* ---- ingest_run ------------------------------------------------------------ */

static int settings_fn(struct store_txn *t, void *ctx)
{
    struct buf *b = ctx;
    return store_put_meta(t, "settings", b->data, b->len);
}

/* settings_json: the segmentation and reader options of this run as saved in
 * meta "settings". canon: window and overlap only where they shape chunks. */
static int settings_json(const struct ingest_options *o, int canon, struct buf *b)
{
    const char *idf = o->src.id_field ? o->src.id_field : "";
    int win = !canon || o->seg.mode == SEG_WINDOW;
    json_t *j = json_pack("{ss si si so so so sI sI sI}", "segment", seg_mode_name(o->seg.mode), "window",
                          win ? o->seg.window : 0, "overlap", win ? o->seg.overlap : 0, "text_field",
                          json_str(o->src.text_field, strlen(o->src.text_field)), "id_field",
                          json_str(idf, strlen(idf)), "column", json_str(o->src.column, strlen(o->src.column)),
                          "max_entry", (json_int_t)o->src.max_entry, "max_shard", (json_int_t)o->src.max_shard,
                          "max_record", (json_int_t)o->src.max_record);
    int rc = json_dump_buf(j, JSON_DUMP_FLAGS, b);
    json_decref(j);
    return rc;
}

/* log_settings_change: name the settings that differ from the last run's
 * (shards made with the old ones are read again). */
static void log_settings_change(const struct run *r, const struct buf *old, const struct buf *now)
{
    json_error_t je;
    json_t *a = json_loadb(old->data, old->len, 0, &je), *b = json_loadb(now->data, now->len, 0, &je);
    struct buf msg = BUF_INIT;
    const char *k;
    json_t *vb;
    if (json_is_object(a) && json_is_object(b))
        json_object_foreach(b, k, vb) {
            json_t *va = json_object_get(a, k);
            if (va && json_equal(va, vb)) continue;
            if (r->o->seg.mode != SEG_WINDOW && (!strcmp(k, "window") || !strcmp(k, "overlap"))) continue;
            char *sa = va ? json_dumps(va, JSON_ENCODE_ANY) : NULL, *sb = json_dumps(vb, JSON_ENCODE_ANY);
            buf_printf(&msg, "%s%s %s -> %s", msg.len ? ", " : "", k, sa ? sa : "(none)", sb ? sb : "?");
            free(sa);
            free(sb);
        }
    if (msg.len)
        log_info("store '%s': settings differ from the last ingest (%s): shards made with other settings are "
                 "read again and replace their old chunks", store_dir(r->s), msg.data);
    buf_release(&msg);
    json_decref(a);
    json_decref(b);
}

/* save_settings: meta "settings" of this run, and r->settings, the hash a
 * shard record keeps of the settings that shaped its chunks: segmentation,
 * reader options and caps, and for token windows the model fingerprint (its
 * tokenizer cuts them; the vectors' model is the store's, see ingest_check_model in reembed.c).
 * A record of an older semindex has no hash: it counts as made with these
 * settings when they equal the store's last "settings" (legacy_same). */
static int save_settings(struct run *r)
{
    struct buf b = BUF_INIT, old = BUF_INIT;
    struct store_txn *t;
    int rc = store_read_begin(r->s, &t);
    if (rc == 0) {
        int g = store_get_meta(t, "settings", &old);
        store_read_end(t);
        if (g < 0 && g != ERR_NOTFOUND) rc = g;
        r->legacy_same = g == ERR_NOTFOUND;
        err_clear();
    }
    if (rc == 0) rc = settings_json(r->o, 1, &b);
    /* token windows are cut by the model's tokenizer; other chunks are not
     * (--reembed recomputes token counts and vectors of stored chunks) */
    if (rc == 0 && r->o->seg.mode == SEG_WINDOW && buf_printf(&b, "\nmodel %s", enc_fingerprint(r->e)) < 0)
        rc = err_nomem();
    if (rc == 0) {
        struct hash128 h = hash128(b.data, b.len);
        r->settings = h.lo ? h.lo : 1;
        buf_reset(&b);
        rc = settings_json(r->o, 0, &b);
    }
    if (rc == 0 && old.len == b.len && !memcmp(old.data, b.data, b.len)) r->legacy_same = 1;
    else if (rc == 0 && old.len) log_settings_change(r, &old, &b);
    if (rc == 0) rc = store_write(r->s, settings_fn, &b);
    buf_release(&b);
    buf_release(&old);
    return rc;
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

/* clear_pending: drop the partial chunks of shards an interrupted ingest left
 * in progress (hidden from readers). Their records stay: a run that is given
 * such a shard again reads it with the same ordinal. One transaction each. */
static int clear_pending(struct run *r)
{
    struct store_txn *t;
    uint64_t *v = NULL;
    size_t n = 0;
    FORWARD_ERR(store_read_begin_pending(r->s, &t));
    int rc = store_pending_ordinals(t, &v, &n);
    store_read_end(t);
    uint64_t dropped = 0, shards = 0;
    for (size_t i = 0; i < n && rc == 0; i++) {
        struct clear_ctx c = { v[i], 0 };
        rc = store_write(r->s, clear_fn, &c);
        if (rc == 0 && c.n > 0) {
            dropped += (uint64_t)c.n;
            shards++;
        }
    }
    mem_free(v);
    if (dropped)
        log_info("store '%s': dropped %llu chunks of %llu shards an interrupted ingest left in progress (they are "
                 "read again when given)", store_dir(r->s), (unsigned long long)dropped, (unsigned long long)shards);
    r->st->deleted += dropped;
    return rc;
}

/* ---- shard keys ------------------------------------------------------------ */

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

/* shard_keys: r->keys[i] and sorted[i] = the shards in key order; meta "root"
 * recorded (an old store's absolute keys upgraded first). */
static int shard_keys(struct run *r, const struct ingest_options *o, const char *const *shards, const char **sorted)
{
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
        FORWARD_ERR(store_read_begin(r->s, &t));
        if (store_get_meta(t, "root", &v) == 0 && v.len < sizeof root && buf_putc(&v, 0) == 0) {
            have = fs_is_dir(v.data);
            for (size_t i = 0; i < r->n && have; i++) {
                struct buf kb = BUF_INIT;
                have = part_key(shards[i], v.data, &kb) == 0;
                buf_release(&kb);
            }
            if (have) snprintf(root, sizeof root, "%s", v.data);
        }
        store_read_end(t);
        buf_release(&v);
        err_clear();
        if (!have) FORWARD_ERR(part_common_root(shards, r->n, root, sizeof root));
    }
    struct keyed *kv = mem_calloc(r->n, sizeof *kv);
    if (!kv) return err_nomem();
    struct buf kb = BUF_INIT;
    int rc = 0;
    for (size_t i = 0; i < r->n && rc == 0; i++) {
        kv[i].path = shards[i];
        if ((rc = part_key(shards[i], root, &kb)) == 0 && !(kv[i].key = mem_strdup(kb.data)))
            rc = err_nomem();
    }
    buf_release(&kb);
    if (rc == 0) {
        qsort(kv, r->n, sizeof *kv, by_key);
        for (size_t i = 0; i + 1 < r->n && rc == 0; i++)
            if (!strcmp(kv[i].key, kv[i + 1].key))
                rc = err_set(ERR_INVALID, "shard '%s' is given twice", kv[i + 1].path);
    }
    for (size_t i = 0; i < r->n; i++) {
        r->keys[i] = kv[i].key;
        sorted[i] = kv[i].path;
    }
    mem_free(kv);
    if (rc < 0) return rc;
    struct rootctx c = { store_dir(r->s), root, 0 };
    FORWARD_ERR(store_write(r->s, upgrade_fn, &c));
    if (c.upgraded)
        log_info("store '%s': %zu shard keys made relative to the corpus root '%s'", store_dir(r->s), c.upgraded,
                 root);
    return store_write(r->s, root_fn, root);
}

int ingest_run(struct store *s, struct enc *e, const char *const *shards, size_t n,
               const struct ingest_options *o, struct ingest_stats *st)
{
    double t0 = now_sec();
    struct ingest_options opt = *o;
    opt.seg.tok = enc_tokenizer(e);
    struct run r;
    memset(&r, 0, sizeof r);
    r.s = s;
    r.e = e;
    r.tok = enc_tokenizer(e);
    r.dim = enc_dim(e);
    r.o = &opt;
    r.st = st;
    r.paths = shards;
    r.n = n;
    r.batch_tokens = o->batch_tokens ? o->batch_tokens : 16384;
    r.batch_chunks = o->batch_chunks ? o->batch_chunks : 1024;
    if (opt.seg.mode == SEG_WINDOW && r.tok && enc_max_seq_length(e) > 2 && opt.seg.window > enc_max_seq_length(e) - 2)
        log_warn("window of %d tokens is longer than the model's %d (special tokens included): chunks will be "
                 "truncated", opt.seg.window, enc_max_seq_length(e));
    const char **sorted = NULL;
    struct fs_lock lock = { -1, NULL };
    int rc = store_lock_writer(store_dir(s), &lock);
    if (rc < 0) return rc;
    rc = ingest_check_model(s, e, &opt, st);
    if (rc == 0) rc = save_settings(&r);
    if (rc == 0) rc = clear_pending(&r);
    if (rc < 0) goto out;
    r.keys = mem_calloc(n ? n : 1, sizeof *r.keys);
    r.ordinal = mem_calloc(n ? n : 1, sizeof *r.ordinal);
    sorted = mem_calloc(n ? n : 1, sizeof *sorted);
    if (!r.keys || !r.ordinal || !sorted) { rc = err_nomem(); goto out; }
    if (n && (rc = shard_keys(&r, &opt, shards, sorted)) < 0) goto out;
    r.paths = sorted;
    queue_init(&r.q_enc, QCAP);
    queue_init(&r.q_write, QCAP);
    pthread_mutex_init(&r.mu_err, NULL);
    pthread_t tp, tw;
    int ok_p = pthread_create(&tp, NULL, prep_main, &r) == 0;
    int ok_w = ok_p && pthread_create(&tw, NULL, write_main, &r) == 0;
    if (!ok_p || !ok_w) {
        err_set(ERR_NOMEM, "cannot start threads");
        run_fail(&r, ERR_NOMEM);
    }
    if (ok_w) encode_main(&r);
    else queue_close(&r.q_write);
    if (ok_p) pthread_join(tp, NULL);
    if (ok_w) pthread_join(tw, NULL);
    struct event *x;
    while ((x = queue_take(&r.q_enc))) ev_free(x);
    while ((x = queue_take(&r.q_write))) ev_free(x);
    queue_destroy(&r.q_enc);
    queue_destroy(&r.q_write);
    pthread_mutex_destroy(&r.mu_err);
    if (r.err) rc = err_set(r.err, "%s", r.errmsg);
    st->rejected += atomic_load(&r.bad);
out:
    mem_free(r.bad_h);
    for (size_t i = 0; i < r.n_sets; i++) mem_free(r.sets[i].slot);
    mem_free(r.sets);
    seg_spans_release(&r.spans);
    tok_encoding_release(&r.te);
    if (r.keys)
        for (size_t i = 0; i < n; i++) mem_free(r.keys[i]);
    mem_free(r.keys);
    mem_free(r.ordinal);
    mem_free(sorted);
    fs_lock_release(&lock);
    st->t_total += now_sec() - t0;
    return rc;
}

json_t *ingest_stats_json(const struct ingest_stats *st)
{
#define U(f) #f, (json_int_t)st->f
#define MS(x) round((x) * 1000) / 1000
    json_t *j = json_pack("{sI sI sI sI sI sI sI sI sI sI sI sI sI sI sI sI sI sI sI sI sI sf sf sf sf sf}",
                          "shards_seen", (json_int_t)st->shards_seen, U(shards_new), U(shards_changed),
                          U(shards_resumed), U(shards_skipped), U(shards_failed), U(docs), U(chunks), U(truncated),
                          U(duplicates), U(encoded), U(tokens), U(bytes), U(rejected), U(replaced), U(nul),
                          U(empty), U(binary), U(skipped_entries), U(reembedded), U(deleted), "seconds",
                          MS(st->t_total), "prep_seconds", MS(st->t_prep), "encode_seconds", MS(st->t_encode),
                          "encode_wait_seconds", MS(st->t_encode_wait), "write_seconds", MS(st->t_write));
#undef U
#undef MS
    if (!j) err_nomem();
    return j;
}
