/*
 * search.c - store <-> index <-> encoder plumbing for query, mine and build
 * (see search.h).
 */
#include "search.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "fsutil.h"
#include "index/ann/ann.h"
#include "index/build.h"
#include "ingest/encoder/encoder.h"
#include "log.h"
#include "mem.h"
#include "query/mine.h"
#include "query/report.h"

int search_index_path(struct buf *out, const char *store_dir)
{
    buf_reset(out);
    return buf_printf(out, "%s/index.faiss", store_dir);
}

int search_load_vectors(struct store_txn *t, const struct store_info *in, int64_t **ids, float **x,
                        size_t *n)
{
    *ids = NULL;
    *x = NULL;
    *n = 0;
    RETURN_ERR_IF(in->dim < 1, ERR_NOTFOUND, "the store has no vectors yet (run 'semindex ingest')");
    size_t cap = in->n_vectors ? (size_t)in->n_vectors : 1, dim = (size_t)in->dim, k = 0;
    int64_t *I = mem_alloc_array(cap, sizeof *I);
    float *X = mem_alloc_array(cap, dim * sizeof *X);
    struct store_iter *it = NULL;
    int rc = 0;
    if (!I || !X) {
        rc = err_set(ERR_NOMEM, "out of memory for %zu vectors of dim %zu", cap, dim);
        goto fail;
    }
    if ((rc = store_iter_open(t, 0, &it)) < 0) goto fail;
    uint64_t id;
    while (k < cap && (rc = store_iter_next(it, &id, X + k * dim)) == 1) I[k++] = (int64_t)id;
    store_iter_close(it);
    if (rc < 0) goto fail;
    ann_normalize(X, (int64_t)k, (int)dim);
    *ids = I;
    *x = X;
    *n = k;
    return 0;
fail:
    mem_free(I);
    mem_free(X);
    return rc;
}

static int src_rewind(void *ctx)
{
    struct search_src *s = ctx;
    store_iter_close(s->it);
    s->it = NULL;
    return store_iter_open(s->t, 0, &s->it);
}

static long src_next(void *ctx, int64_t *ids, float *x, size_t cap)
{
    struct search_src *s = ctx;
    size_t m = 0;
    uint64_t id;
    int rc = 0;
    if (!s->it && (rc = store_iter_open(s->t, 0, &s->it)) < 0) return rc;
    while (m < cap && (rc = store_iter_next(s->it, &id, x + m * (size_t)s->dim)) == 1) ids[m++] = (int64_t)id;
    if (rc < 0) return rc;
    ann_normalize(x, (int64_t)m, s->dim);
    return (long)m;
}

static int src_vector(void *ctx, int64_t id, float *x)
{
    struct search_src *s = ctx;
    FORWARD_ERR(store_get_vector(s->t, (uint64_t)id, x));
    ann_normalize(x, 1, s->dim);
    return 0;
}

int search_source(struct search_src *s, struct store_txn *t, const struct store_info *in, struct build_source *out)
{
    RETURN_ERR_IF(in->dim < 1, ERR_NOTFOUND, "the store has no vectors yet (run 'semindex ingest')");
    *s = (struct search_src){ t, NULL, in->dim };
    *out = (struct build_source){ (int64_t)in->n_vectors, src_rewind, src_next, src_vector, s };
    return 0;
}

void search_source_release(struct search_src *s)
{
    store_iter_close(s->it);
    s->it = NULL;
}

struct hit { float s; int64_t id; };

static int cmp_hit(const void *x, const void *y)
{
    const struct hit *a = x, *b = y;
    if (a->id < 0 || b->id < 0) return (a->id < 0) - (b->id < 0);
    if (a->s != b->s) return a->s > b->s ? -1 : 1;
    return (a->id > b->id) - (a->id < b->id);
}

int search_rescore(struct store_txn *t, int dim, const float *q, size_t nq, int kc, int kk, float *sc, int64_t *lab)
{
    struct hit *h = mem_alloc_array((size_t)kc, sizeof *h);
    float *v = mem_alloc_array((size_t)dim, sizeof *v);
    int rc = 0;
    if (!h || !v) { rc = err_set(ERR_NOMEM, "out of memory for re-scoring"); goto out; }
    for (size_t i = 0; i < nq; i++) {
        for (int r = 0; r < kc; r++) {
            int64_t id = lab[i * kc + r];
            h[r] = (struct hit){ -INFINITY, id };
            if (id < 0) continue;
            rc = store_get_vector(t, (uint64_t)id, v);
            if (rc == ERR_NOTFOUND) { h[r].id = -1; rc = 0; continue; }
            if (rc < 0) goto out;
            ann_normalize(v, 1, dim);
            h[r].s = mine_score(q + i * (size_t)dim, v, dim);
        }
        qsort(h, (size_t)kc, sizeof *h, cmp_hit);
        for (int r = 0; r < kk; r++) {
            sc[i * kk + r] = h[r].id < 0 ? -INFINITY : h[r].s;
            lab[i * kk + r] = h[r].id;
        }
    }
out:
    mem_free(h);
    mem_free(v);
    return rc;
}

int search_open_index(const char *store_dir, const struct store_info *in, int flags, struct ann **out)
{
    struct buf p = BUF_INIT;
    FORWARD_ERR(search_index_path(&p, store_dir));
    struct build_meta m = { in->fingerprint, in->generation };
    int rc = build_open(p.data, &m, in->dim, (int64_t)in->n_vectors, flags, out);
    if (rc == ERR_NOTFOUND)
        err_prefix(rc, "no index for store '%s' (run 'semindex build --store %s')", store_dir, store_dir);
    buf_release(&p);
    return rc;
}

int search_open_encoder(const struct store_info *in, int n_threads, struct enc **out)
{
    *out = NULL;
    RETURN_ERR_IF(!in->model[0], ERR_NOTFOUND, "the store records no model yet (run 'semindex ingest')");
    struct enc_options o = ENC_OPTIONS_INIT;
    o.n_threads = n_threads;
    struct enc *e = NULL;
    FORWARD_ERR(enc_create(in->model, &o, &e));
    if (strcmp(enc_fingerprint(e), in->fingerprint) || enc_dim(e) != in->dim) {
        int rc = err_set(ERR_MISMATCH, "model '%s' has fingerprint %s (dim %d), the store was made with %s "
                         "(dim %d)", in->model, enc_fingerprint(e), enc_dim(e), in->fingerprint, in->dim);
        enc_free(e);
        return rc;
    }
    *out = e;
    return 0;
}

/* the report writers' text callback: ctx is the store snapshot */
static int chunk_text(void *ctx, int64_t id, struct buf *out)
{
    struct store_chunk ch;
    return store_get_chunk(ctx, (uint64_t)id, &ch, out);
}

int search_write_pairs(struct store_txn *t, const char *path, const struct report_summary *sm,
                       const struct mine_pair *p, size_t np, const struct mine_clusters *clusters)
{
    enum report_format fmt;
    FORWARD_ERR(report_format_of(path, &fmt));
    struct fs_atomic f;
    FORWARD_ERR(fs_atomic_open(&f, path));
    int rc;
    if (fmt == REPORT_TSV) rc = report_write_tsv(f.f, p, np, chunk_text, t);
    else if (fmt == REPORT_JSONL) rc = report_write_jsonl(f.f, p, np, chunk_text, t);
    else rc = report_write_html(f.f, sm, p, np, clusters, chunk_text, t);
    if (rc < 0) {
        fs_atomic_abort(&f);
        return rc;
    }
    return fs_atomic_commit(&f);
}
