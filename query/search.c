/*
 * search.c - the search of query texts or a stored chunk through the index
 * (search_open, search_query), and the store <-> index <-> encoder plumbing
 * for query, mine and build (see search.h).
 */
#include "query/search.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "common/err.h"
#include "common/fsutil.h"
#include "common/log.h"
#include "common/mem.h"
#include "index/ann/ann.h"
#include "index/build.h"
#include "ingest/encoder/encoder.h"
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

int search_open_index_stale(const char *store_dir, struct store_txn *t, const struct store_info *in, int flags,
                            struct ann **out, struct search_staleness *st)
{
    memset(st, 0, sizeof *st);
    *out = NULL;
    struct buf p = BUF_INIT;
    FORWARD_ERR(search_index_path(&p, store_dir));
    struct build_facts f;
    int rc = build_open_stale(p.data, in->fingerprint, in->dim, flags, out, &f);
    if (rc == ERR_NOTFOUND)
        err_prefix(rc, "no index for store '%s' (run 'semindex build --store %s')", store_dir, store_dir);
    buf_release(&p);
    if (rc < 0) return rc;
    st->index_generation = f.generation;
    st->store_generation = in->generation;
    st->index_ntotal = f.ntotal;
    /* count the vectors past max_id: ids only, no decoding */
    struct store_iter *it = NULL;
    uint64_t id;
    if (f.max_id < INT64_MAX && (rc = store_iter_open(t, (uint64_t)(f.max_id + 1), &it)) == 0) {
        while ((rc = store_iter_next(it, &id, NULL)) == 1) st->newer++;
        store_iter_close(it);
    }
    if (rc < 0) {
        ann_free(*out);
        *out = NULL;
        return rc;
    }
    int64_t old = (int64_t)in->n_vectors - st->newer;
    st->gone = f.ntotal > old ? f.ntotal - old : 0;
    return 0;
}

int search_open_encoder(const struct store_info *in, const char *model, int n_threads, int precision,
                        struct enc **out)
{
    *out = NULL;
    RETURN_ERR_IF(!in->model[0], ERR_NOTFOUND, "the store records no model yet (run 'semindex ingest')");
    const char *name = model ? model : in->model;
    struct enc_options o = ENC_OPTIONS_INIT;
    o.n_threads = n_threads;
    if (precision >= 0) o.precision = precision;
    else if (enc_precision_parse(in->precision, &o.precision) < 0)
        return err_prefix(ERR_FORMAT, "store meta 'precision'");
    struct enc *e = NULL;
    int rc = enc_create(name, &o, &e);
    if (rc == ERR_NOTFOUND && !model) {
        char msg[1024];
        snprintf(msg, sizeof msg, "%s", err_msg());
        return err_set(rc, "%s: the store was made with this model; if it moved, give its new place with "
                       "--model DIR", msg);
    }
    if (rc < 0) return rc;
    if (strcmp(enc_fingerprint(e), in->fingerprint) || enc_dim(e) != in->dim) {
        rc = err_set(ERR_MISMATCH, "model '%s' has fingerprint %s (dim %d), the store was made with '%s', "
                     "fingerprint %s (dim %d)", name, enc_fingerprint(e), enc_dim(e), in->model, in->fingerprint,
                     in->dim);
        enc_free(e);
        return rc;
    }
    *out = e;
    return 0;
}

int search_src_doc(struct store_txn *t, uint64_t doc, struct report_src *out)
{
    buf_reset(&out->shard);
    buf_reset(&out->entry);
    buf_reset(&out->ext_id);
    out->known = 0;
    out->record = out->offset = 0;
    struct store_doc d = STORE_DOC_INIT;
    int rc = store_get_doc(t, doc, &d);
    if (rc == 0) {
        out->known = 1;
        out->record = d.record;
        out->offset = d.offset;
        rc = buf_append(&out->shard, d.shard.data ? d.shard.data : "", d.shard.len);
        if (rc == 0) rc = buf_append(&out->entry, d.entry.data ? d.entry.data : "", d.entry.len);
        if (rc == 0) rc = buf_append(&out->ext_id, d.ext_id.data ? d.ext_id.data : "", d.ext_id.len);
    } else if (rc == ERR_NOTFOUND) {
        rc = 0; /* a chunk without its doc record: the text, no provenance */
    }
    store_doc_release(&d);
    return rc;
}

