/*
 * build.c - index planner, builder, tuner and manifest (see build.h).
 *
 * The planner follows autofaiss's reasoning (index_utils / create_index):
 * exact search while it is cheap, a graph index while it fits in memory,
 * then inverted lists, then compressed codes. Memory estimates:
 *   Flat           n (4 dim + 8)                      (vectors + IDMap ids)
 *   HNSW{M}        n (4 dim + 8 + 8 M + 16)           (level-0 links: 2M int32)
 *   IVF{k},Flat    n (4 dim + 8) + 4 k dim
 *   IVF{k},PQ{m}   n (m + 8) + 4 k dim + 4 * 256 dim  (codes, ids, centroids, codebooks)
 *   OPQ adds       4 dim^2
 * and, to build any IVF index, 4 n bytes (the list of every vector, kept
 * between the assignment pass and the add pass: build.h "Adding").
 * PQ is written "PQ{m}np": FAISS's factory otherwise turns on polysemous
 * training (a simulated annealing of the code order, used only for Hamming
 * pre-filtering, which semindex does not do); it costs about 40 s of CPU for
 * 8 sub-quantizers even on 3000 vectors (measured with FAISS 1.7.3).
 */
#include "index/build.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/buf.h"
#include "common/err.h"
#include "common/fsutil.h"
#include "common/hash.h"
#include "common/json.h"
#include "common/log.h"
#include "common/mem.h"
#include "index/ann/ann.h"
#include "index/topk.h"

#define FLAT_MAX_N 20000
#define HNSW_MAX_N 2000000
#define MIN_PER_CENTROID 39   /* FAISS warns below 39 training points per centroid */
#define MAX_PER_CENTROID 64    /* FAISS takes up to 256; 39..64 bounds k-means (train_size) */
#define TRAIN_FRACTION 10     /* above the minimum, at most n / 10 training points */
#define PQ_MIN_TRAIN 9984     /* 39 * 256: FAISS's minimum for 8-bit PQ codebooks */
#define K_RECALL 10
#define BUILD_BATCH 4096     /* rows added per batch: the only vectors held besides the sample */

/* ---------------- planner ---------------- */

static int64_t pow2_round(double v)
{
    if (v < 1) return 1;
    double l = log2(v);
    return (int64_t)1 << (int)floor(l + 0.5);
}

static int64_t choose_nlist(int64_t n)
{
    int64_t k = pow2_round(4.0 * sqrt((double)n));
    while (k > 1 && k * MIN_PER_CENTROID > n) k /= 2;
    return k;
}

/* train_size: the training sample for k lists: 39..64 per centroid, and
 * above the minimum at most n / 10. FAISS's k-means for an IVF quantizer
 * runs 10 iterations (plus one assignment for the residuals of SQ / PQ):
 * ~22 t k dim flops on t points, where adding n vectors assigns them once,
 * 2 n k dim. So training costs at most 2.2x the add's assignment once
 * n / 10 >= 39 k (n >= 2.4M with k = 4 sqrt(n)), and 429 k / n of it below
 * (1.8x at n = 1M, k = 4096), where FAISS's floor of 39 per centroid binds. */
static int64_t train_size(int64_t n, int64_t k, int pq)
{
    int64_t t = n / TRAIN_FRACTION;
    if (t > k * MAX_PER_CENTROID) t = k * MAX_PER_CENTROID;
    if (t < k * MIN_PER_CENTROID) t = k * MIN_PER_CENTROID;
    if (pq && t < PQ_MIN_TRAIN) t = PQ_MIN_TRAIN;
    return t < n ? t : n;
}

/* the training sample for k lists under room bytes, where the build holds
 * `copies` float copies of it (FAISS's residual / OPQ training copies the
 * sample): 39..64 per centroid (train_size) as room allows; 0 when not even the
 * minimum fits */
static int64_t fit_train(int64_t n, int64_t k, int pq, int dim, double room, int copies)
{
    int64_t t = train_size(n, k, pq), lo = k * MIN_PER_CENTROID;
    if (pq && lo < PQ_MIN_TRAIN) lo = PQ_MIN_TRAIN;
    if (lo > t) lo = t;
    double per = 4.0 * dim * copies;
    if (isinf(room)) return t;
    if (room < (double)lo * per) return 0;
    double cap = room / per;
    return (double)t < cap ? t : (int64_t)cap;
}

int64_t build_batch_rows(int64_t n, int dim, uint64_t budget)
{
    int64_t b = BUILD_BATCH;
    if (budget && dim > 0) { /* at most 1/16 of the budget, at least 256 rows */
        int64_t cap = (int64_t)(budget / 16 / (4ull * (uint64_t)dim));
        b = cap < 256 ? 256 : cap < b ? cap : b;
    }
    return n < b ? n : b;
}

