/*
 * worker.c - ingest_run (ingest.h): the job's setup in the calling thread
 * (writer lock, model check, settings, cleanup of shards an interrupted run
 * left in progress, shard keys), then the overlapped pipeline
 *
 *     prep thread (prep.c) -> q_enc -> encoder (here) -> q_write -> writer thread (writer.c)
 *
 * joined by bounded queues of batches (job.h), so the encoder, the
 * bottleneck, finds its next batch ready and hands the last one off without
 * waiting for LMDB. Any thread's first error stops all three
 * (ingest_job_fail); the batches still queued are freed unwritten, and the
 * store is left as a kill would leave it: exact once the next run cleans up.
 *
 * Does not: decide dedup (dedup.c), read shards (prep.c) or write the store
 * (writer.c, and the store's shard lifecycle in index/store/shard.c).
 */
#include "ingest/ingest.h"

#include <jansson.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "common/err.h"
#include "common/fsutil.h"
#include "common/log.h"
#include "common/mem.h"
#include "ingest/encoder/encoder.h"
#include "ingest/internal.h"
#include "ingest/job.h"

#define QCAP 4

void ingest_job_fail(struct ingest_job *j, int rc)
{
    pthread_mutex_lock(&j->mu_err);
    if (!j->err) {
        j->err = rc;
        snprintf(j->errmsg, sizeof j->errmsg, "%s", err_msg());
    }
    pthread_mutex_unlock(&j->mu_err);
    atomic_store(&j->abort, 1);
    queue_close(&j->q_enc);
    queue_close(&j->q_write);
}

/* ---- encoder (calling thread) ---------------------------------------------- */

/* encode_batch: the vectors of b's DEDUP_ENCODE chunks into their rows of
 * b->vecs; a non-finite one marks its chunk DEDUP_BAD (the writer rejects it) */
static int encode_batch(struct ingest_job *j, struct batch *b)
{
    size_t k = 0;
    for (size_t i = 0; i < b->n_chunks; i++) k += b->chunks[i].how == DEDUP_ENCODE;
    if (!k) return 0;
    const char **texts = mem_alloc_array(k, sizeof *texts);
    const int32_t **ids = mem_alloc_array(k, sizeof *ids);
    size_t *lens = mem_alloc_array(k, sizeof *lens), *idx = mem_alloc_array(k, sizeof *idx);
    float *out = mem_alloc_array(k * (size_t)j->dim, sizeof *out);
    int rc = texts && ids && lens && idx && out ? 0 : err_nomem();
    if (rc == 0) {
        size_t m = 0;
        for (size_t i = 0; i < b->n_chunks; i++) {
            struct batch_chunk *c = &b->chunks[i];
            if (c->how != DEDUP_ENCODE) continue;
            texts[m] = b->arena.data + c->off;
            lens[m] = j->tok ? c->n_ids : c->len;
            ids[m] = j->tok ? b->ids + c->ids_off : NULL;
            idx[m++] = i;
        }
        rc = j->tok ? enc_encode_ids(j->e, ids, lens, k, out) : enc_encode(j->e, texts, lens, k, out, NULL);
        for (size_t i = 0; rc == 0 && i < k; i++) {
            memcpy(b->vecs + idx[i] * (size_t)j->dim, out + i * (size_t)j->dim, (size_t)j->dim * sizeof *out);
            if (!ingest_vec_finite(out + i * (size_t)j->dim, j->dim)) b->chunks[idx[i]].how = DEDUP_BAD;
        }
    }
    mem_free(texts);
    mem_free(ids);
    mem_free(lens);
    mem_free(idx);
    mem_free(out);
    return rc;
}

/* encode_main: the calling thread, between the two queues */
static void encode_main(struct ingest_job *j)
{
    for (;;) {
        double t0 = now_sec();
        struct batch *b = queue_pop(&j->q_enc);
        double t1 = now_sec();
        j->st->t_encode_wait += t1 - t0;
        if (!b) break;
        if (b->kind == BATCH_DATA) {
            int rc = encode_batch(j, b);
            j->st->t_encode += now_sec() - t1;
            if (rc < 0) {
                batch_free(b);
                ingest_job_fail(j, rc);
                break;
            }
        }
        if (queue_push(&j->q_write, b) < 0) {
            batch_free(b);
            break;
        }
    }
    queue_close(&j->q_write);
}


