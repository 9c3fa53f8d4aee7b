/*
 * mine.c - paraphrase mining (exact blocked brute force and FAISS kNN),
 * connected components and community detection (see mine.h).
 *
 * Reference: sentence-transformers util/retrieval.py,
 * paraphrase_mining_embeddings() and community_detection().
 *
 * Exact mining, per block of query rows:
 *   S (Q, C) = X[q0 .. q0+Q) (Q, D) * X[c0 .. c0+C)^T (D, C)   cblas_sgemm
 *   each row keeps its top_k (score desc, column asc), self excluded,
 *   across all column blocks; then the rows' lists become candidate pairs.
 * Candidates collect in one buffer; when it holds more than its capacity it
 * is compacted (dedup (a, b) keeping the best score, keep the max_pairs
 * best) and the score of the last kept pair becomes a floor below which
 * later candidates are dropped.
 *
 * Scores: the sgemm / FAISS score of a pair depends on the kernel, the
 * block and the CPU in its last bits, so it only nominates candidates
 * (within MINE_RESCORE_MARGIN below the threshold or the floor); each
 * nominee is scored again by mine_score() and judged on that score alone.
 */
#include "query/mine.h"

#include <cblas.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "common/err.h"
#include "common/log.h"
#include "common/mem.h"
#include "index/ann/ann.h"
#include "index/topk.h"

/* ---------------- candidate pairs ---------------- */

struct cand {
    struct mine_pair *p;
    size_t n, cap;         /* compaction happens when n reaches cap */
    size_t max_pairs;
    float threshold;       /* pairs below it are not reported */
    float floor;           /* candidates below it cannot make the result */
    int full;              /* floor is valid */
};

float mine_score(const float *a, const float *b, int dim) { return topk_score(a, b, dim); }

int mine_pair_cmp(const void *x, const void *y)
{
    const struct mine_pair *p = x, *q = y;
    if (p->score > q->score) return -1;
    if (p->score < q->score) return 1;
    if (p->a != q->a) return p->a < q->a ? -1 : 1;
    if (p->b != q->b) return p->b < q->b ? -1 : 1;
    return 0;
}

/* by (a, b), best score first within a pair */
static int cmp_ab(const void *x, const void *y)
{
    const struct mine_pair *p = x, *q = y;
    if (p->a != q->a) return p->a < q->a ? -1 : 1;
    if (p->b != q->b) return p->b < q->b ? -1 : 1;
    return (p->score < q->score) - (p->score > q->score);
}

static void cand_compact(struct cand *c)
{
    if (c->n == 0) return;
    qsort(c->p, c->n, sizeof *c->p, cmp_ab);
    size_t w = 0;
    for (size_t r = 0; r < c->n; r++)
        if (w == 0 || c->p[r].a != c->p[w - 1].a || c->p[r].b != c->p[w - 1].b) c->p[w++] = c->p[r];
    c->n = w;
    qsort(c->p, c->n, sizeof *c->p, mine_pair_cmp);
    if (c->n >= c->max_pairs) {
        c->n = c->max_pairs;
        c->floor = c->p[c->n - 1].score;
        c->full = 1;
    }
}

static int cand_init(struct cand *c, size_t max_pairs, float threshold)
{
    memset(c, 0, sizeof *c);
    c->max_pairs = max_pairs;
    c->threshold = threshold;
    c->cap = max_pairs < 32768 ? 65536 : 2 * max_pairs;
    c->p = mem_alloc_array(c->cap, sizeof *c->p);
    return c->p ? 0 : err_set(ERR_NOMEM, "out of memory for %zu candidate pairs", c->cap);
}

/* can a pair whose approximate score is s still make the result? */
static inline int cand_nominee(const struct cand *c, float s)
{
    return s >= c->threshold - MINE_RESCORE_MARGIN && !(c->full && s < c->floor - MINE_RESCORE_MARGIN);
}

/* s: the pair's mine_score */
static void cand_push(struct cand *c, float s, int64_t i, int64_t j)
{
    if (s < c->threshold || (c->full && s < c->floor)) return;
    if (c->n == c->cap) cand_compact(c);
    struct mine_pair *p = &c->p[c->n++];
    p->score = s;
    p->a = i < j ? i : j;
    p->b = i < j ? j : i;
}

static int check_opts(const struct mine_options *o, size_t n, int dim)
{
    RETURN_ERR_IF(o->top_k < 1, ERR_INVALID, "top_k must be at least 1, got %d", o->top_k);
    RETURN_ERR_IF(o->max_pairs < 1, ERR_INVALID, "max_pairs must be at least 1");
    RETURN_ERR_IF(o->query_chunk < 1 || o->corpus_chunk < 1, ERR_INVALID, "bad chunk sizes");
    RETURN_ERR_IF(dim < 1, ERR_INVALID, "bad dimension %d", dim);
    RETURN_ERR_IF(isnan(o->threshold), ERR_INVALID, "bad threshold");
    (void)n;
    return 0;
}

static int64_t id_of(const int64_t *ids, size_t i) { return ids ? ids[i] : (int64_t)i; }

static int finish(struct cand *c, struct mine_pair **out, size_t *n_out)
{
    cand_compact(c);
    *out = c->p;
    *n_out = c->n;
    if (c->n == 0) {
        mem_free(c->p);
        *out = NULL;
    }
    return 0;
}

/* ---------------- exact ---------------- */

/* read_rows: up to cap rows from the source (several next() calls) */
static long read_rows(const struct build_source *src, int64_t *ids, float *x, size_t cap, int dim)
{
    size_t m = 0;
    while (m < cap) {
        long b = src->next(src->ctx, ids + m, x + m * (size_t)dim, cap - m);
        if (b < 0) return b;
        if (b == 0) break;
        m += (size_t)b;
    }
    return (long)m;
}

int mine_exact(const float *x, const int64_t *ids, size_t n, int dim, const struct mine_options *o,
               struct mine_pair **out, size_t *n_out)
{
    struct build_array a;
    struct build_source src = build_array_source(&a, x, ids, (int64_t)n, dim);
    int rc = mine_exact_stream(&src, dim, o, out, n_out);
    build_array_release(&a);
    return rc;
}