int search_src(void *ctx, int64_t id, struct report_src *out)
{
    struct store_txn *t = ctx;
    struct store_chunk ch;
    FORWARD_ERR(store_get_chunk(t, (uint64_t)id, &ch, &out->text));
    out->doc = ch.doc;
    out->start = ch.start;
    out->end = ch.end;
    return search_src_doc(t, ch.doc, out);
}

/* ---- search ---------------------------------------------------------- */

struct search {
    struct store *s;
    struct store_txn *t;
    struct store_info in;
    struct ann *index;
    struct search_staleness stale;
    struct enc *enc;           /* created by the first query by text */
    struct search_options o;
    char *model;               /* o.model's copy */
};

int search_open(const char *store_dir, const struct search_options *o, struct search **out)
{
    *out = NULL;
    struct search *se = mem_calloc(1, sizeof *se);
    RETURN_ERR_IF(!se, ERR_NOMEM, "out of memory");
    se->o = o ? *o : (struct search_options)SEARCH_OPTIONS_INIT;
    int rc = 0;
    if (se->o.model && !(se->model = mem_strdup(se->o.model))) rc = err_nomem();
    se->o.model = se->model;
    if (rc == 0) rc = store_open(store_dir, STORE_RDONLY, &se->s);
    if (rc == 0) rc = store_read_begin(se->s, &se->t);
    if (rc == 0) rc = store_txn_info(se->t, &se->in);
    if (rc == 0) rc = search_open_index_stale(store_dir, se->t, &se->in, se->o.flags, &se->index, &se->stale);
    if (rc < 0) {
        search_close(se);
        return rc;
    }
    *out = se;
    return 0;
}

void search_close(struct search *se)
{
    if (!se) return;
    store_read_end(se->t);
    store_close(se->s);
    ann_free(se->index);
    enc_free(se->enc);
    mem_free(se->model);
    mem_free(se);
}

const struct store_info *search_info(const struct search *se) { return &se->in; }

const struct search_staleness *search_stale(const struct search *se) { return &se->stale; }

/* query_vectors: the request's query vectors, L2-normalized: nq rows of dim
 * into *out (owned) */
static int query_vectors(struct search *se, const struct search_request *rq, float **out, size_t *nq)
{
    size_t dim = (size_t)se->in.dim, n = rq->by_id ? 1 : rq->n;
    float *q = mem_alloc_array(n ? n : 1, dim * sizeof *q);
    size_t *len = NULL;
    int rc = q ? 0 : err_set(ERR_NOMEM, "out of memory for %zu queries", n);
    if (rc == 0 && rq->by_id) {
        rc = store_get_vector(se->t, rq->id, q);
    } else if (rc == 0) {
        if (!se->enc) rc = search_open_encoder(&se->in, se->o.model, se->o.n_threads, se->o.precision, &se->enc);
        if (rc == 0 && n && !rq->len && !(len = mem_alloc_array(n, sizeof *len)))
            rc = err_set(ERR_NOMEM, "out of memory for %zu queries", n);
        for (size_t i = 0; rc == 0 && len && i < n; i++) len[i] = strlen(rq->text[i]);
        if (rc == 0 && n && (rc = enc_encode(se->enc, rq->text, rq->len ? rq->len : len, n, q, NULL)) < 0)
            err_prefix(rc, "cannot encode the queries");
    }
    mem_free(len);
    if (rc < 0) {
        mem_free(q);
        return rc;
    }
    ann_normalize(q, (int64_t)n, (int)dim);
    *out = q;
    *nq = n;
    return 0;
}