int build_plan_for(int64_t n, int dim, uint64_t budget, struct build_plan *p)
{
    memset(p, 0, sizeof *p);
    RETURN_ERR_IF(n < 1, ERR_INVALID, "cannot plan an index for %lld vectors", (long long)n);
    RETURN_ERR_IF(dim < 1, ERR_INVALID, "bad dimension %d", dim);
    double B = budget ? (double)budget : INFINITY, N = (double)n, D = dim;
    double batch = 4.0 * D * (double)build_batch_rows(n, dim, budget);
    double flat = N * (4 * D + 8);
    p->batch = build_batch_rows(n, dim, budget);
    if (n <= FLAT_MAX_N && flat + batch <= B) {
        snprintf(p->factory, sizeof p->factory, "IDMap,Flat");
        p->kind = BUILD_FLAT;
        p->est_bytes = (uint64_t)flat;
        p->work_bytes = (uint64_t)batch;
        return 0;
    }
    if (n <= HNSW_MAX_N) {
        for (int m = 32; m >= 16; m /= 2) {
            double est = N * (4 * D + 8 + 8.0 * m + 16);
            if (est + batch <= B) {
                snprintf(p->factory, sizeof p->factory, "IDMap,HNSW%d", m);
                p->kind = BUILD_HNSW;
                p->hnsw_m = m;
                p->est_bytes = (uint64_t)est;
                p->work_bytes = (uint64_t)batch;
                return 0;
            }
        }
    }
    int64_t k0 = choose_nlist(n), k = k0, nt = 0;
    double cent, assign = 4.0 * N; /* IVF: the list of every vector, kept between the two add passes */
    /* IVF: the index + one batch + the training sample must fit; when the
     * sample for k lists does not, fewer lists (down to k / 16) need less */
    for (k = k0; k >= 1 && k * 16 >= k0; k /= 2) {
        cent = 4.0 * k * D;
        if ((nt = fit_train(n, k, 0, dim, B - flat - cent - batch - assign, 1)) > 0) break;
    }
    if (nt > 0) {
        snprintf(p->factory, sizeof p->factory, "IVF%lld,Flat", (long long)k);
        p->kind = BUILD_IVF_FLAT;
        p->nlist = k;
        p->n_train = nt;
        p->est_bytes = (uint64_t)(flat + cent);
        p->work_bytes = (uint64_t)(batch + assign + 4.0 * D * nt);
        return 0;
    }
    double sq = 0;
    for (k = k0; k >= 1 && k * 16 >= k0; k /= 2) {
        cent = 4.0 * k * D;
        sq = N * (D + 8) + cent + 8 * D;   /* 8-bit codes, ids, centroids, ranges */
        if ((nt = fit_train(n, k, 0, dim, B - sq - batch - assign, 2)) > 0) break;
    }
    if (nt > 0) {
        snprintf(p->factory, sizeof p->factory, "IVF%lld,SQ8", (long long)k);
        p->kind = BUILD_IVF_SQ8;
        p->nlist = k;
        p->n_train = nt;
        p->est_bytes = (uint64_t)sq;
        p->work_bytes = (uint64_t)(batch + assign + 8.0 * D * nt);
        return 0;
    }
    k = k0;
    p->nlist = k;
    cent = 4.0 * k * D;
    /* PQ code sizes from large to small (m must divide dim, m >= 8); the
     * smallest is the fallback when nothing fits */
    int best_m = 0;
    double best_est = 0;
    int64_t best_nt = 0;
    for (int div = 4; div <= dim; div *= 2) {
        if (dim % div || dim / div < 8) continue;
        int m = dim / div, opq = div > 8;
        double est = N * (m + 8) + cent + 4.0 * 256 * D + (opq ? 4.0 * D * D : 0);
        best_m = m;
        best_est = est;
        best_nt = fit_train(n, k, 1, dim, B - est - batch - assign, opq ? 3 : 2);
        if (best_nt > 0) break;
    }
    if (best_m) {
        int opq = dim / best_m > 8;
        if (opq) snprintf(p->factory, sizeof p->factory, "OPQ%d_%d,IVF%lld,PQ%dnp", best_m, dim, (long long)k, best_m);
        else snprintf(p->factory, sizeof p->factory, "IVF%lld,PQ%dnp", (long long)k, best_m);
        p->kind = opq ? BUILD_OPQ_IVF_PQ : BUILD_IVF_PQ;
        p->pq_m = best_m;
        p->over_budget = best_nt == 0;
        if (!best_nt) { /* the minimum sample, over the budget */
            best_nt = k * MIN_PER_CENTROID < PQ_MIN_TRAIN ? PQ_MIN_TRAIN : k * MIN_PER_CENTROID;
            if (best_nt > n) best_nt = n;
        }
        p->n_train = best_nt;
        p->est_bytes = (uint64_t)best_est;
        p->work_bytes = (uint64_t)(batch + assign + 4.0 * D * best_nt * (opq ? 3 : 2));
        return 0;
    }
    /* a dimension with no usable divisor: IVF,Flat regardless */
    snprintf(p->factory, sizeof p->factory, "IVF%lld,Flat", (long long)k);
    p->kind = BUILD_IVF_FLAT;
    p->n_train = train_size(n, k, 0);
    p->est_bytes = (uint64_t)(flat + cent);
    p->work_bytes = (uint64_t)(batch + assign + 4.0 * D * p->n_train);
    p->over_budget = 1;
    return 0;
}

/* FAISS's IVF indexes take ids; every other index (Flat, HNSW32, PQ16, a
 * PCA64,Flat chain) refuses add_with_ids, so it goes inside an IDMap as the
 * planner's own Flat and HNSW do. An IDMap the caller wrote stays as it is. */
int build_factory_with_ids(const char *factory, char *out, size_t cap)
{
    int wrap = strncmp(factory, "IDMap", 5) != 0 && !strstr(factory, "IVF");
    int k = snprintf(out, cap, "%s%s", wrap ? "IDMap," : "", factory);
    RETURN_ERR_IF(k < 0 || (size_t)k >= cap, ERR_INVALID, "factory string '%s' too long", factory);
    return 0;
}

int build_plan_factory(const char *factory, int64_t n, int dim, struct build_plan *p)
{
    memset(p, 0, sizeof *p);
    FORWARD_ERR(build_factory_with_ids(factory, p->factory, sizeof p->factory));
    factory = p->factory;
    const char *ivf = strstr(factory, "IVF"), *hnsw = strstr(factory, "HNSW"), *pq = strstr(factory, "PQ");
    if (ivf) {
        p->nlist = strtoll(ivf + 3, NULL, 10);
        p->kind = pq ? (strstr(factory, "OPQ") ? BUILD_OPQ_IVF_PQ : BUILD_IVF_PQ)
                     : strstr(factory, "SQ") ? BUILD_IVF_SQ8 : BUILD_IVF_FLAT;
        if (p->nlist < 1) p->nlist = 1;
        p->n_train = train_size(n, p->nlist, pq != NULL);
    } else if (hnsw) {
        p->kind = BUILD_HNSW;
        p->hnsw_m = atoi(hnsw + 4);
    } else {
        p->kind = BUILD_FLAT;
        if (pq) p->n_train = n < PQ_MIN_TRAIN ? n : PQ_MIN_TRAIN;
    }
    p->batch = build_batch_rows(n, dim, 0);
    p->work_bytes = (uint64_t)(4.0 * dim * ((double)p->batch + (double)p->n_train * (p->kind >= BUILD_IVF_PQ ? 2 : 1)) +
                               (p->nlist > 0 ? 4.0 * (double)n : 0));
    return 0;
}

/* ---------------- sources ---------------- */

static int cmp_idrow(const void *x, const void *y)
{
    const struct build_idrow *a = x, *b = y;
    return (a->id > b->id) - (a->id < b->id);
}

static int arr_rewind(void *ctx)
{
    ((struct build_array *)ctx)->at = 0;
    return 0;
}

static long arr_next(void *ctx, int64_t *ids, float *x, size_t cap)
{
    struct build_array *a = ctx;
    int64_t m = a->n - a->at < (int64_t)cap ? a->n - a->at : (int64_t)cap;
    memcpy(x, a->x + a->at * a->dim, (size_t)m * (size_t)a->dim * sizeof *x);
    for (int64_t i = 0; i < m; i++) ids[i] = a->ids ? a->ids[a->at + i] : a->at + i;
    a->at += m;
    return (long)m;
}

static int arr_vector(void *ctx, int64_t id, float *x)
{
    struct build_array *a = ctx;
    int64_t row = id;
    if (a->ids) {
        if (!a->by_id) {
            a->by_id = mem_alloc_array((size_t)(a->n ? a->n : 1), sizeof *a->by_id);
            RETURN_ERR_IF(!a->by_id, ERR_NOMEM, "out of memory for %lld ids", (long long)a->n);
            for (int64_t i = 0; i < a->n; i++) a->by_id[i] = (struct build_idrow){ a->ids[i], i };
            qsort(a->by_id, (size_t)a->n, sizeof *a->by_id, cmp_idrow);
        }
        struct build_idrow key = { id, 0 }, *f = bsearch(&key, a->by_id, (size_t)a->n, sizeof key, cmp_idrow);
        row = f ? f->row : -1;
    }
    RETURN_ERR_IF(row < 0 || row >= a->n, ERR_NOTFOUND, "no vector with id %lld", (long long)id);
    memcpy(x, a->x + row * a->dim, (size_t)a->dim * sizeof *x);
    return 0;
}