int mine_exact_stream(const struct build_source *src, int dim, const struct mine_options *o,
                      struct mine_pair **out, size_t *n_out)
{
    *out = NULL;
    *n_out = 0;
    size_t n = src->n > 0 ? (size_t)src->n : 0;
    FORWARD_ERR(check_opts(o, n, dim));
    RETURN_ERR_IF(!src->rewind, ERR_INVALID, "streamed exact mining needs a source that can rewind");
    if (n < 2) return 0;
    size_t Q = o->query_chunk < n ? o->query_chunk : n, C = o->corpus_chunk < n ? o->corpus_chunk : n;
    int k = (size_t)o->top_k < n - 1 ? o->top_k : (int)(n - 1); /* no more neighbours than others */
    struct cand c;
    FORWARD_ERR(cand_init(&c, o->max_pairs, o->threshold));
    float *S = mem_alloc_array(Q * C, sizeof *S), *cx = mem_alloc_array(C, (size_t)dim * sizeof *cx);
    float *qx[2] = { mem_alloc_array(Q, (size_t)dim * sizeof(float)), mem_alloc_array(Q, (size_t)dim * sizeof(float)) };
    int64_t *qid[2] = { mem_alloc_array(Q, sizeof(int64_t)), mem_alloc_array(Q, sizeof(int64_t)) };
    int64_t *cid = mem_alloc_array(C, sizeof *cid), *lc = mem_alloc_array(Q * (size_t)k, sizeof *lc);
    float *ls = mem_alloc_array(Q * (size_t)k, sizeof *ls), *le = mem_alloc_array(Q * (size_t)k, sizeof *le);
    int rc = 0;
    if (!S || !cx || !qx[0] || !qx[1] || !qid[0] || !qid[1] || !cid || !lc || !ls || !le) {
        rc = err_set(ERR_NOMEM, "out of memory for a %zu x %zu score block", Q, C);
        goto out;
    }
    const float thr = o->threshold - MINE_RESCORE_MARGIN;
    struct progress pr;
    progress_init(&pr, "mine", n);
    /* the first query block; each corpus pass also collects the next one */
    long qn = 0;
    if ((rc = src->rewind(src->ctx)) < 0) goto out;
    if ((qn = read_rows(src, qid[0], qx[0], Q, dim)) < 0) { rc = (int)qn; goto out; }
    int cur = 0;
    for (size_t q0 = 0; qn > 0; q0 += (size_t)qn) {
        const float *q = qx[cur];
        const int64_t *qi = qid[cur];
        float *nx = qx[!cur];
        int64_t *ni = qid[!cur];
        size_t nn = 0, c0 = 0, next0 = q0 + (size_t)qn; /* the next block: rows [next0, next0 + Q) */
        topk_reset(ls, lc, le, (size_t)qn, k);
        if ((rc = src->rewind(src->ctx)) < 0) goto out;
        long cn;
        while ((cn = read_rows(src, cid, cx, C, dim)) > 0) {
            /* the lists keep the exact scores (le) of their rows: no
             * vector is read again for the nominees */
            topk_block(q, qi, (size_t)qn, cx, cid, (size_t)cn, dim, k, thr, S, ls, lc, le);
            for (long j = 0; j < cn; j++) {
                size_t row = c0 + (size_t)j;
                if (row >= next0 && row < next0 + Q) {
                    memcpy(nx + nn * (size_t)dim, cx + (size_t)j * dim, (size_t)dim * sizeof *nx);
                    ni[nn++] = cid[j];
                }
            }
            c0 += (size_t)cn;
        }
        if (cn < 0) { rc = (int)cn; goto out; }
        if (c0 != n) {
            rc = err_set(ERR_MISMATCH, "the vectors changed while mining: %zu read, %zu expected", c0, n);
            goto out;
        }
        for (long r = 0; r < qn; r++)
            for (int t = 0; t < k && lc[(size_t)r * k + t] >= 0; t++)
                if (cand_nominee(&c, ls[(size_t)r * k + t]))
                    cand_push(&c, le[(size_t)r * k + t], qi[r], lc[(size_t)r * k + t]);
        progress_update(&pr, q0 + (size_t)qn, "%zu candidate pairs", c.n);
        qn = (long)nn;
        cur = !cur;
    }
    progress_done(&pr);
out:
    mem_free(S); mem_free(cx); mem_free(qx[0]); mem_free(qx[1]); mem_free(qid[0]); mem_free(qid[1]);
    mem_free(cid); mem_free(lc); mem_free(ls); mem_free(le);
    if (rc < 0) {
        mem_free(c.p);
        return rc;
    }
    return finish(&c, out, n_out);
}

/* ---------------- FAISS kNN ---------------- */

#define ANN_QUERY_CHUNK 4096

/* ann_fetch: the neighbours asked of the index per query: top_k + 1 (self
 * is usually the best hit), and MINE_COMPRESSED_FETCH times top_k + 1 from
 * compressed codes, whose rank errs among close neighbours: all of them are
 * scored exactly and the best top_k kept (query re-scores 4 k likewise) */
static int ann_fetch(const struct ann *index, int top_k)
{
    int64_t k = (int64_t)top_k * (ann_compressed(index) ? MINE_COMPRESSED_FETCH : 1) + 1, nt = ann_ntotal(index);
    return (int)(k < nt ? k : nt);
}

static int cmp_pair_score_desc(const void *x, const void *y)
{
    const struct mine_pair *a = x, *b = y;
    if (a->score != b->score) return (a->score < b->score) - (a->score > b->score);
    return (a->b > b->b) - (a->b < b->b);
}

int mine_ann_queries(const struct ann *index, int dim, const struct build_source *src,
                     const struct mine_options *o, struct mine_pair **out, size_t *n_out)
{
    *out = NULL;
    *n_out = 0;
    FORWARD_ERR(check_opts(o, 0, dim));
    RETURN_ERR_IF(ann_dim(index) != dim, ERR_INVALID, "index dimension %d differs from vectors' %d",
                  ann_dim(index), dim);
    int64_t nt = ann_ntotal(index);
    if (nt < 2) return 0;
    int top_k = o->top_k < nt - 1 ? o->top_k : (int)(nt - 1);
    int k = ann_fetch(index, top_k);
    int compressed = ann_compressed(index);
    size_t Q = ANN_QUERY_CHUNK;
    struct cand c;
    FORWARD_ERR(cand_init(&c, o->max_pairs, o->threshold));
    float *sc = mem_alloc_array(Q * (size_t)k, sizeof *sc);
    int64_t *lab = mem_alloc_array(Q * (size_t)k, sizeof *lab);
    float *qx = mem_alloc_array(Q, (size_t)dim * sizeof *qx);
    int64_t *qid = mem_alloc_array(Q, sizeof *qid);
    float *other = mem_alloc_array((size_t)dim, sizeof *other);
    struct mine_pair *row = mem_alloc_array((size_t)k, sizeof *row);  /* one query's exact scores */
    int rc = 0;
    if (!sc || !lab || !qx || !qid || !other || !row) {
        rc = err_set(ERR_NOMEM, "out of memory for %zu x %d search results", Q, k);
        goto out;
    }
    struct progress pr;
    progress_init(&pr, "mine (ann)", (uint64_t)nt);
    uint64_t done = 0;
    for (;;) {
        long qn = src->next(src->ctx, qid, qx, Q);
        if (qn < 0) { rc = (int)qn; goto out; }
        if (qn == 0) break;
        if ((rc = ann_search(index, qx, qn, k, sc, lab)) < 0) goto out;
        for (long r = 0; r < qn; r++) {
            int64_t self = qid[r];
            int taken = 0;
            for (int t = 0; t < k && (compressed || taken < top_k); t++) {
                int64_t j = lab[r * k + t];
                if (j < 0 || j == self) continue;
                /* compressed codes (SQ, PQ) err by far more than the margin:
                 * every candidate is scored, the best top_k by true score
                 * nominated below */
                if (!compressed && (taken++, !cand_nominee(&c, sc[r * k + t]))) continue;
                rc = src->vector(src->ctx, j, other);
                if (rc == ERR_NOTFOUND) { rc = 0; continue; } /* deleted since the index was built */
                if (rc < 0) goto out;
                float s = mine_score(qx + r * (size_t)dim, other, dim);
                if (compressed) row[taken++] = (struct mine_pair){ s, self, j };
                else cand_push(&c, s, self, j);
            }
            if (!compressed) continue;
            qsort(row, (size_t)taken, sizeof *row, cmp_pair_score_desc);
            for (int t = 0; t < taken && t < top_k; t++) cand_push(&c, row[t].score, self, row[t].b);
        }
        done += (uint64_t)qn;
        progress_update(&pr, done, "%zu candidate pairs", c.n);
    }
    progress_done(&pr);
out:
    mem_free(sc);
    mem_free(lab);
    mem_free(qx);
    mem_free(qid);
    mem_free(other);
    mem_free(row);
    if (rc < 0) {
        mem_free(c.p);
        return rc;
    }
    return finish(&c, out, n_out);
}

