/*
 * reembed.c - the model check of ingest_run and the --reembed migration
 * (internal.h).
 *
 * A store holds the vectors of one model at one precision (meta "model",
 * "fingerprint", "precision"). An ingest with another asks for --reembed,
 * which records the new model and meta "reembed" = 0, then re-encodes the
 * stored chunks in id order, 256 per write transaction, moving "reembed" to
 * the next id in the same transaction: a killed migration resumes where it
 * stopped. Each chunk's text is tokenized once for its new token count and
 * truncation flag, and once more by the encoder.
 */
#include <stdio.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "common/buf.h"
#include "common/err.h"
#include "common/log.h"
#include "common/mem.h"
#include "ingest/internal.h"

/* rctx: the model being recorded and, for --reembed, one batch of chunks
 * with their new token counts (counted once, while preparing the batch). */
struct rctx {
    struct store *s;
    struct enc *e;
    const struct ingest_options *o;
    struct ingest_stats *st;
    uint64_t *ids;
    struct buf *texts;
    int32_t *n_tokens;
    uint8_t *truncated;
    float *vecs;
    size_t n;
    uint64_t next;
    const char *model, *fp, *prec;
    int dim;
    enum store_dtype dtype;
};

static int reembed_fn(struct store_txn *t, void *ctx)
{
    struct rctx *c = ctx;
    int rc = 0;
    for (size_t i = 0; i < c->n && rc == 0; i++) {
        struct store_chunk ch;
        if ((rc = store_get_chunk(t, c->ids[i], &ch, NULL)) < 0) break;
        ch.n_tokens = c->n_tokens[i];
        ch.truncated = c->truncated[i];
        if ((rc = store_put_chunk(t, &ch, c->texts[i].data, c->texts[i].len)) < 0) break;
        rc = store_put_vector(t, c->ids[i], c->vecs + i * (size_t)c->dim);
    }
    if (rc < 0) return rc;
    char tmp[32];
    int k = snprintf(tmp, sizeof tmp, "%llu", (unsigned long long)c->next);
    return store_put_meta(t, "reembed", tmp, (size_t)k);
}

static int start_reembed_fn(struct store_txn *t, void *ctx)
{
    struct rctx *c = ctx;
    FORWARD_ERR(store_set_model(t, c->model, c->fp, c->dim, c->dtype));
    FORWARD_ERR(store_put_meta(t, "precision", c->prec, strlen(c->prec)));
    return store_put_meta(t, "reembed", "0", 1);
}

static int end_reembed_fn(struct store_txn *t, void *ctx) { return store_delete_meta(t, "reembed"); }