struct build_source build_array_source(struct build_array *a, const float *x, const int64_t *ids, int64_t n,
                                       int dim)
{
    *a = (struct build_array){ x, ids, n, 0, dim, NULL };
    return (struct build_source){ n, arr_rewind, arr_next, arr_vector, a };
}

void build_array_release(struct build_array *a)
{
    mem_free(a->by_id);
    a->by_id = NULL;
}

/* evenly spaced rows: row floor(i n / m) for i in [0, m) */
struct sampler { int64_t n, m, i, next_row; };

static void sampler_init(struct sampler *s, int64_t n, int64_t m)
{
    *s = (struct sampler){ n, m < n ? m : n, 0, 0 };
    if (s->m <= 0) s->next_row = -1;
}

static int sampler_take(struct sampler *s, int64_t row)
{
    if (s->i >= s->m || row != s->next_row) return 0;
    s->i++;
    s->next_row = s->i < s->m ? (int64_t)((double)s->i * (double)s->n / (double)s->m) : -1;
    return 1;
}

/* a pass over the source: rewind, then batches of up to cap rows */
struct pass {
    const struct build_source *src;
    int dim;
    size_t cap;
    int64_t *ids;
    float *x;
    int64_t rows;      /* rows read before the current batch */
};

static int pass_open(struct pass *p, const struct build_source *src, int dim, size_t cap)
{
    *p = (struct pass){ src, dim, cap, NULL, NULL, 0 };
    p->ids = mem_alloc_array(cap, sizeof *p->ids);
    p->x = mem_alloc_array(cap, (size_t)dim * sizeof *p->x);
    if (!p->ids || !p->x) {
        mem_free(p->ids);
        mem_free(p->x);
        return err_set(ERR_NOMEM, "out of memory for a batch of %zu vectors of dim %d", cap, dim);
    }
    return src->rewind(src->ctx);
}

/* the next batch: its row count, 0 at the end, < 0 on error; a source
 * that yields more or fewer rows than it announced is ERR_MISMATCH */
static long pass_next(struct pass *p, int64_t prev)
{
    p->rows += prev;
    long m = p->src->next(p->src->ctx, p->ids, p->x, p->cap);
    if (m < 0) return m;
    if (p->rows + m > p->src->n || (m == 0 && p->rows != p->src->n))
        return err_set(ERR_MISMATCH, "the vectors changed while the index was built: %lld read, %lld expected",
                       (long long)(p->rows + m), (long long)p->src->n);
    return m;
}

static void pass_close(struct pass *p)
{
    mem_free(p->ids);
    mem_free(p->x);
}

/* read_sample: the m evenly spaced rows of the source into out (m x dim) */
static int read_sample(const struct build_source *src, int dim, size_t batch, int64_t m, float *out)
{
    struct pass ps;
    struct sampler sm;
    sampler_init(&sm, src->n, m);
    FORWARD_ERR(pass_open(&ps, src, dim, batch));
    long b = 0;
    int64_t got = 0;
    while ((b = pass_next(&ps, b)) > 0)
        for (long i = 0; i < b; i++)
            if (sampler_take(&sm, ps.rows + i))
                memcpy(out + got++ * dim, ps.x + (size_t)i * dim, (size_t)dim * sizeof *out);
    pass_close(&ps);
    return b < 0 ? (int)b : 0;
}

/* ---------------- exact ground truth and recall ---------------- */

/* truth: the exact top 10 of nq queries (scores ts, ids tl: nq x 10), by
 * a blocked sgemm over one pass of the source (index/topk.h) */
static int exact_top10(const struct build_source *src, int dim, size_t batch, const float *q, int nq, float *ts,
                       int64_t *tl)
{
    topk_reset(ts, tl, NULL, (size_t)nq, K_RECALL);
    size_t C = batch;
    float *S = mem_alloc_array((size_t)nq * C, sizeof *S);
    RETURN_ERR_IF(!S, ERR_NOMEM, "out of memory for recall measurement");
    struct pass ps;
    int rc = pass_open(&ps, src, dim, C);
    if (rc < 0) { mem_free(S); return rc; }
    long b = 0;
    while ((b = pass_next(&ps, b)) > 0)
        topk_block(q, NULL, (size_t)nq, ps.x, ps.ids, (size_t)b, dim, K_RECALL, -INFINITY, S, ts, tl, NULL);
    pass_close(&ps);
    mem_free(S);
    return b < 0 ? (int)b : 0;
}

/* recall of the index against the truth; a returned id is a hit when its
 * true score (its vector from the source) reaches the exact k-th score:
 * ties (duplicate texts) count whichever of them is returned, and
 * compressed indexes (SQ, PQ) are judged by true, not coded, scores */
static int recall_from(const struct ann *index, const struct build_source *src, int dim, const float *q, int nq,
                       const float *ts, const int64_t *tl, double *recall)
{
    *recall = 0;
    float *as = mem_alloc_array((size_t)nq * K_RECALL, sizeof *as), *v = mem_alloc_array((size_t)dim, sizeof *v);
    int64_t *al = mem_alloc_array((size_t)nq * K_RECALL, sizeof *al);
    int rc = 0;
    if (!as || !al || !v) { rc = err_set(ERR_NOMEM, "out of memory for recall measurement"); goto out; }
    if ((rc = ann_search(index, q, nq, K_RECALL, as, al)) < 0) goto out;
    int64_t hit = 0, total = 0;
    for (int r = 0; r < nq; r++) {
        int have = 0;
        for (int a = 0; a < K_RECALL; a++) have += tl[r * K_RECALL + a] >= 0;
        if (!have) continue;
        float kth = ts[r * K_RECALL + have - 1];
        total += have;
        int got = 0;
        for (int b = 0; b < K_RECALL && got < have; b++) {
            int64_t id = al[r * K_RECALL + b];
            if (id < 0) continue;
            int member = 0; /* in the exact top 10: a hit without reading its vector */
            for (int e = 0; e < have && !member; e++) member = tl[r * K_RECALL + e] == id;
            if (member) { got++; continue; }
            rc = src->vector(src->ctx, id, v);
            if (rc == ERR_NOTFOUND) { rc = 0; continue; }
            if (rc < 0) goto out;
            const float *qq = q + (int64_t)r * dim;
            float s = 0;
            for (int j = 0; j < dim; j++) s += v[j] * qq[j];
            if (s >= kth - 1e-5f) got++;
        }
        hit += got;
    }
    *recall = total ? (double)hit / (double)total : 1.0;
out:
    mem_free(as); mem_free(al); mem_free(v);
    return rc;
}