/* ---------------- list-wise (IVF) ---------------- */

/* One inverted list's vectors read from the source, ids ascending; a cache
 * of them (lists_get) bounded by cap bytes (o->cache_bytes), least recently
 * used out first, never a pinned list (the group being mined) nor the one
 * being loaded. */
struct list_vecs {
    float *x;          /* n rows of dim */
    int64_t *ids;      /* n ids, ascending */
    size_t n;
    uint64_t used;     /* stamp of the last use; 0: not loaded */
    int pinned;
};

struct lists {
    struct list_vecs *l;  /* nlist entries */
    int64_t nlist;
    size_t bytes, cap;
    uint64_t stamp;
    int dim;
    uint64_t loads, reads; /* lists read from the source, vectors read by id */
};

static int cmp_id(const void *x, const void *y)
{
    int64_t a = *(const int64_t *)x, b = *(const int64_t *)y;
    return (a > b) - (a < b);
}

static size_t list_row_bytes(const struct lists *c) { return (size_t)c->dim * sizeof(float) + sizeof(int64_t); }

static void lists_drop(struct lists *c, int64_t i)
{
    struct list_vecs *v = &c->l[i];
    c->bytes -= v->n * list_row_bytes(c);
    mem_free(v->x);
    mem_free(v->ids);
    memset(v, 0, sizeof *v);
}

static void lists_evict(struct lists *c, size_t need)
{
    while (c->bytes + need > c->cap) {
        int64_t lru = -1;
        for (int64_t i = 0; i < c->nlist; i++)
            if (c->l[i].used && !c->l[i].pinned && (lru < 0 || c->l[i].used < c->l[lru].used)) lru = i;
        if (lru < 0) return; /* only pinned lists are left */
        lists_drop(c, lru);
    }
}

/* lists_get: list l's vectors, read from src by id if not cached; ids the
 * source no longer has (deleted since the build) are left out. */
static int lists_get(struct lists *c, const struct ann *index, const struct build_source *src, int64_t l,
                     struct list_vecs **out)
{
    struct list_vecs *v = &c->l[l];
    *out = v;
    if (v->used) {
        v->used = ++c->stamp;
        return 0;
    }
    int64_t m = ann_list_size(index, l);
    if (m < 0) return (int)m;
    lists_evict(c, (size_t)m * list_row_bytes(c));
    v->ids = mem_alloc_array((size_t)m + 1, sizeof *v->ids);
    v->x = mem_alloc_array((size_t)m + 1, (size_t)c->dim * sizeof *v->x);
    if (!v->ids || !v->x) {
        mem_free(v->ids); mem_free(v->x);
        memset(v, 0, sizeof *v);
        return err_set(ERR_NOMEM, "out of memory for inverted list %lld (%lld vectors)", (long long)l, (long long)m);
    }
    int rc = ann_list_ids(index, l, v->ids);
    if (rc == 0) qsort(v->ids, (size_t)m, sizeof *v->ids, cmp_id); /* store order: fewer pages, lower id first on ties */
    size_t w = 0;
    for (int64_t i = 0; i < m && rc == 0; i++) {
        rc = src->vector(src->ctx, v->ids[i], v->x + w * (size_t)c->dim);
        if (rc == ERR_NOTFOUND) { rc = 0; continue; }
        if (rc == 0) v->ids[w++] = v->ids[i];
    }
    if (rc < 0) {
        mem_free(v->ids); mem_free(v->x);
        memset(v, 0, sizeof *v);
        return rc;
    }
    v->n = w;
    v->used = ++c->stamp;
    c->bytes += w * list_row_bytes(c);
    c->loads++;
    c->reads += (uint64_t)m;
    return 0;
}

static void lists_release(struct lists *c)
{
    for (int64_t i = 0; c->l && i < c->nlist; i++)
        if (c->l[i].used) lists_drop(c, i);
    mem_free(c->l);
}

/* A group of query lists mined together: their rows (vectors pinned in the
 * cache; qx / qid point at them), each row's np probes, and, inverted, the
 * candidate lists cl[0 .. ncl) (ascending once the group is closed) with
 * for candidate cl[p] the rows probing it, row[start[p] .. start[p + 1]),
 * ascending. cnt[nlist] counts the group's rows probing each list (the
 * walk's choice of the next list), zero outside a group. */
struct group {
    int64_t *gl;             /* ng query lists */
    const float **qx;        /* nq row vectors */
    int64_t *qid;            /* nq row ids */
    int64_t *pb;             /* nq x np probes */
    int64_t *cl;             /* ncl candidate lists */
    size_t *start, *row, *cnt;
    size_t ng, nq, ncl, bytes;
    size_t qx_cap, qid_cap, pb_cap, row_cap;
};