int search_query(struct search *se, const struct search_request *rq, search_hit_fn fn, void *ctx)
{
    RETURN_ERR_IF(rq->k < 1, ERR_INVALID, "k must be at least 1, got %d", rq->k);
    RETURN_ERR_IF(isnan(rq->threshold), ERR_INVALID, "bad threshold");
    float *q = NULL, *sc = NULL;
    int64_t *lab = NULL;
    size_t nq = 0;
    struct report_src src = REPORT_SRC_INIT;
    FORWARD_ERR(query_vectors(se, rq, &q, &nq));
    /* room to skip the query chunk itself and the hits of deleted chunks */
    int64_t gone = se->stale.gone;
    int kk = rq->k + (rq->by_id ? 1 : 0) + (int)(gone < 1000 ? gone : 1000);
    /* every hit's score is mine_score with the stored vector (the same on
     * every index type); compressed codes (SQ8, PQ): 4 kk candidates */
    int kc = ann_compressed(se->index) ? 4 * kk : kk;
    sc = mem_alloc_array(nq ? nq : 1, (size_t)kc * sizeof *sc);
    lab = mem_alloc_array(nq ? nq : 1, (size_t)kc * sizeof *lab);
    int rc = sc && lab ? 0 : err_set(ERR_NOMEM, "out of memory for results");
    if (rc == 0 && nq) rc = ann_search(se->index, q, (int64_t)nq, kc, sc, lab);
    if (rc == 0 && nq) rc = search_rescore(se->t, se->in.dim, q, nq, kc, kk, sc, lab);
    for (size_t i = 0; rc == 0 && i < nq; i++) {
        int rank = 0;
        for (int r = 0; rc == 0 && r < kk && rank < rq->k; r++) {
            int64_t id = lab[i * kk + r];
            if (id < 0 || sc[i * kk + r] < rq->threshold) continue;
            if (rq->by_id && (uint64_t)id == rq->id) continue;
            report_src_reset(&src);
            rc = search_src(se->t, id, &src);
            if (rc == ERR_NOTFOUND && gone) { rc = 0; continue; } /* deleted since the build */
            if (rc < 0) {
                err_prefix(rc, "index and store disagree");
                break;
            }
            struct search_hit h = { i, ++rank, sc[i * kk + r], id, &src };
            rc = fn(ctx, &h);
        }
    }
    mem_free(q);
    mem_free(sc);
    mem_free(lab);
    report_src_release(&src);
    return rc;
}

/* ---- mining reports ------------------------------------------------------ */

static int hash_cmp(struct hash128 a, struct hash128 b)
{
    if (a.hi != b.hi) return a.hi < b.hi ? -1 : 1;
    if (a.lo != b.lo) return a.lo < b.lo ? -1 : 1;
    return 0;
}

static int hash_eq(struct hash128 a, struct hash128 b) { return a.hi == b.hi && a.lo == b.lo; }

/* a pair of distinct texts (lo < hi), its chunk ids and where it is in the
 * pair list */
struct text_pair {
    struct hash128 lo, hi;
    int64_t a, b;
    size_t idx;
};

static int text_pair_cmp(const void *x, const void *y)
{
    const struct text_pair *a = x, *b = y;
    int c = hash_cmp(a->lo, b->lo);
    if (!c) c = hash_cmp(a->hi, b->hi);
    if (!c) c = (a->a > b->a) - (a->a < b->a);
    if (!c) c = (a->b > b->b) - (a->b < b->b);
    if (!c) c = (a->idx > b->idx) - (a->idx < b->idx);
    return c;
}

/* an id's text hash */
struct id_hash {
    int64_t id;
    struct hash128 h;
};

static int id_hash_cmp(const void *x, const void *y)
{
    const struct id_hash *a = x, *b = y;
    return (a->id > b->id) - (a->id < b->id);
}

static struct hash128 hash_of(const struct id_hash *v, size_t n, int64_t id)
{
    struct id_hash key = { id, { 0, 0 } }, *f = bsearch(&key, v, n, sizeof key, id_hash_cmp);
    return f->h; /* every id of the pairs was read */
}

