/*
 * prep.c - the prep thread of ingest_run (job.h): for each shard in key
 * order, decide whether it needs reading (content hash and settings against
 * its record), read it (source.h), cut documents into chunks (segment.h),
 * tokenize them, and send BEGIN, DATA batches of about batch_tokens tokens
 * (their vectors decided by dedup_mark) and END to the encoder's queue.
 *
 * A shard is done only when it was read whole and gave something to read: an
 * END marked failed otherwise (the writer keeps it in progress and the next
 * run reads it again). Does not touch the encoder or write the store.
 */
#include <stdio.h>
#include <string.h>

#include "common/err.h"
#include "common/log.h"
#include "common/mem.h"
#include "ingest/internal.h"
#include "ingest/job.h"

/* the prep thread's own state */
struct prep {
    struct ingest_job *j;
    struct batch *cur;            /* the DATA batch being filled */
    uint32_t shard;
    uint64_t doc_seq, chunk_seq, seq, sh_docs, sh_chunks;
    struct seg_spans spans;
    struct tok_encoding te;
    size_t batch_tokens, batch_chunks;
    double blocked;               /* time spent waiting for room in the queue */
};

struct batch *batch_create(enum batch_kind k, uint32_t shard)
{
    struct batch *b = mem_calloc(1, sizeof *b);
    if (!b) {
        err_nomem();
        return NULL;
    }
    b->kind = k;
    b->shard = shard;
    return b;
}

void batch_free(struct batch *b)
{
    if (!b) return;
    mem_free(b->chunks);
    mem_free(b->docs);
    buf_release(&b->arena);
    mem_free(b->ids);
    mem_free(b->vecs);
    mem_free(b);
}

/* pass_on: hand b to the encoder (waiting for room); b is gone either way. */
static int pass_on(struct prep *p, struct batch *b)
{
    double t0 = now_sec();
    int closed = queue_push(&p->j->q_enc, b);
    p->blocked += now_sec() - t0;
    if (closed < 0) {
        batch_free(b);
        return ERR_INVALID; /* aborted: the error is already recorded */
    }
    return 0;
}

/* flush: the batch being filled, numbered and deduplicated, to the encoder */
static int flush(struct prep *p)
{
    struct batch *b = p->cur;
    if (!b) return 0;
    p->cur = NULL;
    if (b->n_chunks == 0 && b->n_docs == 0) {
        batch_free(b);
        return 0;
    }
    b->seq = ++p->seq;
    int rc = dedup_mark(&p->j->dedup, p->j->s, atomic_load(&p->j->committed), b, p->j->dim);
    if (rc < 0) {
        batch_free(b);
        return rc;
    }
    return pass_on(p, b);
}

static int grow(void **ptr, size_t *cap, size_t need, size_t size)
{
    if (need <= *cap) return 0;
    size_t c = *cap ? *cap : 64;
    while (c < need) c *= 2;
    void *v = mem_realloc(*ptr, c * size);
    if (!v) return err_nomem();
    *ptr = v;
    *cap = c;
    return 0;
}

/* add_doc: the record of document d (n_chunks chunks) into b */
static int add_doc(struct prep *p, struct batch *b, const struct src_doc *d, size_t n_chunks)
{
    FORWARD_ERR(grow((void **)&b->docs, &b->cap_docs, b->n_docs + 1, sizeof *b->docs));
    struct batch_doc *dr = &b->docs[b->n_docs++];
    dr->seq = p->doc_seq;
    dr->record = d->record;
    dr->offset = d->offset;
    dr->length = d->len;
    dr->n_chunks = (uint32_t)n_chunks;
    dr->entry_off = b->arena.len;
    dr->entry_len = strlen(d->entry);
    if (buf_append(&b->arena, d->entry, dr->entry_len) < 0) return err_nomem();
    dr->id_off = b->arena.len;
    dr->id_len = d->ext_id ? d->ext_id_len : 0;
    if (dr->id_len && buf_append(&b->arena, d->ext_id, dr->id_len) < 0) return err_nomem();
    return 0;
}

/* add_chunk: text s[0..n) at [start, end) of the current document into b,
 * with its hash, token count and (transformer models) token ids */
static int add_chunk(struct prep *p, struct batch *b, const char *s, size_t n, uint64_t start, uint64_t end)
{
    FORWARD_ERR(grow((void **)&b->chunks, &b->cap_chunks, b->n_chunks + 1, sizeof *b->chunks));
    struct batch_chunk *c = &b->chunks[b->n_chunks++];
    memset(c, 0, sizeof *c);
    c->doc_seq = p->doc_seq;
    c->chunk_seq = p->chunk_seq++;
    c->start = start;
    c->end = end;
    c->off = b->arena.len;
    c->len = n;
    if (buf_append(&b->arena, s, n) < 0) return err_nomem();
    c->h = hash128(s, n);
    FORWARD_ERR(ingest_count_tokens(p->j->tok, s, n, &p->te, &c->n_tokens, &c->truncated));
    if (p->j->tok) {
        FORWARD_ERR(grow((void **)&b->ids, &b->cap_ids, b->n_ids + p->te.n, sizeof *b->ids));
        c->ids_off = b->n_ids;
        c->n_ids = p->te.n;
        memcpy(b->ids + b->n_ids, p->te.ids, p->te.n * sizeof *b->ids);
        b->n_ids += p->te.n;
    }
    b->tokens += (size_t)c->n_tokens;
    p->sh_chunks++;
    return 0;
}