/* add list l (vectors v) to the group: its rows and probes (np > 1) */
static int group_add(struct group *g, const struct ann *index, int64_t l, struct list_vecs *v, int np, int64_t nl,
                     int dim)
{
    size_t n = v->n, at = g->nq;
    g->gl[g->ng++] = l;
    if (n == 0) return 0;
    FORWARD_ERR(MEM_GROW(g->qx, at + n, g->qx_cap));
    FORWARD_ERR(MEM_GROW(g->qid, at + n, g->qid_cap));
    FORWARD_ERR(MEM_GROW(g->pb, (at + n) * (size_t)np, g->pb_cap));
    FORWARD_ERR(ann_probe_lists(index, v->x, (int64_t)n, np, g->pb + at * (size_t)np));
    for (size_t i = 0; i < n; i++) {
        g->qx[at + i] = v->x + i * (size_t)dim;
        g->qid[at + i] = v->ids[i];
    }
    for (size_t i = at * (size_t)np; i < (at + n) * (size_t)np; i++) {
        int64_t m = g->pb[i];
        if (m >= 0 && m < nl && g->cnt[m]++ == 0) g->cl[g->ncl++] = m;
    }
    g->nq += n;
    return 0;
}

/* close the group: candidates ascending, rows inverted by candidate; cnt
 * back to zero */
static int group_invert(struct group *g, int np, int64_t nl)
{
    size_t e = g->nq * (size_t)np;
    FORWARD_ERR(MEM_GROW(g->row, e, g->row_cap));
    qsort(g->cl, g->ncl, sizeof *g->cl, cmp_id);
    size_t off = 0;
    for (size_t t = 0; t < g->ncl; t++) { /* cnt[m] becomes the fill position of list m */
        size_t c = g->cnt[g->cl[t]];
        g->start[t] = off;
        g->cnt[g->cl[t]] = off;
        off += c;
    }
    g->start[g->ncl] = off;
    for (size_t r = 0; r < g->nq; r++) /* rows ascending within each candidate */
        for (int j = 0; j < np; j++) {
            int64_t m = g->pb[r * (size_t)np + j];
            if (m >= 0 && m < nl) g->row[g->cnt[m]++] = r;
        }
    for (size_t t = 0; t < g->ncl; t++) g->cnt[g->cl[t]] = 0;
    return 0;
}

/* score_block: rows [0, nq) of q (their ids self, top-k state ls / lk / le)
 * against the m candidates x / ids, Q rows x C columns at a time */
static void score_block(const float *q, const int64_t *self, size_t nq, const float *x, const int64_t *ids, size_t m,
                        int dim, int k, size_t Q, size_t C, float thr, float *S, float *ls, int64_t *lk, float *le)
{
    for (size_t q0 = 0; q0 < nq; q0 += Q) {
        size_t bq = nq - q0 < Q ? nq - q0 : Q;
        for (size_t c0 = 0; c0 < m; c0 += C) {
            size_t cn = m - c0 < C ? m - c0 : C;
            topk_block(q + q0 * (size_t)dim, self + q0, bq, x + c0 * (size_t)dim, ids + c0, cn, dim, k, thr, S,
                       ls + q0 * (size_t)k, lk + q0 * (size_t)k, le + q0 * (size_t)k);
        }
    }
}

/* The gathered rows of one candidate list: up to Q rows of the group with
 * their top-k state, scored, then put back. */
struct gather {
    float *x, *ls, *le;   /* Q x dim, Q x k, Q x k */
    int64_t *ids, *lk;    /* Q, Q x k */
};

/* score the group's rows row[0 .. nr) (state ls / lk / le) against list cv */
static void score_rows(const struct group *q, const size_t *row, size_t nr, const struct list_vecs *cv, int dim,
                       int k, size_t Q, size_t C, float thr, float *S, struct gather *g, float *ls, int64_t *lk,
                       float *le)
{
    size_t kk = (size_t)k;
    for (size_t r0 = 0; r0 < nr; r0 += Q) {
        size_t bn = nr - r0 < Q ? nr - r0 : Q;
        for (size_t i = 0; i < bn; i++) {
            size_t r = row[r0 + i];
            memcpy(g->x + i * (size_t)dim, q->qx[r], (size_t)dim * sizeof *g->x);
            g->ids[i] = q->qid[r];
            memcpy(g->ls + i * kk, ls + r * kk, kk * sizeof *ls);
            memcpy(g->lk + i * kk, lk + r * kk, kk * sizeof *lk);
            memcpy(g->le + i * kk, le + r * kk, kk * sizeof *le);
        }
        score_block(g->x, g->ids, bn, cv->x, cv->ids, cv->n, dim, k, Q, C, thr, S, g->ls, g->lk, g->le);
        for (size_t i = 0; i < bn; i++) {
            size_t r = row[r0 + i];
            memcpy(ls + r * kk, g->ls + i * kk, kk * sizeof *ls);
            memcpy(lk + r * kk, g->lk + i * kk, kk * sizeof *lk);
            memcpy(le + r * kk, g->le + i * kk, kk * sizeof *le);
        }
    }
}

static int64_t largest_list(const struct ann *index)
{
    int64_t nl = ann_nlist(index), big = 0;
    for (int64_t l = 0; l < nl; l++) {
        int64_t m = ann_list_size(index, l);
        if (m > big) big = m;
    }
    return big;
}

/* what list-wise mining holds besides its cache of lists, for a group of
 * rows rows: the score block, the gathered block, the group's rows, top-k
 * state and probes (the cache holds the group's vectors) */
static double lists_fixed_bytes(const struct mine_options *o, int dim, int k, int np, size_t C, double rows)
{
    double Q = (double)o->query_chunk, kk = (double)k;
    return Q * (double)C * sizeof(float) + Q * ((double)dim * sizeof(float) + 8 + kk * 16) +
           rows * (16 + kk * 16 + (double)np * 16);
}

size_t mine_cache_bytes(const struct ann *index, int dim, const struct mine_options *o, uint64_t budget)
{
    int64_t nl = ann_nlist(index), nt = ann_ntotal(index), big = largest_list(index);
    int k = o->top_k > 0 ? o->top_k : 1, np = ann_nprobe(index);
    size_t C = o->corpus_chunk < (size_t)big ? o->corpus_chunk : (size_t)big;
    double row = (double)dim * sizeof(float) + sizeof(int64_t);
    /* the quantizer and the ids FAISS keeps, the candidate pairs (twice
     * max_pairs at most, 65536 at least), the fixed buffers for a group of
     * half the cache (rows of row bytes each) */
    double used = (double)nl * dim * sizeof(float) + (double)nt * sizeof(int64_t) +
                  (2.0 * (double)o->max_pairs + 65536.0) * sizeof(struct mine_pair) +
                  lists_fixed_bytes(o, dim, k, np < 1 ? 1 : np, C, (double)big);
    if ((double)budget <= used) return MINE_LIST_CACHE_MIN;
    double left = (double)budget - used;
    /* the group's own state grows with its rows: per row of the cache's
     * half, (16 + 16 k + 16 np) bytes more */
    double per = row + 0.5 * (16 + 16.0 * k + 16.0 * (np < 1 ? 1 : np));
    size_t cache = (size_t)(left * row / per);
    return cache > MINE_LIST_CACHE_MIN ? cache : MINE_LIST_CACHE_MIN;
}