/* ---- ingest_run ------------------------------------------------------------ */

/* clear_pending: drop the partial chunks of shards an interrupted ingest left
 * in progress (hidden from readers). Their records stay: a run that is given
 * such a shard again reads it with the same ordinal. */
static int clear_pending(struct ingest_job *j)
{
    uint64_t dropped, shards;
    FORWARD_ERR(store_shard_clear_pending(j->s, &dropped, &shards));
    if (dropped)
        log_info("store '%s': dropped %llu chunks of %llu shards an interrupted ingest left in progress (they are "
                 "read again when given)", store_dir(j->s), (unsigned long long)dropped, (unsigned long long)shards);
    j->st->deleted += dropped;
    return 0;
}

int ingest_run(struct store *s, struct enc *e, const char *const *shards, size_t n,
               const struct ingest_options *o, struct ingest_stats *st)
{
    double t0 = now_sec();
    struct ingest_options opt = *o;
    opt.seg.tok = enc_tokenizer(e);
    struct ingest_job j;
    memset(&j, 0, sizeof j);
    j.s = s;
    j.e = e;
    j.tok = enc_tokenizer(e);
    j.dim = enc_dim(e);
    j.o = &opt;
    j.st = st;
    j.paths = shards;
    j.n = n;
    if (opt.seg.mode == SEG_WINDOW && j.tok && enc_max_seq_length(e) > 2 && opt.seg.window > enc_max_seq_length(e) - 2)
        log_warn("window of %d tokens is longer than the model's %d (special tokens included): chunks will be "
                 "truncated", opt.seg.window, enc_max_seq_length(e));
    const char **sorted = NULL;
    struct fs_lock lock = { -1, NULL };
    int rc = store_lock_writer(store_dir(s), &lock);
    if (rc < 0) return rc;
    rc = ingest_check_model(s, e, &opt, st);
    if (rc == 0) rc = ingest_save_settings(&j);
    if (rc == 0) rc = clear_pending(&j);
    if (rc < 0) goto out;
    j.keys = mem_calloc(n ? n : 1, sizeof *j.keys);
    sorted = mem_calloc(n ? n : 1, sizeof *sorted);
    if (!j.keys || !sorted) { rc = err_nomem(); goto out; }
    if (n && (rc = ingest_shard_keys(&j, shards, sorted)) < 0) goto out;
    j.paths = sorted;
    queue_init(&j.q_enc, QCAP);
    queue_init(&j.q_write, QCAP);
    pthread_mutex_init(&j.mu_err, NULL);
    pthread_t tp, tw;
    int ok_p = pthread_create(&tp, NULL, ingest_prep_main, &j) == 0;
    int ok_w = ok_p && pthread_create(&tw, NULL, ingest_write_main, &j) == 0;
    if (!ok_p || !ok_w) {
        err_set(ERR_NOMEM, "cannot start threads");
        ingest_job_fail(&j, ERR_NOMEM);
    }
    if (ok_w) encode_main(&j);
    else queue_close(&j.q_write);
    if (ok_p) pthread_join(tp, NULL);
    if (ok_w) pthread_join(tw, NULL);
    struct batch *x;
    while ((x = queue_take(&j.q_enc))) batch_free(x);
    while ((x = queue_take(&j.q_write))) batch_free(x);
    queue_destroy(&j.q_enc);
    queue_destroy(&j.q_write);
    pthread_mutex_destroy(&j.mu_err);
    if (j.err) rc = err_set(j.err, "%s", j.errmsg);
    st->rejected += atomic_load(&j.bad);
out:
    dedup_release(&j.dedup);
    if (j.keys)
        for (size_t i = 0; i < n; i++) mem_free(j.keys[i]);
    mem_free(j.keys);
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