int build_recall_at_10(const struct ann *index, const float *x, const int64_t *ids, int64_t n, int dim,
                       const float *q, int nq, double *recall)
{
    *recall = 0;
    if (nq < 1 || n < 1) return 0;
    struct build_array a;
    struct build_source src = build_array_source(&a, x, ids, n, dim);
    float *ts = mem_alloc_array((size_t)nq * K_RECALL, sizeof *ts);
    int64_t *tl = mem_alloc_array((size_t)nq * K_RECALL, sizeof *tl);
    int rc = !ts || !tl ? err_set(ERR_NOMEM, "out of memory for recall measurement") : 0;
    if (rc == 0) rc = exact_top10(&src, dim, (size_t)build_batch_rows(n, dim, 0), q, nq, ts, tl);
    if (rc == 0) rc = recall_from(index, &src, dim, q, nq, ts, tl, recall);
    mem_free(ts);
    mem_free(tl);
    build_array_release(&a);
    return rc;
}

/* tune: the smallest nprobe / efSearch (doubling) reaching the target, on
 * the tuning queries q (nq rows) whose exact top 10 is computed once */
static int tune(struct ann *a, const struct build_plan *p, const struct build_source *src, int dim, const float *q,
                int nq, const struct build_options *o, struct build_result *r)
{
    r->nprobe = 0;
    r->ef_search = 0;
    r->recall = 0;
    if (nq < 1) return 0;
    float *ts = mem_alloc_array((size_t)nq * K_RECALL, sizeof *ts);
    int64_t *tl = mem_alloc_array((size_t)nq * K_RECALL, sizeof *tl);
    int rc = !ts || !tl ? err_set(ERR_NOMEM, "out of memory for %d tuning queries", nq) : 0;
    if (rc == 0) rc = exact_top10(src, dim, (size_t)p->batch, q, nq, ts, tl);
    if (rc < 0) goto out;
    if (p->kind == BUILD_HNSW) {
        for (int ef = 16;; ef *= 2) {
            if ((rc = ann_set_param(a, "efSearch", ef)) < 0) break;
            if ((rc = recall_from(a, src, dim, q, nq, ts, tl, &r->recall)) < 0) break;
            r->ef_search = ef;
            log_debug("tune: efSearch %d recall@10 %.4f", ef, r->recall);
            if (r->recall >= o->recall_target || ef >= 4096) break;
        }
    } else if (p->nlist > 0) {
        for (int64_t np = 1;; np *= 2) {
            if (np > p->nlist) np = p->nlist;
            if ((rc = ann_set_param(a, "nprobe", (double)np)) < 0) break;
            if ((rc = recall_from(a, src, dim, q, nq, ts, tl, &r->recall)) < 0) break;
            r->nprobe = (int)np;
            log_debug("tune: nprobe %lld recall@10 %.4f", (long long)np, r->recall);
            if (r->recall >= o->recall_target || np >= p->nlist) break;
        }
    } else {
        rc = recall_from(a, src, dim, q, nq, ts, tl, &r->recall);
    }
    if (rc == 0 && r->recall < o->recall_target)
        log_warn("index '%s' reaches recall@10 %.3f only, below the target %.3f", p->factory, r->recall,
                 o->recall_target);
out:
    mem_free(ts);
    mem_free(tl);
    return rc;
}

/* ---------------- manifest ---------------- */

static int manifest_path(struct buf *b, const char *path)
{
    buf_reset(b);
    return buf_printf(b, "%s.manifest.json", path);
}

static int file_checksum(const char *path, char hex[33])
{
    FILE *f = fopen(path, "rb");
    if (!f) return err_set(errno == ENOENT ? ERR_NOTFOUND : ERR_IO, "cannot open '%s': %s", path, strerror(errno));
    struct hash_stream *h = hash_stream_create();
    char *blk = mem_alloc(1 << 20);
    int rc = 0;
    if (!h || !blk) rc = err_set(ERR_NOMEM, "out of memory hashing '%s'", path);
    size_t k;
    while (rc == 0 && (k = fread(blk, 1, 1 << 20, f)) > 0) hash_stream_update(h, blk, k);
    if (rc == 0 && ferror(f)) rc = err_set(ERR_IO, "cannot read '%s': %s", path, strerror(errno));
    if (rc == 0) hash_hex128(hash_stream_digest(h), hex);
    if (h) hash_stream_free(h);
    mem_free(blk);
    fclose(f);
    return rc;
}

struct manifest {
    char factory[128];
    int64_t dim, ntotal, trained_ntotal, max_id, n_train, nprobe, ef_search;
    char fingerprint[80];
    uint64_t generation;
    char checksum[40];
    char ids_hash[40];      /* xxh128 of the indexed ids, in order */
    double recall, recall_target;
    char file[256];         /* the index data file (basename, "<name>.<16 hex>"); "" = <path> itself */
    char asked[128];        /* --index as asked ("auto" or the factory as built); "" in older manifests */
    int64_t memory_budget;  /* --memory-budget it was planned for (0 = unlimited; -1 unknown: older) */
};

static int manifest_write(const char *path, const struct manifest *m)
{
    struct buf mp = BUF_INIT;
    int rc = manifest_path(&mp, path);
    json_t *j = json_pack("{s:i, s:s, s:I, s:s, s:I, s:I, s:I, s:s, s:s, s:I, s:s, s:f, s:f, s:I, s:I, s:I}",
                          "format", 1, "factory", m->factory, "dim", (json_int_t)m->dim,
                          "metric", "inner_product", "ntotal", (json_int_t)m->ntotal,
                          "trained_ntotal", (json_int_t)m->trained_ntotal, "max_id", (json_int_t)m->max_id,
                          "ids_hash", m->ids_hash, "model_fingerprint", m->fingerprint,
                          "store_generation", (json_int_t)m->generation, "checksum", m->checksum,
                          "recall_at_10", m->recall, "recall_target", m->recall_target,
                          "nprobe", (json_int_t)m->nprobe, "efSearch", (json_int_t)m->ef_search,
                          "n_train", (json_int_t)m->n_train);
    if (j && (json_object_set_new(j, "index", json_string(m->asked)) < 0 ||
              json_object_set_new(j, "memory_budget", json_integer((json_int_t)m->memory_budget)) < 0)) {
        json_decref(j);
        j = NULL;
    }
    if (j && m->file[0] && json_object_set_new(j, "file", json_string(m->file)) < 0) {
        json_decref(j);
        j = NULL;
    }
    char *s = j ? json_dumps(j, JSON_INDENT(2) | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(10)) : NULL;
    if (rc == 0 && !s) rc = err_set(ERR_NOMEM, "cannot format manifest '%s'", mp.data);
    if (rc == 0) {
        size_t len = strlen(s);
        s[len] = '\n'; /* json_dumps leaves room for the NUL; write it as a newline */
        rc = fs_write_atomic(mp.data, s, len + 1);
    }
    free(s);
    json_decref(j);
    buf_release(&mp);
    return rc;
}