int mine_ann_lists(const struct ann *index, int dim, const struct build_source *src,
                   const struct mine_options *o, struct mine_pair **out, size_t *n_out)
{
    *out = NULL;
    *n_out = 0;
    FORWARD_ERR(check_opts(o, 0, dim));
    RETURN_ERR_IF(ann_dim(index) != dim, ERR_INVALID, "index dimension %d differs from vectors' %d",
                  ann_dim(index), dim);
    int64_t nl = ann_nlist(index), nt = ann_ntotal(index);
    RETURN_ERR_IF(nl < 1, ERR_INVALID, "list-wise mining needs an IVF index");
    RETURN_ERR_IF(!src->vector, ERR_INVALID, "list-wise mining reads vectors by id");
    if (o->stats) memset(o->stats, 0, sizeof *o->stats);
    if (nt < 2) return 0;
    int np = ann_nprobe(index);
    np = np < 1 ? 1 : np > nl ? (int)nl : np;
    int k = o->top_k < nt - 1 ? o->top_k : (int)(nt - 1);
    int64_t big = largest_list(index);
    size_t Q = o->query_chunk, C = o->corpus_chunk < (size_t)big ? o->corpus_chunk : (size_t)big, kk = (size_t)k;
    if (C < 1) C = 1;
    struct cand c;
    FORWARD_ERR(cand_init(&c, o->max_pairs, o->threshold));
    struct lists lc = { mem_calloc((size_t)nl, sizeof(struct list_vecs)), nl, 0, o->cache_bytes, 0, dim, 0, 0 };
    struct group gr = { 0 };
    struct gather g = { 0 };
    gr.gl = mem_alloc_array((size_t)nl, sizeof *gr.gl);
    gr.cl = mem_alloc_array((size_t)nl, sizeof *gr.cl);
    gr.start = mem_alloc_array((size_t)nl + 1, sizeof *gr.start);
    gr.cnt = mem_calloc((size_t)nl, sizeof *gr.cnt);
    unsigned char *visited = mem_calloc((size_t)nl, 1);
    int64_t *lk = NULL;
    float *S = mem_alloc_array(Q * C, sizeof *S), *ls = NULL, *le = NULL;
    size_t lk_cap = 0, ls_cap = 0, le_cap = 0;
    uint64_t scores = 0, groups = 0;
    int rc = 0;
    if (!lc.l || !gr.gl || !gr.cl || !gr.start || !gr.cnt || !visited || !S) {
        rc = err_set(ERR_NOMEM, "out of memory for list-wise mining (%lld lists, %zu x %zu scores)", (long long)nl,
                     Q, C);
        goto out;
    }
    if (np > 1) {
        g.x = mem_alloc_array(Q, (size_t)dim * sizeof *g.x);
        g.ids = mem_alloc_array(Q, sizeof *g.ids);
        g.ls = mem_alloc_array(Q, kk * sizeof *g.ls);
        g.le = mem_alloc_array(Q, kk * sizeof *g.le);
        g.lk = mem_alloc_array(Q, kk * sizeof *g.lk);
        if (!g.x || !g.ids || !g.ls || !g.le || !g.lk) {
            rc = err_set(ERR_NOMEM, "out of memory for a block of %zu gathered rows", Q);
            goto out;
        }
    }
    /* a group's lists take at most half the cache (at least one list);
     * the other half keeps candidate lists for the next group */
    const size_t group_bytes = o->cache_bytes / 2;
    const float thr = o->threshold - MINE_RESCORE_MARGIN;
    struct progress pr;
    progress_init(&pr, "mine (lists)", (uint64_t)nl);
    int64_t low = 0, next = -1, done = 0; /* the lowest list perhaps unvisited; the walk's next list */
    while (done < nl) {
        /* 1. the group: lists walked from next (else the lowest unvisited),
         * each followed by the unvisited list most of the group's rows
         * probe (ties: the lower number), while they fit group_bytes */
        gr.ng = gr.nq = gr.ncl = gr.bytes = 0;
        for (;;) {
            int64_t l = next;
            if (l < 0) {
                while (low < nl && visited[low]) low++;
                if (low == nl) break;
                l = low;
            }
            int64_t m = ann_list_size(index, l);
            if (m < 0) { rc = (int)m; goto out; }
            size_t lb = (size_t)m * list_row_bytes(&lc);
            if (gr.ng > 0 && (np == 1 || gr.bytes + lb > group_bytes)) break; /* l opens the next group */
            visited[l] = 1;
            done++;
            next = -1;
            struct list_vecs *v;
            if ((rc = lists_get(&lc, index, src, l, &v)) < 0) goto out;
            v->pinned = 1;
            gr.bytes += lb;
            if (np == 1) { gr.gl[gr.ng++] = l; break; }
            if ((rc = group_add(&gr, index, l, v, np, nl, dim)) < 0) goto out;
            size_t best = 0;
            for (size_t p = 0; p < gr.ncl; p++)
                if (!visited[gr.cl[p]] && (gr.cnt[gr.cl[p]] > best || (gr.cnt[gr.cl[p]] == best && gr.cl[p] < next)))
                    best = gr.cnt[gr.cl[p]], next = gr.cl[p];
        }
        if (gr.ng == 0) break;
        groups++;
        /* 2. score */
        if (np == 1) {
            /* every row probes l alone: each vector was added to its
             * nearest centroid's list, the one a search of it probes */
            struct list_vecs *ql = &lc.l[gr.gl[0]];
            size_t qn = ql->n;
            if ((rc = MEM_GROW(ls, qn * kk, ls_cap)) < 0 || (rc = MEM_GROW(le, qn * kk, le_cap)) < 0 ||
                (rc = MEM_GROW(lk, qn * kk, lk_cap)) < 0)
                goto out;
            topk_reset(ls, lk, le, qn, k);
            score_block(ql->x, ql->ids, qn, ql->x, ql->ids, qn, dim, k, Q, C, thr, S, ls, lk, le);
            scores += (uint64_t)qn * qn;
            for (size_t r = 0; r < qn; r++)
                for (int t = 0; t < k && lk[r * kk + t] >= 0; t++)
                    if (cand_nominee(&c, ls[r * kk + t])) cand_push(&c, le[r * kk + t], ql->ids[r], lk[r * kk + t]);
            lists_drop(&lc, gr.gl[0]); /* nobody else probes it */
        } else {
            /* each candidate list ascending, against the group's rows that
             * probe it: each row sees its own probes, ascending */
            size_t qn = gr.nq;
            if ((rc = MEM_GROW(ls, qn * kk, ls_cap)) < 0 || (rc = MEM_GROW(le, qn * kk, le_cap)) < 0 ||
                (rc = MEM_GROW(lk, qn * kk, lk_cap)) < 0 || (rc = group_invert(&gr, np, nl)) < 0)
                goto out;
            topk_reset(ls, lk, le, qn, k);
            for (size_t p = 0; p < gr.ncl; p++) {
                struct list_vecs *cv;
                size_t nr = gr.start[p + 1] - gr.start[p];
                if ((rc = lists_get(&lc, index, src, gr.cl[p], &cv)) < 0) goto out;
                score_rows(&gr, gr.row + gr.start[p], nr, cv, dim, k, Q, C, thr, S, &g, ls, lk, le);
                scores += (uint64_t)nr * cv->n;
            }
            for (size_t r = 0; r < qn; r++)
                for (int t = 0; t < k && lk[r * kk + t] >= 0; t++)
                    if (cand_nominee(&c, ls[r * kk + t])) cand_push(&c, le[r * kk + t], gr.qid[r], lk[r * kk + t]);
            for (size_t i = 0; i < gr.ng; i++) lc.l[gr.gl[i]].pinned = 0;
        }
        progress_update(&pr, (uint64_t)done, "%llu groups, %llu list loads, %zu candidate pairs",
                        (unsigned long long)groups, (unsigned long long)lc.loads, c.n);
    }
    progress_done(&pr);
    log_info("mine (lists): %lld lists in %llu groups, nprobe %d, %llu list loads (%llu vectors read by id), "
             "%.4g scores, cache %.0f MB", (long long)nl, (unsigned long long)groups, np, (unsigned long long)lc.loads,
             (unsigned long long)lc.reads, (double)scores, (double)lc.cap / 1048576.0);
    if (o->stats) *o->stats = (struct mine_stats){ (uint64_t)nl, groups, lc.loads, lc.reads, scores };
out:
    lists_release(&lc);
    mem_free(gr.gl); mem_free(gr.qx); mem_free(gr.qid); mem_free(gr.pb); mem_free(gr.cl); mem_free(gr.start);
    mem_free(gr.row); mem_free(gr.cnt);
    mem_free(g.x); mem_free(g.ids); mem_free(g.ls); mem_free(g.le); mem_free(g.lk);
    mem_free(visited); mem_free(lk); mem_free(S); mem_free(ls); mem_free(le);
    if (rc < 0) {
        mem_free(c.p);
        return rc;
    }
    return finish(&c, out, n_out);
}