static int on_doc(void *ctx, const struct src_doc *d)
{
    struct prep *p = ctx;
    if (atomic_load(&p->j->abort)) return ERR_INVALID;
    FORWARD_ERR(seg_split(&p->j->o->seg, d->text, d->len, &p->spans));
    if (p->spans.n == 0) return 0;
    for (size_t i = 0; i < p->spans.n; i++) {
        if (!p->cur && !(p->cur = batch_create(BATCH_DATA, p->shard))) return ERR_NOMEM;
        struct batch *b = p->cur;
        if (i == 0) FORWARD_ERR(add_doc(p, b, d, p->spans.n));   /* the doc travels with its first chunk */
        const struct seg_span *sp = &p->spans.v[i];
        FORWARD_ERR(add_chunk(p, b, d->text + sp->start, sp->end - sp->start, sp->start, sp->end));
        if (b->tokens >= p->batch_tokens || b->n_chunks >= p->batch_chunks) FORWARD_ERR(flush(p));
    }
    p->doc_seq++;
    p->sh_docs++;
    return 0;
}

/* passed: shard i is not going to the writer (skipped or failed) */
static void passed(struct prep *p) { atomic_fetch_add(&p->j->passed, 1); }

/* shard_needed: whether shard i (content hash h) needs reading (1) or is
 * skipped (0), counted either way */
static int shard_needed(struct prep *p, uint32_t i, struct hash128 h)
{
    struct ingest_job *j = p->j;
    struct ingest_stats *st = j->st;
    struct store_txn *t;
    FORWARD_ERR(store_read_begin(j->s, &t));
    struct store_shard rec;
    int rc = store_get_shard(t, j->keys[i], &rec);
    store_read_end(t);
    if (rc < 0 && rc != ERR_NOTFOUND) return rc;
    int same_settings = rc == 0 && (rec.settings == j->settings || (rec.settings == 0 && j->legacy_same));
    if (rc == 0 && rec.status == STORE_SHARD_DONE && rec.hash.lo == h.lo && rec.hash.hi == h.hi) {
        if (same_settings) {
            st->shards_skipped++;
            passed(p);
            log_debug("shard '%s': unchanged, skipped", j->paths[i]);
            return 0;
        }
        log_info("shard '%s': its chunks were made with other settings (segmentation, window, text/id field, "
                 "column, caps or model): read again, its old chunks are replaced", j->paths[i]);
    }
    if (rc == ERR_NOTFOUND) st->shards_new++;
    else if (rec.status == STORE_SHARD_DONE) st->shards_changed++;
    else st->shards_resumed++;
    err_clear();
    return 1;
}

static int prep_shard(struct prep *p, uint32_t i)
{
    struct ingest_job *j = p->j;
    struct ingest_stats *st = j->st;
    const char *path = j->paths[i];
    st->shards_seen++;
    struct hash128 h;
    uint64_t bytes;
    if (src_hash_opt(path, &j->o->src, &h, &bytes) < 0) {
        log_warn("shard '%s': %s; skipped", path, err_msg());
        st->shards_failed++;
        st->rejected++;
        passed(p);
        if (j->o->src.strict) return err_set(ERR_FORMAT, "shard '%s' cannot be read (--strict)", path);
        return 0;
    }
    int rc = shard_needed(p, i, h);
    if (rc <= 0) return rc;
    struct batch *b = batch_create(BATCH_BEGIN, i);
    if (!b) return ERR_NOMEM;
    b->hash = h;
    b->bytes = bytes;
    FORWARD_ERR(pass_on(p, b));
    p->shard = i;
    p->doc_seq = p->chunk_seq = p->sh_docs = p->sh_chunks = 0;
    struct src_stats ss = { 0 };
    rc = src_read(path, &j->o->src, on_doc, p, &ss);
    st->bytes += ss.bytes;
    st->rejected += ss.n_rejected;
    st->replaced += ss.n_replaced;
    st->nul += ss.n_nul;
    st->empty += ss.n_empty;
    st->binary += ss.n_binary;
    st->skipped_entries += ss.n_skipped;
    if (rc < 0) return rc;
    FORWARD_ERR(flush(p));
    if (!(b = batch_create(BATCH_END, i))) return ERR_NOMEM;
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
        passed(p);
        dedup_forget_shard(&j->dedup, i);
    }
    b->hash = h;
    b->bytes = bytes;
    b->sh_docs = p->sh_docs;
    b->sh_chunks = p->sh_chunks;
    b->sh_rejected = ss.n_rejected;
    return pass_on(p, b);
}

void *ingest_prep_main(void *arg)
{
    struct prep p;
    memset(&p, 0, sizeof p);
    p.j = arg;
    p.batch_tokens = p.j->o->batch_tokens ? p.j->o->batch_tokens : 16384;
    p.batch_chunks = p.j->o->batch_chunks ? p.j->o->batch_chunks : 1024;
    double t0 = now_sec();
    for (uint32_t i = 0; i < p.j->n && !atomic_load(&p.j->abort); i++) {
        int rc = prep_shard(&p, i);
        if (rc < 0) {
            if (!atomic_load(&p.j->abort)) ingest_job_fail(p.j, rc);
            break;
        }
    }
    batch_free(p.cur);
    seg_spans_release(&p.spans);
    tok_encoding_release(&p.te);
    p.j->st->t_prep = now_sec() - t0 - p.blocked;
    queue_close(&p.j->q_enc);
    return NULL;
}