static int manifest_read(const char *path, struct manifest *m)
{
    memset(m, 0, sizeof *m);
    struct buf mp = BUF_INIT;
    FORWARD_ERR(manifest_path(&mp, path));
    json_t *j = NULL;
    int rc = json_load_path(mp.data, 1 << 20, &j);
    if (rc == ERR_NOTFOUND) rc = err_set(ERR_NOTFOUND, "index manifest '%s' does not exist", mp.data);
    if (rc < 0) goto out;
    const char *what = mp.data, *s;
    int64_t fmt = 0;
    if ((rc = json_get_int(j, "format", what, &fmt)) < 0) goto out;
    if (fmt != 1) { rc = err_set(ERR_FORMAT, "'%s': unknown manifest format %lld", what, (long long)fmt); goto out; }
    static const char *const need[] = { "factory", "dim", "metric", "ntotal", "model_fingerprint",
                                        "store_generation", "checksum", NULL };
    for (int i = 0; need[i]; i++)
        if (!json_object_get(j, need[i])) {
            rc = err_set(ERR_FORMAT, "'%s': key '%s' is missing", what, need[i]);
            goto out;
        }
    s = NULL;
    if ((rc = json_get_str(j, "factory", what, &s)) < 0) goto out;
    snprintf(m->factory, sizeof m->factory, "%s", s);
    if ((rc = json_get_str(j, "metric", what, &s)) < 0) goto out;
    if (strcmp(s, "inner_product")) { rc = err_set(ERR_MISMATCH, "'%s': metric '%s' is not inner_product", what, s); goto out; }
    if ((rc = json_get_str(j, "model_fingerprint", what, &s)) < 0) goto out;
    snprintf(m->fingerprint, sizeof m->fingerprint, "%s", s);
    if ((rc = json_get_str(j, "checksum", what, &s)) < 0) goto out;
    snprintf(m->checksum, sizeof m->checksum, "%s", s);
    s = "";
    if ((rc = json_get_str(j, "ids_hash", what, &s)) < 0) goto out;
    snprintf(m->ids_hash, sizeof m->ids_hash, "%s", s);
    s = "";
    if (json_object_get(j, "file") && (rc = json_get_str(j, "file", what, &s)) < 0) goto out;
    if (strchr(s, '/') || !strcmp(s, ".") || !strcmp(s, "..") || strlen(s) >= sizeof m->file) {
        rc = err_set(ERR_FORMAT, "'%s': field 'file' is '%s', not a file name next to the manifest", what, s);
        goto out;
    }
    snprintf(m->file, sizeof m->file, "%s", s);
    s = "";
    if (json_object_get(j, "index") && (rc = json_get_str(j, "index", what, &s)) < 0) goto out;
    snprintf(m->asked, sizeof m->asked, "%s", s);
    m->memory_budget = -1;
    if (json_object_get(j, "memory_budget") && (rc = json_get_int(j, "memory_budget", what, &m->memory_budget)) < 0)
        goto out;
    int64_t gen = 0;
    if ((rc = json_get_int(j, "dim", what, &m->dim)) < 0 || (rc = json_get_int(j, "ntotal", what, &m->ntotal)) < 0 ||
        (rc = json_get_int(j, "trained_ntotal", what, &m->trained_ntotal)) < 0 ||
        (rc = json_get_int(j, "max_id", what, &m->max_id)) < 0 ||
        (rc = json_get_int(j, "n_train", what, &m->n_train)) < 0 ||
        (rc = json_get_int(j, "nprobe", what, &m->nprobe)) < 0 ||
        (rc = json_get_int(j, "efSearch", what, &m->ef_search)) < 0 ||
        (rc = json_get_int(j, "store_generation", what, &gen)) < 0 ||
        (rc = json_get_num(j, "recall_at_10", what, &m->recall)) < 0 ||
        (rc = json_get_num(j, "recall_target", what, &m->recall_target)) < 0)
        goto out;
    m->generation = (uint64_t)gen;
out:
    json_decref(j);
    buf_release(&mp);
    return rc;
}

/* ---------------- files ---------------- */

/* The pair is replaced as one unit: the data goes to "<path>.<16 hex>" (the
 * head of its checksum; written as "<path>.new", fsynced, renamed), then the
 * manifest naming that file in "file" is replaced atomically: that rename is
 * the only commit point. A kill before it leaves the old manifest with the
 * old data file; after it, the new pair. <path> itself is then made a hard
 * link to the current data file (for tools that open index.faiss) and older
 * data files and temp files are removed (sweep). Readers open the file the
 * manifest names and retry when a build removed it in between. */
static const char *base_of(const char *path)
{
    const char *b = strrchr(path, '/');
    return b ? b + 1 : path;
}

static int dir_of(struct buf *out, const char *path)
{
    buf_reset(out);
    const char *b = strrchr(path, '/');
    if (!b) return buf_puts(out, ".");
    if (b == path) return buf_puts(out, "/");
    return buf_printf(out, "%.*s", (int)(b - path), path);
}

static int data_path(struct buf *out, const char *path, const struct manifest *m)
{
    buf_reset(out);
    if (!m->file[0]) return buf_puts(out, path);
    const char *b = strrchr(path, '/');
    return buf_printf(out, "%.*s%s", b ? (int)(b - path + 1) : 0, path, m->file);
}

/* "<base>.<16 hex>": a data file of the index <base> */
static int is_data_name(const char *name, const char *base)
{
    size_t n = strlen(base);
    if (strncmp(name, base, n) || name[n] != '.' || strlen(name + n + 1) != 16) return 0;
    for (const char *h = name + n + 1; *h; h++)
        if (!isxdigit((unsigned char)*h)) return 0;
    return 1;
}

static const char *const tmp_suffix[] = { ".tmp", ".new", ".new.tmp", ".manifest.json.tmp", ".link.tmp", NULL };

/* sweep: remove the temp files a killed build left and, when keep is given,
 * the data files other than keep (the manifest names keep). */
static void sweep(const char *path, const char *keep)
{
    struct buf b = BUF_INIT, f = BUF_INIT;
    for (int i = 0; tmp_suffix[i]; i++) {
        buf_reset(&b);
        if (buf_printf(&b, "%s%s", path, tmp_suffix[i]) < 0) break;
        if (unlink(b.data) == 0 && !keep) log_info("index: removed '%s' left by an interrupted build", b.data);
    }
    DIR *d = keep && dir_of(&b, path) == 0 ? opendir(b.data) : NULL;
    struct dirent *e;
    while (d && (e = readdir(d))) {
        if (!is_data_name(e->d_name, base_of(path)) || !strcmp(e->d_name, keep)) continue;
        buf_reset(&f);
        if (buf_printf(&f, "%s/%s", b.data, e->d_name) < 0) break;
        if (unlink(f.data) < 0) log_warn("cannot remove the old index file '%s': %s", f.data, strerror(errno));
    }
    if (d) closedir(d);
    buf_release(&b);
    buf_release(&f);
}

/* write_pair: the data file, then the manifest (the commit), then the
 * convenience link and the sweep. m->checksum and m->file are filled. */