int mine_ann_stream(const struct ann *index, int dim, const struct build_source *src,
                    const struct mine_options *o, struct mine_pair **out, size_t *n_out)
{
    if (ann_nlist(index) > 0 && src->vector) return mine_ann_lists(index, dim, src, o, out, n_out);
    return mine_ann_queries(index, dim, src, o, out, n_out);
}

int mine_ann(const struct ann *index, const float *x, const int64_t *ids, size_t n, int dim,
             const struct mine_options *o, struct mine_pair **out, size_t *n_out)
{
    *out = NULL;
    *n_out = 0;
    if (n < 2) return check_opts(o, n, dim);
    struct build_array a;
    struct build_source src = build_array_source(&a, x, ids, (int64_t)n, dim);
    int rc = mine_ann_stream(index, dim, &src, o, out, n_out);
    build_array_release(&a);
    return rc;
}

/* ---------------- clusters ---------------- */

void mine_clusters_release(struct mine_clusters *c)
{
    mem_free(c->start);
    mem_free(c->member);
    memset(c, 0, sizeof *c);
}

static int cmp_i64(const void *x, const void *y)
{
    int64_t a = *(const int64_t *)x, b = *(const int64_t *)y;
    return (a > b) - (a < b);
}

static size_t uf_find(size_t *parent, size_t i)
{
    while (parent[i] != i) {
        parent[i] = parent[parent[i]];
        i = parent[i];
    }
    return i;
}

static size_t find_id(const int64_t *v, size_t n, int64_t id)
{
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (v[mid] < id) lo = mid + 1;
        else hi = mid;
    }
    return lo;
}

/* a cluster under construction: offset into a member array and its size */
struct span { size_t off, len, order; };

static int cmp_span_size(const void *x, const void *y)
{
    const struct span *p = x, *q = y;
    if (p->len != q->len) return p->len > q->len ? -1 : 1;
    return (p->order > q->order) - (p->order < q->order); /* stable: order found */
}

int mine_components(const struct mine_pair *p, size_t n_pairs, float threshold, size_t min_size,
                    struct mine_clusters *out)
{
    memset(out, 0, sizeof *out);
    if (min_size < 2) min_size = 2;
    int rc = 0;
    size_t nv = 0;
    int64_t *v = mem_alloc_array(2 * n_pairs + 1, sizeof *v);
    size_t *parent = NULL, *cnt = NULL, *pos = NULL;
    struct span *sp = NULL;
    if (!v) return err_set(ERR_NOMEM, "out of memory for %zu pairs", n_pairs);
    for (size_t i = 0; i < n_pairs; i++)
        if (p[i].score >= threshold) v[nv++] = p[i].a, v[nv++] = p[i].b;
    qsort(v, nv, sizeof *v, cmp_i64);
    size_t u = 0;
    for (size_t i = 0; i < nv; i++)
        if (u == 0 || v[i] != v[u - 1]) v[u++] = v[i];
    parent = mem_alloc_array(u + 1, sizeof *parent);
    cnt = mem_calloc(u + 1, sizeof *cnt);
    pos = mem_alloc_array(u + 1, sizeof *pos);
    sp = mem_alloc_array(u + 1, sizeof *sp);
    out->member = mem_alloc_array(u + 1, sizeof *out->member);
    out->start = mem_alloc_array(u + 2, sizeof *out->start);
    if (!parent || !cnt || !pos || !sp || !out->member || !out->start) {
        rc = err_set(ERR_NOMEM, "out of memory for %zu cluster members", u);
        goto out;
    }
    for (size_t i = 0; i < u; i++) parent[i] = i;
    for (size_t i = 0; i < n_pairs; i++) {
        if (!(p[i].score >= threshold)) continue;
        size_t ra = uf_find(parent, find_id(v, u, p[i].a)), rb = uf_find(parent, find_id(v, u, p[i].b));
        if (ra != rb) parent[ra < rb ? rb : ra] = ra < rb ? ra : rb; /* root = smallest id */
    }
    for (size_t i = 0; i < u; i++) cnt[uf_find(parent, i)]++;
    /* one span per root big enough, in order of its smallest id */
    size_t ns = 0, off = 0;
    for (size_t i = 0; i < u; i++) {
        pos[i] = (size_t)-1;
        if (parent[i] == i && cnt[i] >= min_size) {
            sp[ns] = (struct span){ off, 0, ns };
            pos[i] = ns++;
            off += cnt[i];
        }
    }
    for (size_t i = 0; i < u; i++) { /* members ascending: v is sorted */
        size_t s = pos[uf_find(parent, i)];
        if (s == (size_t)-1) continue;
        out->member[sp[s].off + sp[s].len++] = v[i];
    }
    /* reorder the spans by size into v, then hand v out as the members */
    qsort(sp, ns, sizeof *sp, cmp_span_size);
    size_t w = 0;
    for (size_t s = 0; s < ns; s++) {
        out->start[s] = w;
        memcpy(v + w, out->member + sp[s].off, sp[s].len * sizeof *v);
        w += sp[s].len;
    }
    int64_t *t = out->member;
    out->member = v;
    v = t;
    out->start[ns] = w;
    out->n = ns;
out:
    mem_free(v); mem_free(parent); mem_free(cnt); mem_free(pos); mem_free(sp);
    if (rc < 0) mine_clusters_release(out);
    return rc;
}

