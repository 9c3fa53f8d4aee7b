/*
 * writer.c - the writer thread of ingest_run (job.h): the one thread that
 * writes the store. BEGIN -> store_shard_begin (the shard in progress, with
 * its ordinal), each DATA batch -> one write transaction of docs, chunks and
 * vectors, END -> store_shard_done (its previous version deleted in the same
 * transaction, store.h "Isolation"), or store_shard_abort for a shard not
 * read whole.
 *
 * While the store wants a zstd dictionary sample (store_dict_wanted), the
 * writer holds its batches back and offers their texts; the store decides
 * when it has enough (or the input ends), then the held batches are written,
 * compressed with the new dictionary.
 *
 * Chunks with a non-finite vector are rejected here, named by shard, entry
 * and record (dedup_vector decides which). Does not: read shards, encode.
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "common/err.h"
#include "common/log.h"
#include "common/mem.h"
#include "ingest/job.h"

/* the writer thread's own state */
struct writer {
    struct ingest_job *j;
    uint64_t *ordinal;            /* shard index -> its ordinal (set at BEGIN) */
    struct progress p;
    uint64_t shards_done;
    struct batch **held;          /* batches held back for the dictionary sample */
    size_t n_held, cap_held;
};

/* the puts of one DATA batch: one write transaction, re-runnable */
struct data_txn {
    struct writer *w;
    struct batch *b;
    uint64_t dups, bad;           /* out: chunks that took a copied vector; rejected */
};

/* log_rejected: name the chunk whose vector is not finite */
static void log_rejected(const struct ingest_job *j, const struct batch *b, const struct batch_chunk *c)
{
    const struct batch_doc *dr = NULL;
    for (size_t i = 0; i < b->n_docs && !dr; i++)
        if (b->docs[i].seq == c->doc_seq) dr = &b->docs[i];
    if (dr)
        log_warn("shard '%s': entry '%.*s': record %llu: chunk at bytes %llu-%llu: the encoder gave a non-finite "
                 "vector (NaN or Inf); chunk rejected", j->paths[b->shard], (int)dr->entry_len,
                 b->arena.data + dr->entry_off, (unsigned long long)dr->record, (unsigned long long)c->start,
                 (unsigned long long)c->end);
    else
        log_warn("shard '%s': document %llu: chunk at bytes %llu-%llu: the encoder gave a non-finite vector "
                 "(NaN or Inf); chunk rejected", j->paths[b->shard], (unsigned long long)c->doc_seq,
                 (unsigned long long)c->start, (unsigned long long)c->end);
}