static int reembed(struct rctx *c0)
{
    struct buf cur = BUF_INIT;
    struct store_txn *t;
    FORWARD_ERR(store_read_begin(c0->s, &t));
    int rc = store_get_meta(t, "reembed", &cur);
    store_read_end(t);
    if (rc < 0) {
        buf_release(&cur);
        return rc == ERR_NOTFOUND ? (err_clear(), 0) : rc;
    }
    uint64_t from = strtoull(cur.data, NULL, 10);
    buf_release(&cur);
    enum { B = 256 };
    struct rctx c = *c0;
    c.ids = mem_alloc_array(B, sizeof *c.ids);
    c.texts = mem_calloc(B, sizeof *c.texts);
    c.n_tokens = mem_alloc_array(B, sizeof *c.n_tokens);
    c.truncated = mem_alloc_array(B, sizeof *c.truncated);
    c.vecs = mem_alloc_array((size_t)B * (size_t)c.dim, sizeof *c.vecs);
    const char **tx = mem_alloc_array(B, sizeof *tx);
    size_t *ln = mem_alloc_array(B, sizeof *ln);
    rc = c.ids && c.texts && c.n_tokens && c.truncated && c.vecs && tx && ln ? 0 : err_nomem();
    const struct tok *tok = enc_tokenizer(c.e);
    struct tok_encoding te = TOK_ENCODING_INIT;
    log_info("re-encoding the store with '%s'", enc_name(c.e));
    while (rc == 0) {
        FORWARD_ERR(store_read_begin_pending(c.s, &t));
        struct store_iter *it;
        c.n = 0;
        rc = store_chunk_iter_open(t, from, &it);
        struct store_chunk ch;
        while (rc == 0 && c.n < B && (rc = store_iter_next_chunk(it, &ch, &c.texts[c.n])) == 1) {
            c.ids[c.n++] = ch.id;
            rc = 0;
        }
        if (rc == 0 || rc == 1) rc = 0;
        store_iter_close(it);
        store_read_end(t);
        if (rc < 0 || c.n == 0) break;
        for (size_t i = 0; i < c.n && rc == 0; i++) {
            rc = ingest_count_tokens(tok, c.texts[i].data, c.texts[i].len, &te, &c.n_tokens[i], &c.truncated[i]);
            tx[i] = c.texts[i].data;
            ln[i] = c.texts[i].len;
        }
        if (rc == 0) rc = enc_encode(c.e, tx, ln, c.n, c.vecs, NULL);
        for (size_t i = 0; rc == 0 && i < c.n; i++)
            if (!ingest_vec_finite(c.vecs + i * (size_t)c.dim, c.dim))
                rc = err_set(ERR_FORMAT, "chunk %llu: the new model gives a non-finite vector (NaN or Inf); "
                             "re-embedding stopped (the store keeps the old vectors from here on)",
                             (unsigned long long)c.ids[i]);
        c.next = c.ids[c.n - 1] + 1;
        if (rc == 0) rc = store_write(c.s, reembed_fn, &c);
        c.st->reembedded += c.n;
        from = c.next;
    }
    if (rc == 0) rc = store_write(c.s, end_reembed_fn, &c);
    if (c.texts)
        for (size_t i = 0; i < B; i++) buf_release(&c.texts[i]);
    tok_encoding_release(&te);
    mem_free(c.ids);
    mem_free(c.texts);
    mem_free(c.n_tokens);
    mem_free(c.truncated);
    mem_free(c.vecs);
    mem_free(tx);
    mem_free(ln);
    return rc;
}

static int set_model_fn(struct store_txn *t, void *ctx)
{
    struct rctx *c = ctx;
    FORWARD_ERR(store_set_model(t, c->model, c->fp, c->dim, c->dtype));
    return store_put_meta(t, "precision", c->prec, strlen(c->prec));
}

int ingest_check_model(struct store *s, struct enc *e, const struct ingest_options *o, struct ingest_stats *st)
{
    struct store_info in;
    FORWARD_ERR(store_info(s, &in));
    struct rctx c = { .s = s, .e = e, .o = o, .st = st };
    /* a model directory is recorded by its absolute path, so the store can
     * be used from anywhere (builtin: names as they are) */
    char real[PATH_MAX];
    c.model = enc_name(e);
    if (strncmp(c.model, "builtin:", 8) && realpath(c.model, real)) c.model = real;
    c.fp = enc_fingerprint(e);
    c.prec = enc_precision_name(enc_precision(e));
    c.dim = enc_dim(e);
    c.dtype = in.dim ? in.dtype : o->dtype;
    if (!in.model[0]) return store_write(s, set_model_fn, &c);
    if (in.dtype != o->dtype && o->dtype == STORE_F16)
        log_warn("store '%s' keeps float32 vectors (--f16 applies to a new store)", store_dir(s));
    if (strcmp(in.fingerprint, c.fp) != 0 || in.dim != c.dim) {
        if (!o->reembed)
            return err_set(ERR_MISMATCH,
                           "store '%s' holds vectors of model '%s' (fingerprint %s, dim %d); '%s' is %s, dim %d: "
                           "use --reembed to re-encode the store",
                           store_dir(s), in.model, in.fingerprint, in.dim, c.model, c.fp, c.dim);
        FORWARD_ERR(store_write(s, start_reembed_fn, &c));
    } else if (strcmp(in.precision, c.prec) != 0) {
        if (!o->reembed)
            return err_set(ERR_MISMATCH,
                           "store '%s' holds %s vectors of model '%s'; this run encodes at %s: use --precision %s, "
                           "or --reembed to re-encode the store at %s",
                           store_dir(s), in.precision, in.model, c.prec, in.precision, c.prec);
        FORWARD_ERR(store_write(s, start_reembed_fn, &c));
    } else if (strcmp(in.model, c.model) != 0) {
        /* same weights under another path: keep the record current */
        FORWARD_ERR(store_write(s, set_model_fn, &c));
    }
    return reembed(&c);
}