int search_drop_identical(struct store_txn *t, struct mine_pair *p, size_t *np, size_t *identical,
                          size_t *repeated)
{
    size_t n = *np, m = 0, nu = 0;
    *identical = *repeated = 0;
    if (n == 0) return 0;
    struct text_pair *tp = mem_alloc_array(n, sizeof *tp);
    unsigned char *keep = mem_calloc(n, 1);
    struct id_hash *u = mem_alloc_array(2 * n, sizeof *u);
    int rc = 0;
    if (!tp || !keep || !u) { rc = err_set(ERR_NOMEM, "out of memory for %zu pairs", n); goto out; }
    /* each chunk's text hash read once, however many pairs it is in */
    for (size_t i = 0; i < n; i++) {
        u[2 * i].id = p[i].a;
        u[2 * i + 1].id = p[i].b;
    }
    qsort(u, 2 * n, sizeof *u, id_hash_cmp);
    for (size_t i = 0; i < 2 * n; i++) {
        if (nu && u[nu - 1].id == u[i].id) continue;
        struct store_chunk c;
        if ((rc = store_get_chunk(t, (uint64_t)u[i].id, &c, NULL)) < 0) {
            err_prefix(rc, "chunk %lld of a mined pair", (long long)u[i].id);
            goto out;
        }
        u[nu].id = u[i].id;
        u[nu++].h = c.text_hash;
    }
    for (size_t i = 0; i < n; i++) {
        struct hash128 ha = hash_of(u, nu, p[i].a), hb = hash_of(u, nu, p[i].b);
        if (hash_eq(ha, hb)) { (*identical)++; continue; }
        int lt = hash_cmp(ha, hb) < 0;
        tp[m].lo = lt ? ha : hb;
        tp[m].hi = lt ? hb : ha;
        tp[m].a = p[i].a;
        tp[m].b = p[i].b;
        tp[m].idx = i;
        m++;
    }
    qsort(tp, m, sizeof *tp, text_pair_cmp);
    for (size_t i = 0; i < m; i++) {
        if (i > 0 && hash_eq(tp[i].lo, tp[i - 1].lo) && hash_eq(tp[i].hi, tp[i - 1].hi)) (*repeated)++;
        else keep[tp[i].idx] = 1;
    }
    m = 0;
    for (size_t i = 0; i < n; i++)
        if (keep[i]) p[m++] = p[i];
    *np = m;
out:
    mem_free(tp);
    mem_free(keep);
    mem_free(u);
    return rc;
}

/* a chunk's text hash, for grouping */
struct text_id {
    struct hash128 h;
    int64_t id;
};

static int text_id_cmp(const void *x, const void *y)
{
    const struct text_id *a = x, *b = y;
    int c = hash_cmp(a->h, b->h);
    return c ? c : (a->id > b->id) - (a->id < b->id);
}

/* a group: where its members start in the sorted text_id array, how many */
struct group {
    size_t at, n;
    int64_t first;
};

static int group_cmp(const void *x, const void *y)
{
    const struct group *a = x, *b = y;
    if (a->n != b->n) return a->n < b->n ? 1 : -1;
    return (a->first > b->first) - (a->first < b->first);
}

int search_duplicate_groups(struct store_txn *t, struct mine_clusters *out)
{
    memset(out, 0, sizeof *out);
    struct store_info in;
    FORWARD_ERR(store_txn_info(t, &in));
    size_t cap = in.n_chunks ? (size_t)in.n_chunks : 1, n = 0, ng = 0;
    struct text_id *ti = mem_alloc_array(cap, sizeof *ti);
    struct group *g = NULL;
    struct store_iter *it = NULL;
    int rc = ti ? 0 : err_set(ERR_NOMEM, "out of memory for %zu chunk hashes", cap);
    if (rc == 0) rc = store_chunk_iter_open(t, 0, &it);
    struct store_chunk c;
    while (rc == 0 && (rc = store_iter_next_chunk(it, &c, NULL)) == 1) {
        rc = 0;
        if ((rc = MEM_GROW(ti, n + 1, cap)) < 0) break;
        ti[n].h = c.text_hash;
        ti[n].id = (int64_t)c.id;
        n++;
    }
    store_iter_close(it);
    if (rc < 0) goto out;
    qsort(ti, n, sizeof *ti, text_id_cmp);
    size_t members = 0;
    for (size_t i = 0, j; i < n; i = j) {
        for (j = i + 1; j < n && hash_eq(ti[j].h, ti[i].h); j++) {}
        if (j - i > 1) ng++, members += j - i;
    }
    g = mem_alloc_array(ng ? ng : 1, sizeof *g);
    out->start = mem_alloc_array(ng + 1, sizeof *out->start);
    out->member = mem_alloc_array(members ? members : 1, sizeof *out->member);
    if (!g || !out->start || !out->member) { rc = err_set(ERR_NOMEM, "out of memory for %zu groups", ng); goto out; }
    ng = 0;
    for (size_t i = 0, j; i < n; i = j) {
        for (j = i + 1; j < n && hash_eq(ti[j].h, ti[i].h); j++) {}
        if (j - i > 1) g[ng++] = (struct group){ i, j - i, ti[i].id };
    }
    qsort(g, ng, sizeof *g, group_cmp);
    size_t k = 0;
    for (size_t q = 0; q < ng; q++) {
        out->start[q] = k;
        for (size_t m = 0; m < g[q].n; m++) out->member[k++] = ti[g[q].at + m].id;
    }
    out->start[ng] = k;
    out->n = ng;
out:
    mem_free(ti);
    mem_free(g);
    if (rc < 0) mine_clusters_release(out);
    return rc;
}