static int put_docs(struct store_txn *t, const struct batch *b, uint64_t ord)
{
    struct store_doc d = STORE_DOC_INIT;
    int rc = 0;
    for (size_t i = 0; i < b->n_docs && rc == 0; i++) {
        const struct batch_doc *dr = &b->docs[i];
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
    return rc;
}

static int data_fn(struct store_txn *t, void *ctx)
{
    struct data_txn *x = ctx;
    struct ingest_job *j = x->w->j;
    struct batch *b = x->b;
    uint64_t ord = x->w->ordinal[b->shard];
    x->dups = x->bad = 0;
    int rc = put_docs(t, b, ord);
    for (size_t i = 0; i < b->n_chunks && rc == 0; i++) {
        struct batch_chunk *c = &b->chunks[i];
        float *v = b->vecs + i * (size_t)j->dim;
        struct store_chunk sc = { 0 };
        sc.id = store_make_id(ord, c->chunk_seq);
        if ((rc = dedup_vector(&j->dedup, t, x->w->ordinal, sc.id, c, v)) < 0) break;
        if (rc == 1) {
            /* a NaN/Inf vector is never stored or indexed: the chunk alone is rejected */
            log_rejected(j, b, c);
            x->bad++;
            rc = 0;
            continue;
        }
        if (c->how != DEDUP_ENCODE) x->dups++;
        sc.doc = store_make_id(ord, c->doc_seq);
        sc.start = c->start;
        sc.end = c->end;
        sc.n_tokens = c->n_tokens;
        sc.truncated = c->truncated;
        if ((rc = store_put_chunk(t, &sc, b->arena.data + c->off, c->len)) < 0) break;
        rc = store_put_vector(t, sc.id, v);
    }
    return rc;
}

static void show_progress(struct writer *w)
{
    const struct ingest_stats *st = w->j->st;
    double el = now_sec() - w->p.t_start;
    progress_update(&w->p, w->shards_done + atomic_load(&w->j->passed), "shards, %llu docs, %llu chunks, %.0f chunks/s",
                    (unsigned long long)st->docs, (unsigned long long)st->chunks,
                    el > 0 ? (double)st->chunks / el : 0.0);
}

static int write_data(struct writer *w, struct batch *b)
{
    struct ingest_job *j = w->j;
    struct ingest_stats *st = j->st;
    struct data_txn x = { w, b, 0, 0 };
    FORWARD_ERR(store_write(j->s, data_fn, &x));
    atomic_store(&j->committed, b->seq);
    st->docs += b->n_docs;
    st->chunks += b->n_chunks - x.bad;
    st->duplicates += x.dups;
    st->encoded += b->n_chunks - x.dups - x.bad;
    atomic_fetch_add(&j->bad, x.bad);
    st->tokens += b->tokens;
    for (size_t i = 0; i < b->n_chunks; i++) st->truncated += b->chunks[i].truncated;
    if (j->o->progress) show_progress(w);
    return 0;
}

static int write_end(struct writer *w, const struct batch *b)
{
    struct ingest_job *j = w->j;
    struct ingest_stats *st = j->st;
    const char *key = j->keys[b->shard];
    long deleted = 0;
    if (b->failed) {
        /* stays in progress; what was read of it is dropped and not in the run's counts */
        FORWARD_ERR(store_shard_abort(j->s, key, b->sh_rejected, &deleted));
        st->chunks -= (uint64_t)deleted < st->chunks ? (uint64_t)deleted : st->chunks;
        st->docs -= b->sh_docs < st->docs ? b->sh_docs : st->docs;
        return 0;
    }
    struct store_shard rec = { 0 };
    rec.hash = b->hash;
    rec.bytes = b->bytes;
    rec.n_docs = b->sh_docs;
    rec.n_chunks = b->sh_chunks;
    rec.n_rejected = b->sh_rejected;
    rec.time = (uint64_t)time(NULL);
    rec.settings = j->settings;
    FORWARD_ERR(store_shard_done(j->s, key, &rec, &deleted));
    st->deleted += (uint64_t)deleted;
    w->shards_done++;
    log_debug("shard '%s': done, %llu docs, %llu chunks", j->paths[b->shard], (unsigned long long)b->sh_docs,
              (unsigned long long)b->sh_chunks);
    return 0;
}

/* write_batch: b into the store (timed) and freed */
static int write_batch(struct writer *w, struct batch *b)
{
    struct ingest_job *j = w->j;
    double t0 = now_sec();
    int rc = 0;
    long deleted = 0;
    struct store_shard rec = { 0 };
    switch (b->kind) {
    case BATCH_BEGIN:
        rec.hash = b->hash;
        rec.bytes = b->bytes;
        rc = store_shard_begin(j->s, j->keys[b->shard], &rec, &w->ordinal[b->shard], &deleted);
        j->st->deleted += (uint64_t)deleted;
        break;
    case BATCH_DATA: rc = write_data(w, b); break;
    case BATCH_END: rc = write_end(w, b); break;
    }
    batch_free(b);
    j->st->t_write += now_sec() - t0;
    return rc;
}

/* hold: keep b back for the dictionary sample, offering its texts. Returns
 * 1 while the store wants more, 0 when it has settled, < 0 on error. */
static int hold(struct writer *w, struct batch *b)
{
    if (w->n_held == w->cap_held) {
        size_t cap = w->cap_held ? 2 * w->cap_held : 16;
        struct batch **v = mem_realloc(w->held, cap * sizeof *v);
        if (!v) {
            batch_free(b);
            return err_nomem();
        }
        w->held = v;
        w->cap_held = cap;
    }
    w->held[w->n_held++] = b;
    int rc = 1;
    for (size_t i = 0; b->kind == BATCH_DATA && i < b->n_chunks && rc == 1; i++)
        rc = store_dict_offer(w->j->s, b->arena.data + b->chunks[i].off, b->chunks[i].len);
    return rc;
}

/* release_held: the held batches into the store, in order */
static int release_held(struct writer *w)
{
    int rc = 0;
    for (size_t i = 0; i < w->n_held; i++) {
        if (rc == 0) rc = write_batch(w, w->held[i]);
        else batch_free(w->held[i]);
    }
    w->n_held = 0;
    return rc;
}

void *ingest_write_main(void *arg)
{
    struct writer w;
    memset(&w, 0, sizeof w);
    w.j = arg;
    struct ingest_job *j = w.j;
    progress_init(&w.p, "ingest", j->n);
    w.ordinal = mem_calloc(j->n ? j->n : 1, sizeof *w.ordinal);
    int rc = w.ordinal ? 0 : err_nomem();
    int sampling = rc == 0 ? store_dict_wanted(j->s) : 0;
    if (sampling < 0) rc = sampling;
    while (rc == 0) {
        struct batch *b = queue_pop(&j->q_write);
        if (!b || atomic_load(&j->abort)) {
            batch_free(b);
            /* the end of the input completes the sample; an abort drops what is held */
            if (!b && sampling == 1 && !atomic_load(&j->abort)) {
                double t0 = now_sec();
                rc = store_dict_finish(j->s);
                j->st->t_write += now_sec() - t0;
                if (rc == 0) rc = release_held(&w);
            }
            break;
        }
        if (sampling == 1) {
            double t0 = now_sec();
            sampling = hold(&w, b);   /* may train the dictionary */
            j->st->t_write += now_sec() - t0;
            if (sampling == 0) rc = release_held(&w);
            else if (sampling < 0) rc = sampling;
            continue;
        }
        rc = write_batch(&w, b);
    }
    for (size_t i = 0; i < w.n_held; i++) batch_free(w.held[i]);
    mem_free(w.held);
    mem_free(w.ordinal);
    if (rc < 0) ingest_job_fail(j, rc);
    if (j->o->progress) {
        w.p.t_last = 0;
        show_progress(&w);
        progress_done(&w.p);
    }
    return NULL;
}