/* community_detection: one proposal per vector with >= min_size neighbours
 * at score >= threshold (itself included), members by score desc (ties:
 * lower row first) */
struct prop { float s; size_t j; };

static int cmp_prop(const void *x, const void *y)
{
    const struct prop *p = x, *q = y;
    if (p->s != q->s) return p->s > q->s ? -1 : 1;
    return (p->j > q->j) - (p->j < q->j);
}

int mine_communities(const float *x, const int64_t *ids, size_t n, int dim, float threshold,
                     size_t min_size, struct mine_clusters *out)
{
    memset(out, 0, sizeof *out);
    RETURN_ERR_IF(dim < 1, ERR_INVALID, "bad dimension %d", dim);
    if (n == 0) return 0;
    if (min_size < 1) min_size = 1;
    if (min_size > n) min_size = n; /* as sentence-transformers does */
    size_t Q = n < 256 ? n : 256, C = n < 16384 ? n : 16384;
    int rc = 0;
    float *S = mem_alloc_array(Q * C, sizeof *S);
    size_t *cnt = mem_calloc(Q, sizeof *cnt);
    struct prop *row = mem_alloc_array(n, sizeof *row);
    size_t *mem = NULL, mem_n = 0, mem_cap = 0;     /* all proposals' rows */
    struct span *sp = NULL;
    size_t ns = 0, sp_cap = 0;
    unsigned char *taken = NULL;
    if (!S || !cnt || !row) {
        rc = err_set(ERR_NOMEM, "out of memory for community detection over %zu vectors", n);
        goto out;
    }
    for (size_t q0 = 0; q0 < n; q0 += Q) {
        size_t qn = n - q0 < Q ? n - q0 : Q;
        /* pass 1: count neighbours per row */
        memset(cnt, 0, qn * sizeof *cnt);
        for (size_t c0 = 0; c0 < n; c0 += C) {
            size_t cn = n - c0 < C ? n - c0 : C;
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)qn, (int)cn, dim, 1.0f,
                        x + q0 * (size_t)dim, dim, x + c0 * (size_t)dim, dim, 0.0f, S, (int)cn);
            for (size_t r = 0; r < qn; r++)
                for (size_t j = 0; j < cn; j++) cnt[r] += S[r * cn + j] >= threshold;
        }
        /* pass 2: rows that propose a community collect it */
        for (size_t r = 0; r < qn; r++) {
            if (cnt[r] < min_size) continue;
            size_t m = 0;
            for (size_t c0 = 0; c0 < n; c0 += C) {
                size_t cn = n - c0 < C ? n - c0 : C;
                cblas_sgemv(CblasRowMajor, CblasNoTrans, (int)cn, dim, 1.0f, x + c0 * (size_t)dim, dim,
                            x + (q0 + r) * (size_t)dim, 1, 0.0f, S, 1);
                for (size_t j = 0; j < cn && m < n; j++)
                    if (S[j] >= threshold) row[m++] = (struct prop){ S[j], c0 + j };
            }
            qsort(row, m, sizeof *row, cmp_prop);
            if ((rc = MEM_GROW(mem, mem_n + m, mem_cap)) < 0 || (rc = MEM_GROW(sp, ns + 1, sp_cap)) < 0) {
                err_prefix(rc, "communities");
                goto out;
            }
            sp[ns] = (struct span){ mem_n, m, ns };
            ns++;
            for (size_t t = 0; t < m; t++) mem[mem_n++] = row[t].j;
        }
    }
    /* largest proposal first (stable), drop members already taken */
    if (ns) qsort(sp, ns, sizeof *sp, cmp_span_size);
    taken = mem_calloc(n, 1);
    out->start = mem_alloc_array(ns + 1, sizeof *out->start);
    out->member = mem_alloc_array(mem_n + 1, sizeof *out->member);
    if (!taken || !out->start || !out->member) {
        rc = err_set(ERR_NOMEM, "out of memory for communities");
        goto out;
    }
    struct span *kept = sp; /* reuse: kept spans index into out->member */
    size_t nk = 0, w = 0;
    for (size_t s = 0; s < ns; s++) {
        size_t w0 = w;
        for (size_t t = 0; t < sp[s].len; t++) {
            size_t j = mem[sp[s].off + t];
            if (!taken[j]) out->member[w++] = (int64_t)j;
        }
        if (w - w0 >= min_size) {
            for (size_t t = w0; t < w; t++) taken[out->member[t]] = 1;
            kept[nk++] = (struct span){ w0, w - w0, nk };
        } else {
            w = w0;
        }
    }
    /* sort the kept communities by size again (stable) and map to ids */
    qsort(kept, nk, sizeof *kept, cmp_span_size);
    int64_t *final = mem_alloc_array(w + 1, sizeof *final);
    if (!final) { rc = err_set(ERR_NOMEM, "out of memory for communities"); goto out; }
    size_t f = 0;
    for (size_t s = 0; s < nk; s++) {
        out->start[s] = f;
        for (size_t t = 0; t < kept[s].len; t++) final[f++] = id_of(ids, (size_t)out->member[kept[s].off + t]);
    }
    out->start[nk] = f;
    mem_free(out->member);
    out->member = final;
    out->n = nk;
out:
    mem_free(S); mem_free(cnt); mem_free(row); mem_free(mem); mem_free(sp); mem_free(taken);
    if (rc < 0) mine_clusters_release(out);
    return rc;
}

/* ---------------- the auto choice: measured throughput ---------------- */

#define AUTO_ROWS 2048   /* corpus rows read for the measurement */
#define AUTO_QUERIES 256 /* query rows of the measured sgemm and search */
#define AUTO_RESCORE 32  /* queries whose candidates are re-scored (compressed codes) */

