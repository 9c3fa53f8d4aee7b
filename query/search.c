/*
 * search.c - store <-> index <-> encoder plumbing for query, mine and build
 * (see search.h).
 */
#include "search.h"

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

int search_open_encoder(const struct store_info *in, int n_threads, int precision, struct enc **out)
{
    *out = NULL;
    RETURN_ERR_IF(!in->model[0], ERR_NOTFOUND, "the store records no model yet (run 'semindex ingest')");
    struct enc_options o = ENC_OPTIONS_INIT;
    o.n_threads = n_threads;
    if (precision >= 0) o.precision = precision;
    else if (enc_precision_parse(in->precision, &o.precision) < 0)
        return err_prefix(ERR_FORMAT, "store meta 'precision'");
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