static int write_pair(const char *path, const struct ann *a, struct manifest *m)
{
    struct buf nw = BUF_INIT, dp = BUF_INIT, lt = BUF_INIT;
    int rc = buf_printf(&nw, "%s.new", path) < 0 || buf_printf(&lt, "%s.link.tmp", path) < 0
                 ? err_nomem() : 0;
    if (rc == 0) rc = ann_write(a, nw.data);
    if (rc == 0) rc = file_checksum(nw.data, m->checksum);
    if (rc == 0) {
        snprintf(m->file, sizeof m->file, "%s.%.16s", base_of(path), m->checksum);
        rc = data_path(&dp, path, m) < 0 ? err_nomem() : 0;
    }
    if (rc == 0 && rename(nw.data, dp.data) < 0)
        rc = err_set(ERR_IO, "cannot rename '%s' to '%s': %s", nw.data, dp.data, strerror(errno));
    if (rc == 0) rc = fs_fsync_dir(dp.data);
    if (rc == 0) rc = manifest_write(path, m); /* the commit point */
    if (rc == 0) {
        unlink(lt.data);
        if (link(dp.data, lt.data) < 0 || rename(lt.data, path) < 0) {
            log_debug("index: cannot link '%s' to '%s': %s", path, dp.data, strerror(errno));
            unlink(path); /* never leave a stale one */
        }
        sweep(path, m->file);
    } else {
        unlink(nw.data);
    }
    buf_release(&nw);
    buf_release(&dp);
    buf_release(&lt);
    return rc;
}

/* ---------------- build ---------------- */

/* what the add pass learns on the way */
struct add_state {
    char ids_hex[33];     /* xxh128 of all ids in order (the manifest's ids_hash) */
    int64_t max_id;
    float *q;             /* tuning queries: nq rows evenly spaced over all rows */
    int nq;
};

/* assign_pass: the IVF list of each of the rows [skip, n) of the source
 * into lists (n - skip) and the entries each list gains into count (k
 * lists), one pass in batches (the coarse assignment FAISS's add would do;
 * index/ann/ann.h "IVF adds at exact list sizes") */
static int assign_pass(const struct ann *a, const struct build_source *src, int dim, size_t batch, int64_t skip,
                       int64_t k, int32_t *lists, int64_t *count)
{
    struct pass ps;
    FORWARD_ERR(pass_open(&ps, src, dim, batch));
    struct progress pr;
    progress_init(&pr, "index assign", (uint64_t)(src->n - skip));
    int rc = 0;
    long b = 0;
    while ((b = pass_next(&ps, b)) > 0) {
        long from = ps.rows >= skip ? 0 : (skip - ps.rows < b ? (long)(skip - ps.rows) : b);
        if (from == b) continue;
        int32_t *l = lists + (ps.rows + from - skip);
        if ((rc = ann_ivf_assign(a, ps.x + (size_t)from * dim, b - from, l)) < 0) break;
        for (long i = 0; i < b - from; i++)
            if (l[i] >= 0 && l[i] < k) count[l[i]]++;
        progress_update(&pr, (uint64_t)(ps.rows + b - skip), "vectors");
    }
    progress_done(&pr);
    if (rc == 0 && b < 0) rc = (int)b;
    pass_close(&ps);
    return rc;
}

/* add_pass: add rows [skip, n) of the source in batches (to the lists
 * given, when lists is not NULL: assign_pass's); hash every id, keep the
 * largest, pick the tuning queries */
static int add_pass(struct ann *a, const struct build_source *src, int dim, size_t batch, int64_t skip, int nq_want,
                    const int32_t *lists, struct add_state *st)
{
    int64_t n = src->n;
    st->nq = nq_want < 1 ? 500 : nq_want;
    if (st->nq > n) st->nq = (int)n;
    st->max_id = INT64_MIN;
    st->q = mem_alloc_array((size_t)(st->nq ? st->nq : 1), (size_t)dim * sizeof *st->q);
    struct hash_stream *h = hash_stream_create();
    if (!st->q || !h) {
        if (h) hash_stream_free(h);
        return err_set(ERR_NOMEM, "out of memory for %d tuning queries", st->nq);
    }
    struct sampler sm;
    sampler_init(&sm, n, st->nq);
    struct pass ps;
    int rc = pass_open(&ps, src, dim, batch);
    if (rc < 0) { hash_stream_free(h); return rc; }
    struct progress pr;
    progress_init(&pr, "index add", (uint64_t)(n - skip));
    int64_t added = 0, got = 0;
    long b = 0;
    while ((b = pass_next(&ps, b)) > 0) {
        hash_stream_update(h, ps.ids, (size_t)b * sizeof *ps.ids);
        for (long i = 0; i < b; i++) {
            if (ps.ids[i] > st->max_id) st->max_id = ps.ids[i];
            if (sampler_take(&sm, ps.rows + i)) memcpy(st->q + got++ * dim, ps.x + (size_t)i * dim, (size_t)dim * sizeof *st->q);
        }
        long from = ps.rows >= skip ? 0 : (skip - ps.rows < b ? (long)(skip - ps.rows) : b);
        if (from < b) {
            const float *x = ps.x + (size_t)from * dim;
            rc = lists ? ann_ivf_add_assigned(a, x, ps.ids + from, lists + (ps.rows + from - skip), b - from)
                       : ann_add(a, x, ps.ids + from, b - from);
            if (rc < 0) break;
            added += b - from;
            progress_update(&pr, (uint64_t)added, "vectors");
        }
    }
    progress_done(&pr);
    if (rc == 0 && b < 0) rc = (int)b;
    pass_close(&ps);
    hash_hex128(hash_stream_digest(h), st->ids_hex);
    hash_stream_free(h);
    return rc;
}

/* asked_factory: --index as the manifest records it: "auto" or the factory
 * as built (build_factory_with_ids) */
static int asked_factory(const struct build_options *o, char *out, size_t cap)
{
    if (!o->factory || !strcmp(o->factory, "auto")) {
        snprintf(out, cap, "auto");
        return 0;
    }
    return build_factory_with_ids(o->factory, out, cap);
}

/* finish: tune, write index then manifest, fill r */
static int finish(const char *path, struct ann *a, const struct build_plan *p, const struct build_source *src,
                  const struct add_state *st, int dim, const struct build_meta *meta,
                  const struct build_options *o, int64_t trained_ntotal, struct build_result *r)
{
    double t0 = now_sec();
    FORWARD_ERR(tune(a, p, src, dim, st->q, st->nq, o, r));
    r->tune_seconds = now_sec() - t0;
    struct manifest m;
    memset(&m, 0, sizeof m);
    snprintf(m.factory, sizeof m.factory, "%s", p->factory);
    m.dim = dim;
    m.ntotal = ann_ntotal(a);
    m.trained_ntotal = trained_ntotal;
    m.max_id = st->max_id;
    snprintf(m.ids_hash, sizeof m.ids_hash, "%s", st->ids_hex);
    m.n_train = p->n_train;
    m.nprobe = r->nprobe;
    m.ef_search = r->ef_search;
    snprintf(m.fingerprint, sizeof m.fingerprint, "%s", meta->model_fingerprint ? meta->model_fingerprint : "");
    m.generation = meta->store_generation;
    m.recall = r->recall;
    m.recall_target = o->recall_target;
    FORWARD_ERR(asked_factory(o, m.asked, sizeof m.asked));
    m.memory_budget = (int64_t)o->memory_budget;
    FORWARD_ERR(write_pair(path, a, &m));
    r->plan = *p;
    r->ntotal = m.ntotal;
    return 0;
}