int mine_auto_choose(const struct ann *index, const struct build_source *src, size_t n, int dim,
                     const struct mine_options *o, struct mine_auto *out)
{
    memset(out, 0, sizeof *out);
    FORWARD_ERR(check_opts(o, 0, dim));
    RETURN_ERR_IF(!src->rewind, ERR_INVALID, "the auto choice needs a source that can rewind");
    RETURN_ERR_IF(index && ann_dim(index) != dim, ERR_INVALID, "index dimension %d differs from vectors' %d",
                  ann_dim(index), dim);
    int k = index ? ann_fetch(index, o->top_k) : o->top_k + 1;
    float *x = mem_alloc_array(AUTO_ROWS, (size_t)dim * sizeof *x);
    int64_t *ids = mem_alloc_array(AUTO_ROWS, sizeof *ids);
    float *S = mem_alloc_array((size_t)AUTO_QUERIES * AUTO_ROWS, sizeof *S);
    float *sc = mem_alloc_array((size_t)AUTO_QUERIES * (size_t)k, sizeof *sc), *other = mem_alloc_array((size_t)dim, sizeof *other);
    int64_t *lab = mem_alloc_array((size_t)AUTO_QUERIES * (size_t)k, sizeof *lab);
    int rc = x && ids && S && sc && other && lab ? 0 : err_set(ERR_NOMEM, "out of memory for the mining measurement");
    long m = 0;
    double t0 = now_sec();
    if (rc == 0) rc = src->rewind(src->ctx);
    if (rc == 0 && (m = read_rows(src, ids, x, AUTO_ROWS, dim)) < 0) rc = (int)m;
    double t_read = now_sec() - t0;
    if (rc < 0 || m < 2) goto out;
    out->read_rows_per_s = (double)m / (t_read > 1e-9 ? t_read : 1e-9);
    int q = m < AUTO_QUERIES ? (int)m : AUTO_QUERIES;
    /* exact: the sgemm of a query block against the corpus rows and the
     * scan of its scores, as mine_exact_stream does them (measured after a
     * warm-up run of the same product) */
    double t_ex = 0;
    volatile size_t hits = 0;
    for (int rep = 0; rep < 2; rep++) {
        t0 = now_sec();
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, q, (int)m, dim, 1.0f, x, dim, x, dim, 0.0f, S, (int)m);
        size_t h = 0;
        for (size_t i = 0; i < (size_t)q * (size_t)m; i++) h += S[i] >= o->threshold;
        hits += h;
        t_ex = now_sec() - t0;
    }
    out->exact_pairs_per_s = (double)q * (double)m / (t_ex > 1e-9 ? t_ex : 1e-9);
    /* exact mining: n^2 scores, and a pass over the stored vectors per
     * query block */
    double passes = ceil((double)n / (double)o->query_chunk);
    out->exact_seconds = (double)n * (double)n / out->exact_pairs_per_s + passes * (double)n / out->read_rows_per_s;
    if (index && ann_nlist(index) > 0 && src->vector) {
        /* list-wise: each vector against the lists it probes, at the
         * measured sgemm + scan rate (exactly sum |l|^2 with nprobe 1;
         * nprobe times that otherwise, the probed lists taken as l's size,
         * plus n x nlist scores for the probes), scaled from the index's
         * ntotal to n,
         * plus every vector read once by id (measured on ids of lists
         * spread over the index, not the first rows, whose pages are warm) */
        int64_t nl = ann_nlist(index), nt = ann_ntotal(index);
        double sq = 0;
        for (int64_t l = 0; l < nl && rc == 0; l++) {
            int64_t sz = ann_list_size(index, l);
            if (sz < 0) rc = (int)sz;
            else sq += (double)sz * (double)sz;
        }
        if (rc < 0) goto out;
        int np = ann_nprobe(index);
        double scale = nt > 0 ? (double)n / (double)nt : 1.0;
        double pairs = sq * (np > 1 ? np : 1) * scale * scale;
        if (np > 1) pairs += (double)n * (double)nl; /* each vector's probe: a search of the centroids */
        size_t nr = 0;
        double t_id = 0;
        for (int t = 0; t < 8 && rc == 0; t++) {
            int64_t l = (int64_t)t * nl / 8, sz = ann_list_size(index, l);
            if (sz <= 0) continue;
            int64_t *lid = mem_alloc_array((size_t)sz, sizeof *lid);
            if (!lid) { rc = err_nomem(); break; }
            if ((rc = ann_list_ids(index, l, lid)) == 0) {
                t0 = now_sec();
                for (int64_t i = 0; i < sz && i < AUTO_RESCORE && rc == 0; i++, nr++) {
                    rc = src->vector(src->ctx, lid[i], other);
                    if (rc == ERR_NOTFOUND) rc = 0;
                }
                t_id += now_sec() - t0;
            }
            mem_free(lid);
        }
        if (rc < 0) goto out;
        double per_read = nr ? t_id / (double)nr : 1.0 / out->read_rows_per_s;
        out->ann_seconds = pairs / out->exact_pairs_per_s + (double)n * per_read;
        out->ann_queries_per_s = (double)n / (out->ann_seconds > 1e-9 ? out->ann_seconds : 1e-9);
        out->use_ann = out->exact_seconds > MINE_AUTO_EXACT_FACTOR * out->ann_seconds &&
                       out->exact_seconds > MINE_AUTO_EXACT_FLOOR;
    } else if (index) {
        int kk = (int64_t)k <= ann_ntotal(index) ? k : (int)ann_ntotal(index);
        double t_s = 0;
        for (int rep = 0; rep < 2 && rc == 0 && kk > 0; rep++) {
            t0 = now_sec();
            rc = ann_search(index, x, q, kk, sc, lab);
            t_s = now_sec() - t0;
        }
        if (rc < 0) goto out;
        double per_query = t_s / q;
        /* compressed codes: every candidate is scored exactly, its vector
         * read by id */
        if (ann_compressed(index) && kk > 0) {
            int rq = q < AUTO_RESCORE ? q : AUTO_RESCORE;
            volatile float sink = 0; /* keeps the scoring from being optimized away */
            t0 = now_sec();
            for (int i = 0; i < rq && rc == 0; i++)
                for (int j = 0; j < kk && rc == 0; j++) {
                    int64_t id = lab[(size_t)i * kk + j];
                    if (id < 0) continue;
                    rc = src->vector(src->ctx, id, other);
                    if (rc == ERR_NOTFOUND) rc = 0;
                    else if (rc == 0) sink += mine_score(x + (size_t)i * dim, other, dim);
                }
            if (rc < 0) goto out;
            per_query += (now_sec() - t0) / rq;
        }
        out->ann_queries_per_s = 1.0 / (per_query > 1e-12 ? per_query : 1e-12);
        out->ann_seconds = (double)n * per_query + (double)n / out->read_rows_per_s;
        out->use_ann = out->exact_seconds > MINE_AUTO_EXACT_FACTOR * out->ann_seconds &&
                       out->exact_seconds > MINE_AUTO_EXACT_FLOOR;
    }
out:
    mem_free(x); mem_free(ids); mem_free(S); mem_free(sc); mem_free(other); mem_free(lab);
    if (rc == 0) rc = src->rewind(src->ctx);
    return rc;
}