int search_dups_path(struct buf *out, const char *path)
{
    buf_reset(out);
    if (!path || !strcmp(path, "-")) return buf_puts(out, "");
    const char *slash = strrchr(path, '/'), *dot = strrchr(path, '.');
    size_t stem = dot && (!slash || dot > slash + 1) ? (size_t)(dot - path) : strlen(path);
    FORWARD_ERR(buf_append(out, path, stem));
    return buf_puts(out, ".duplicates.jsonl");
}

static int write_dups(struct store_txn *t, const char *path, const struct mine_clusters *dups)
{
    struct fs_atomic f;
    FORWARD_ERR(fs_atomic_open(&f, path));
    int rc = report_write_dups_jsonl(f.f, dups, 100, search_src, t);
    if (rc < 0) {
        fs_atomic_abort(&f);
        return rc;
    }
    return fs_atomic_commit(&f);
}

int search_report_prepare(struct store_txn *t, const struct search_report *o, int top_k,
                          size_t *mine_max_pairs, struct mine_clusters *dups)
{
    memset(dups, 0, sizeof *dups);
    if (o->include_identical) return 0;
    FORWARD_ERR(search_duplicate_groups(t, dups));
    size_t grouped = dups->start ? dups->start[dups->n] : 0;
    size_t k = top_k > 0 ? (size_t)top_k : 1;
    size_t cap = 4 * *mine_max_pairs > (1u << 20) ? 4 * *mine_max_pairs : (1u << 20);
    size_t slack = grouped > cap / k ? cap : grouped * k;
    if (*mine_max_pairs <= SIZE_MAX - slack) *mine_max_pairs += slack;
    return 0;
}

int search_write_pairs(struct store_txn *t, const struct search_report *o, struct report_summary *sm,
                       struct mine_pair *p, size_t *np, const struct mine_clusters *clusters,
                       const struct mine_clusters *dups)
{
    enum report_format fmt = (enum report_format)(o->format - 1);
    if (!o->format) FORWARD_ERR(report_format_of(o->path, &fmt));
    struct buf dpath = BUF_INIT;
    int rc = 0;
    sm->identical_included = o->include_identical;
    if (!o->include_identical) {
        if ((rc = search_drop_identical(t, p, np, &sm->identical_dropped, &sm->repeated_dropped)) < 0) goto out;
        if (o->dups_path) rc = buf_puts(&dpath, o->dups_path);
        else rc = search_dups_path(&dpath, o->path);
        if (rc == 0 && dpath.len && dups) rc = write_dups(t, dpath.data, dups);
        if (rc == 0 && dpath.len && dups) sm->dups_file = dpath.data;
        if (rc < 0) goto out;
    }
    if (o->max_pairs && *np > o->max_pairs) *np = o->max_pairs;
    struct fs_atomic f;
    if ((rc = fs_atomic_open(&f, o->path)) < 0) goto out;
    if (fmt == REPORT_TSV) rc = report_write_tsv(f.f, p, *np, search_src, t);
    else if (fmt == REPORT_JSONL) rc = report_write_jsonl(f.f, p, *np, search_src, t);
    else rc = report_write_html(f.f, sm, p, *np, clusters, o->include_identical ? NULL : dups, search_src, t);
    if (rc < 0) fs_atomic_abort(&f);
    else rc = fs_atomic_commit(&f);
out:
    buf_release(&dpath);
    return rc;
}