/* add_finish: the tail of a full build (from 0: r->rebuilt) and of an
 * append (from the indexed count on): add the source's vectors from position
 * `from` in batches of p->batch (timed as add_seconds), then finish (tune,
 * write index and manifest); r->seconds counts from t0, the build's start */
static int add_finish(const char *path, struct ann *a, const struct build_plan *p, const struct build_source *src,
                      int dim, int64_t from, int64_t trained_ntotal, const struct build_meta *meta,
                      const struct build_options *o, struct add_state *st, double t0, struct build_result *r)
{
    double ta = now_sec();
    int64_t k = ann_ivf_nlist(a), m = src->n - from;
    int32_t *lists = NULL;
    if (k > 0 && m > 0) { /* IVF: lists reserved at their final sizes (see the top) */
        int64_t *count = mem_calloc((size_t)k, sizeof *count);
        lists = mem_alloc_array((size_t)m, sizeof *lists);
        int rc = !count || !lists ? err_set(ERR_NOMEM, "out of memory for the lists of %lld vectors", (long long)m)
                                  : assign_pass(a, src, dim, (size_t)p->batch, from, k, lists, count);
        if (rc == 0) rc = ann_ivf_reserve(a, count);
        mem_free(count);
        if (rc < 0) {
            mem_free(lists);
            return rc;
        }
        r->assign_seconds = now_sec() - ta;
    }
    int rc = add_pass(a, src, dim, (size_t)p->batch, from, o->n_tune_queries, lists, st);
    mem_free(lists);
    FORWARD_ERR(rc);
    r->add_seconds = now_sec() - ta;
    rc = finish(path, a, p, src, st, dim, meta, o, trained_ntotal, r);
    r->rebuilt = from == 0;
    r->streamed = 1;
    r->seconds = now_sec() - t0;
    return rc;
}

int build_index_stream(const char *path, const struct build_source *src, int dim, const struct build_meta *meta,
                       const struct build_options *o, struct build_result *r)
{
    memset(r, 0, sizeof *r);
    double t0 = now_sec();
    sweep(path, NULL);
    int64_t n = src->n;
    struct build_plan p;
    if (!o->factory || !strcmp(o->factory, "auto")) FORWARD_ERR(build_plan_for(n, dim, o->memory_budget, &p));
    else FORWARD_ERR(build_plan_factory(o->factory, n, dim, &p));
    if (p.over_budget)
        log_warn("no index fits the memory budget; using '%s' (about %llu MiB + %llu MiB to build it)", p.factory,
                 (unsigned long long)(p.est_bytes >> 20), (unsigned long long)(p.work_bytes >> 20));
    log_info("index: %s for %lld vectors of dim %d (about %llu MiB), training on %lld, adding in batches of "
             "%lld (about %llu MiB of working memory)", p.factory, (long long)n, dim,
             (unsigned long long)(p.est_bytes >> 20), (long long)p.n_train, (long long)p.batch,
             (unsigned long long)(p.work_bytes >> 20));
    struct ann *a = NULL;
    struct add_state st = { "", 0, NULL, 0 };
    FORWARD_ERR(ann_create(p.factory, dim, &a));
    int rc = 0;
    if (!ann_is_trained(a)) {
        int64_t nt = p.n_train > 0 ? p.n_train : n;
        float *t = mem_alloc_array((size_t)nt, (size_t)dim * sizeof *t);
        if (!t) { rc = err_set(ERR_NOMEM, "out of memory for %lld training vectors", (long long)nt); goto out; }
        double tt = now_sec();
        rc = read_sample(src, dim, (size_t)p.batch, nt, t);
        if (rc == 0) rc = ann_train(a, t, nt);
        mem_free(t);
        if (rc < 0) goto out;
        r->train_seconds = now_sec() - tt;
        p.n_train = nt;
    }
    rc = add_finish(path, a, &p, src, dim, 0, n, meta, o, &st, t0, r);
out:
    mem_free(st.q);
    ann_free(a);
    return rc;
}

/* the hash of the first m ids of the source and the id after them (-1 at
 * the end) */
static int ids_prefix(const struct build_source *src, int dim, int64_t m, char hex[33], int64_t *after)
{
    *after = -1;
    struct hash_stream *h = hash_stream_create();
    RETURN_ERR_IF(!h, ERR_NOMEM, "out of memory");
    struct pass ps;
    int rc = pass_open(&ps, src, dim, (size_t)build_batch_rows(src->n, dim, 0));
    if (rc < 0) { hash_stream_free(h); return rc; }
    long b = 0;
    while ((b = pass_next(&ps, b)) > 0) {
        int64_t take = ps.rows >= m ? 0 : (m - ps.rows < b ? m - ps.rows : b);
        if (take > 0) hash_stream_update(h, ps.ids, (size_t)take * sizeof *ps.ids);
        if (take < b) {
            *after = ps.ids[take];
            break;
        }
    }
    if (b < 0) rc = (int)b;
    pass_close(&ps);
    hash_hex128(hash_stream_digest(h), hex);
    hash_stream_free(h);
    return rc;
}

int build_update_stream(const char *path, const struct build_source *src, int dim, const struct build_meta *meta,
                        const struct build_options *o, struct build_result *r)
{
    struct manifest m;
    const char *why = NULL;
    char asked[128], whybuf[512];
    double t0 = now_sec();
    sweep(path, NULL);
    int64_t n = src->n;
    FORWARD_ERR(asked_factory(o, asked, sizeof asked));
    int rc = manifest_read(path, &m);
    if (rc < 0) {
        why = err_msg();
    } else if (m.asked[0] ? strcmp(m.asked, asked) != 0 : strcmp(asked, "auto") && strcmp(asked, m.factory)) {
        snprintf(whybuf, sizeof whybuf, "--index changed (the index was planned for '%s', now '%s')",
                 m.asked[0] ? m.asked : m.factory, asked);
        why = whybuf;
    } else if (!strcmp(asked, "auto") && m.memory_budget >= 0 && (uint64_t)m.memory_budget != o->memory_budget) {
        snprintf(whybuf, sizeof whybuf, "--memory-budget changed (the index was planned for %llu MiB, now %llu MiB)",
                 (unsigned long long)m.memory_budget >> 20, (unsigned long long)(o->memory_budget >> 20));
        why = whybuf;
    } else if (m.dim != dim) {
        why = "the dimension changed";
    } else if (strcmp(m.fingerprint, meta->model_fingerprint ? meta->model_fingerprint : "")) {
        why = "the model changed";
    } else if (m.ntotal > n || m.ntotal < 1) {
        why = "the store has fewer vectors than the index";
    } else if ((double)n > o->growth_factor * (double)m.trained_ntotal) {
        why = "the store outgrew the trained index";
    } else {
        char hx[33];
        int64_t after;
        if ((rc = ids_prefix(src, dim, m.ntotal, hx, &after)) < 0) return rc;
        if (strcmp(hx, m.ids_hash) || (n > m.ntotal && after <= m.max_id)) why = "the store did not only append";
    }
    if (why) {
        char reason[640];
        snprintf(reason, sizeof reason, "%s", why);
        log_info("index: rebuilding from scratch: %s", reason);
        return build_index_stream(path, src, dim, meta, o, r);
    }
    memset(r, 0, sizeof *r);
    struct build_meta old = { m.fingerprint, m.generation };
    struct ann *a = NULL;
    rc = build_open(path, &old, dim, m.ntotal, 0, &a);
    if (rc < 0) {
        log_info("index: rebuilding from scratch: %s", err_msg());
        return build_index_stream(path, src, dim, meta, o, r);
    }
    struct build_plan p;
    struct add_state st = { "", 0, NULL, 0 };
    if ((rc = build_plan_factory(m.factory, m.trained_ntotal, dim, &p)) < 0) goto out;
    p.n_train = m.n_train;
    if (m.recall_target != o->recall_target)
        log_info("index: re-tuning for recall@10 %.3f (was %.3f)", o->recall_target, m.recall_target);
    log_info("index: adding %lld vectors to %lld (%s)", (long long)(n - m.ntotal), (long long)m.ntotal, m.factory);
    p.batch = build_batch_rows(n, dim, o->memory_budget);
    rc = add_finish(path, a, &p, src, dim, m.ntotal, m.trained_ntotal, meta, o, &st, t0, r);
out:
    mem_free(st.q);
    ann_free(a);
    return rc;
}

/* the array entry points: the stream ones over an in-memory array */
typedef int (*stream_build_fn)(const char *, const struct build_source *, int, const struct build_meta *,
                               const struct build_options *, struct build_result *);

static int build_array(stream_build_fn fn, const char *path, const float *x, const int64_t *ids, int64_t n, int dim,
                       const struct build_meta *meta, const struct build_options *o, struct build_result *r)
{
    struct build_array a;
    struct build_source src = build_array_source(&a, x, ids, n, dim);
    int rc = fn(path, &src, dim, meta, o, r);
    build_array_release(&a);
    r->streamed = 0;
    return rc;
}

int build_index(const char *path, const float *x, const int64_t *ids, int64_t n, int dim,
                const struct build_meta *meta, const struct build_options *o, struct build_result *r)
{
    return build_array(build_index_stream, path, x, ids, n, dim, meta, o, r);
}

int build_update(const char *path, const float *x, const int64_t *ids, int64_t n, int dim,
                 const struct build_meta *meta, const struct build_options *o, struct build_result *r)
{
    return build_array(build_update_stream, path, x, ids, n, dim, meta, o, r);
}

/* ---------------- open ---------------- */

/* open_index: the manifest and the file it names; strict also compares the
 * store generation and (ntotal >= 0) the vector count. A build that replaced
 * the pair between our manifest read and our open removed the old file:
 * read the manifest again. */
static int open_index(const char *path, const char *fp, int dim, int strict, uint64_t generation,
                      int64_t ntotal, int flags, struct ann **out, struct build_facts *facts)
{
    *out = NULL;
    struct buf mp = BUF_INIT, dp = BUF_INIT;
    int rc = manifest_path(&mp, path);
    if (rc == 0 && !fs_exists(mp.data) && !fs_exists(path))
        rc = err_set(ERR_NOTFOUND, "index '%s' does not exist", path);
    struct ann *a = NULL;
    for (int attempt = 0; rc == 0; attempt++) {
        struct manifest m;
        if ((rc = manifest_read(path, &m)) < 0) break;
        if (strcmp(m.fingerprint, fp)) {
            rc = err_set(ERR_MISMATCH, "index '%s': manifest field 'model_fingerprint' is '%s', the store has '%s'",
                         path, m.fingerprint, fp);
            break;
        }
        if (m.dim != dim) {
            rc = err_set(ERR_MISMATCH, "index '%s': manifest field 'dim' is %lld, the store has %d", path,
                         (long long)m.dim, dim);
            break;
        }
        if (strict && m.generation != generation) {
            rc = err_set(ERR_MISMATCH, "index '%s': manifest field 'store_generation' is %llu, the store is at %llu "
                         "(rebuild the index)", path, (unsigned long long)m.generation,
                         (unsigned long long)generation);
            break;
        }
        if (strict && ntotal >= 0 && m.ntotal != ntotal) {
            rc = err_set(ERR_MISMATCH, "index '%s': manifest field 'ntotal' is %lld, the store has %lld vectors",
                         path, (long long)m.ntotal, (long long)ntotal);
            break;
        }
        if ((rc = data_path(&dp, path, &m)) < 0) { rc = err_nomem(); break; }
        char sum[33];
        rc = file_checksum(dp.data, sum);
        if (rc == ERR_NOTFOUND && m.file[0] && attempt < 3) { rc = 0; continue; } /* replaced meanwhile */
        if (rc < 0) break;
        if (strcmp(sum, m.checksum)) {
            rc = err_set(ERR_MISMATCH, "index '%s': manifest field 'checksum' is '%s', the file '%s' hashes to '%s'",
                         path, m.checksum, dp.data, sum);
            break;
        }
        if ((rc = ann_read(dp.data, flags, &a)) < 0) break;
        ann_set_factory(a, m.factory);
        if (ann_ntotal(a) != m.ntotal || ann_dim(a) != dim)
            rc = err_set(ERR_MISMATCH, "index '%s' holds %lld vectors of dim %d, its manifest says %lld of %lld",
                         dp.data, (long long)ann_ntotal(a), ann_dim(a), (long long)m.ntotal, (long long)m.dim);
        if (rc == 0 && m.nprobe > 0) rc = ann_set_param(a, "nprobe", (double)m.nprobe);
        if (rc == 0 && m.ef_search > 0) rc = ann_set_param(a, "efSearch", (double)m.ef_search);
        if (rc == 0 && facts) {
            facts->generation = m.generation;
            facts->ntotal = m.ntotal;
            facts->max_id = m.max_id;
        }
        break;
    }
    buf_release(&mp);
    buf_release(&dp);
    if (rc < 0) {
        ann_free(a);
        return rc;
    }
    *out = a;
    return 0;
}

int build_open(const char *path, const struct build_meta *meta, int dim, int64_t ntotal, int flags,
               struct ann **out)
{
    const char *fp = meta->model_fingerprint ? meta->model_fingerprint : "";
    return open_index(path, fp, dim, 1, meta->store_generation, ntotal, flags, out, NULL);
}

int build_open_stale(const char *path, const char *fingerprint, int dim, int flags, struct ann **out,
                     struct build_facts *facts)
{
    return open_index(path, fingerprint ? fingerprint : "", dim, 0, 0, -1, flags, out, facts);
}
