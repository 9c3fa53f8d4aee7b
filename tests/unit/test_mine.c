/*
 * test_mine.c - paraphrase mining against an independent O(n^2)
 * computation: exact mode gives identical pairs and scores (integer vectors
 * make every score exact, and make ties common, so the tie rules are
 * checked too); random float vectors agree within float rounding; the FAISS
 * kNN path finds >= 0.99 of the pairs above a threshold; connected
 * components and community detection against hand-made cases.
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/err.h"
#include "common/mem.h"
#include "index/ann/ann.h"
#include "query/mine.h"
#include "tests/check.h"

static uint64_t rng = 88172645463325252ull;
static uint64_t next(void) { rng ^= rng << 13; rng ^= rng >> 7; rng ^= rng << 17; return rng; }
static double unif(void) { return (next() >> 11) * (1.0 / 9007199254740992.0); }
static double gauss(void) { return sqrt(-2 * log(unif() + 1e-300)) * cos(6.283185307179586 * unif()); }

/* the reference: scores in double, each row's top_k others by (score desc,
 * row asc), union of both directions, threshold, (score desc, a, b), cut */
static size_t naive(const float *x, const int64_t *ids, int n, int d, int top_k, float thr,
                    size_t max_pairs, struct mine_pair *out)
{
    double *s = malloc(sizeof(double) * n * n);
    for (int i = 0; i < n; i++)
        for (int j = 0; j < n; j++) {
            double t = 0;
            for (int k = 0; k < d; k++) t += (double)x[i * d + k] * x[j * d + k];
            s[i * n + j] = t;
        }
    char *in = calloc((size_t)n * n, 1);
    for (int i = 0; i < n; i++) {
        char *used = calloc(n, 1);
        for (int t = 0; t < top_k; t++) {
            int best = -1;
            for (int j = 0; j < n; j++) {
                if (j == i || used[j] || s[i * n + j] < thr) continue;
                if (best < 0 || s[i * n + j] > s[i * n + best]) best = j;
            }
            if (best < 0) break;
            used[best] = 1;
            int a = i < best ? i : best, b = i < best ? best : i;
            in[a * n + b] = 1;
        }
        free(used);
    }
    size_t m = 0;
    for (int a = 0; a < n; a++)
        for (int b = a + 1; b < n; b++)
            if (in[a * n + b]) {
                int64_t ia = ids ? ids[a] : a, ib = ids ? ids[b] : b;
                out[m++] = (struct mine_pair){ (float)s[a * n + b], ia < ib ? ia : ib, ia < ib ? ib : ia };
            }
    qsort(out, m, sizeof *out, mine_pair_cmp);
    free(s);
    free(in);
    return m < max_pairs ? m : max_pairs;
}

/* a batch source that serves n rows 7 at a time, then fails if asked to */
struct src { const float *x; size_t n, at; int dim, fail; size_t by_id; /* vector() calls */ };
static long src_next(void *ctx, int64_t *ids, float *x, size_t cap)
{
    struct src *s = ctx;
    if (s->at == s->n && s->fail) return err_set(ERR_STORE, "source broke");
    size_t m = s->n - s->at;
    if (m > 7) m = 7;
    if (m > cap) m = cap;
    memcpy(x, s->x + s->at * s->dim, m * s->dim * sizeof *x);
    for (size_t i = 0; i < m; i++) ids[i] = ((int64_t)1 << 35) + (int64_t)(s->at + i);
    s->at += m;
    return (long)m;
}

static int src_vector(void *ctx, int64_t id, float *x)
{
    struct src *s = ctx;
    s->by_id++;
    int64_t row = id - ((int64_t)1 << 35);
    if (row < 0 || (size_t)row >= s->n) return err_set(ERR_STORE, "no vector %lld", (long long)id);
    memcpy(x, s->x + row * s->dim, s->dim * sizeof *x);
    return 0;
}

static int src_rewind(void *ctx)
{
    ((struct src *)ctx)->at = 0;
    return 0;
}

static int cmp_ab(const void *x, const void *y)
{
    const struct mine_pair *p = x, *q = y;
    if (p->a != q->a) return p->a < q->a ? -1 : 1;
    return (p->b > q->b) - (p->b < q->b);
}

/* shared_pairs: how many of the ne pairs of pe (sorted by cmp_ab) are
 * among the n pairs of p (any order); *apart counts those whose scores
 * differ in any bit (NULL: not counted) */
static size_t shared_pairs(const struct mine_pair *p, size_t n, const struct mine_pair *pe, size_t ne, size_t *apart)
{
    struct mine_pair *ps = malloc(sizeof *ps * (n + 1));
    memcpy(ps, p, sizeof *ps * n);
    qsort(ps, n, sizeof *ps, cmp_ab);
    size_t hit = 0;
    if (apart) *apart = 0;
    for (size_t i = 0, t = 0; i < ne; i++) {
        while (t < n && cmp_ab(&ps[t], &pe[i]) < 0) t++;
        if (t < n && cmp_ab(&ps[t], &pe[i]) == 0) {
            hit++;
            if (apart && memcmp(&pe[i].score, &ps[t].score, sizeof(float))) ++*apart;
        }
    }
    free(ps);
    return hit;
}

static int same_pairs(const struct mine_pair *p, size_t np, const struct mine_pair *q, size_t nq, double tol)
{
    if (np != nq) { printf("  %zu pairs, expected %zu\n", np, nq); return 0; }
    for (size_t i = 0; i < np; i++)
        if (p[i].a != q[i].a || p[i].b != q[i].b || fabs(p[i].score - q[i].score) > tol) {
            printf("  pair %zu: (%g %lld %lld), expected (%g %lld %lld)\n", i, p[i].score, (long long)p[i].a,
                   (long long)p[i].b, q[i].score, (long long)q[i].a, (long long)q[i].b);
            return 0;
        }
    return 1;
}

/* The reference of list-wise mining at nprobe > 1, by brute force in
 * double: row i's candidates are the vectors of the lists in probes[i x np]
 * (union = 0), or of the union of the probes of all rows of i's own list
 * (union = 1: what mine_ann_lists scored before issue 16's fix); its top_k
 * by (score desc, id asc), all pairs kept, scored by mine_score, in the
 * result order. *near counts rows whose k-th and (k+1)-th candidates score
 * within 1e-5 (a float kernel could rank them either way). */
static size_t probe_ref(const float *x, int n, int d, int64_t base, const int64_t *probes, int np,
                        const int *list_of, int nl, int top_k, int uni, struct mine_pair *out, int *near)
{
    char *in = calloc((size_t)n * n, 1), *cand = malloc((size_t)nl);
    double *s = malloc(sizeof(double) * n);
    *near = 0;
    for (int i = 0; i < n; i++) {
        memset(cand, 0, (size_t)nl);
        for (int r = 0; r < n; r++)
            if (r == i || (uni && list_of[r] == list_of[i]))
                for (int j = 0; j < np; j++) cand[probes[(size_t)r * np + j]] = 1;
        for (int j = 0; j < n; j++) {
            s[j] = -INFINITY;
            if (j == i || !cand[list_of[j]]) continue;
            double t = 0;
            for (int c = 0; c < d; c++) t += (double)x[i * d + c] * x[j * d + c];
            s[j] = t;
        }
        double last = INFINITY;
        for (int t = 0; t <= top_k; t++) {
            int best = -1;
            for (int j = 0; j < n; j++)
                if (s[j] > -INFINITY && (best < 0 || s[j] > s[best])) best = j;
            if (best < 0) break;
            if (t == top_k) { /* the first one left out */
                if (last - s[best] < 1e-5) ++*near;
                break;
            }
            last = s[best];
            s[best] = -INFINITY;
            in[(size_t)(i < best ? i : best) * n + (i < best ? best : i)] = 1;
        }
    }
    size_t m = 0;
    for (int a = 0; a < n; a++)
        for (int b = a + 1; b < n; b++)
            if (in[(size_t)a * n + b]) out[m++] = (struct mine_pair){ mine_score(x + a * d, x + b * d, d), base + a, base + b };
    qsort(out, m, sizeof *out, mine_pair_cmp);
    free(in); free(cand); free(s);
    return m;
}

int main(void)
{
    enum { N = 300, D = 12 };
    float *xi = malloc(sizeof(float) * N * D);
    int64_t ids[N];
    for (int i = 0; i < N * D; i++) xi[i] = (float)((int)(next() % 5) - 2); /* -2..2: many ties */
    for (int i = 0; i < N; i++) ids[i] = 1000 + 3 * (int64_t)((i * 7919) % N); /* a permutation */
    struct mine_pair *ref = malloc(sizeof *ref * N * N);

    TEST("exact mining equals the O(n^2) reference, integer scores with ties") {
        int tks[] = { 1, 3, 10 };
        float thrs[] = { -1e9f, 4.0f, 12.0f };
        size_t maxp[] = { 7, 100, 1000000 };
        size_t chunks[][2] = { { 37, 53 }, { 1024, 16384 }, { 1, 300 } };
        for (int a = 0; a < 3; a++)
            for (int b = 0; b < 3; b++)
                for (int c = 0; c < 3; c++) {
                    struct mine_options o = MINE_OPTIONS_INIT;
                    o.top_k = tks[a]; o.threshold = thrs[b]; o.max_pairs = maxp[c];
                    o.query_chunk = chunks[(a + b + c) % 3][0]; o.corpus_chunk = chunks[(a + b + c) % 3][1];
                    struct mine_pair *p = NULL;
                    size_t np = 0;
                    CHECK_OK(mine_exact(xi, (a + c) % 2 ? ids : NULL, N, D, &o, &p, &np));
                    size_t nr = naive(xi, (a + c) % 2 ? ids : NULL, N, D, o.top_k, o.threshold, o.max_pairs, ref);
                    if (!same_pairs(p, np, ref, nr, 0)) T_FAIL("top_k %d threshold %g max_pairs %zu", o.top_k, o.threshold, o.max_pairs);
                    for (size_t i = 0; i < np; i++) CHECK_TRUE(p[i].a < p[i].b);
                    mem_free(p);
                }
    }

    TEST("exact mining on normalized float vectors agrees within rounding") {
        enum { NF = 400, DF = 32 };
        float *x = malloc(sizeof(float) * NF * DF);
        for (int i = 0; i < NF * DF; i++) x[i] = (float)gauss();
        ann_normalize(x, NF, DF);
        struct mine_options o = MINE_OPTIONS_INIT;
        o.top_k = 5; o.query_chunk = 64; o.corpus_chunk = 100;
        struct mine_pair *p = NULL;
        size_t np = 0;
        CHECK_OK(mine_exact(x, NULL, NF, DF, &o, &p, &np));
        size_t nr = naive(x, NULL, NF, DF, 5, -1, o.max_pairs, ref);
        /* count pairs in common (order may differ by rounding) */
        size_t common = 0;
        for (size_t i = 0; i < np; i++)
            for (size_t j = 0; j < nr; j++)
                if (p[i].a == ref[j].a && p[i].b == ref[j].b) {
                    common++;
                    CHECK_NEAR(p[i].score, ref[j].score, 1e-5);
                    break;
                }
        CHECK_TRUE(nr > 0 && common >= nr - 2 && np >= nr - 2 && np <= nr + 2);
        mem_free(p);
        free(x);
    }

    TEST("streamed exact mining (blocks of both operands from a source) equals mine_exact") {
        enum { NS = 1000, DS = 24 };
        float *x = malloc(sizeof(float) * NS * DS);
        int64_t *sids = malloc(sizeof(int64_t) * NS);
        for (int i = 0; i < NS * DS; i++) x[i] = (float)gauss();
        for (int i = 0; i < NS; i++) sids[i] = ((int64_t)1 << 35) + i;
        /* duplicates: ties must be broken the same way (lower id first) */
        memcpy(x + 10 * DS, x + 500 * DS, sizeof(float) * DS);
        memcpy(x + 11 * DS, x + 500 * DS, sizeof(float) * DS);
        ann_normalize(x, NS, DS);
        for (int pass = 0; pass < 2; pass++) {
            struct mine_options o = MINE_OPTIONS_INIT;
            o.top_k = 4; o.query_chunk = 96; o.corpus_chunk = 130;
            if (pass) { o.threshold = 0.3f; o.max_pairs = 50; }
            struct mine_pair *p = NULL, *q = NULL;
            size_t np = 0, nq = 0;
            CHECK_OK(mine_exact(x, sids, NS, DS, &o, &p, &np));
            struct src s = { x, NS, 0, DS, 0, 0 };
            struct build_source ms = { NS, src_rewind, src_next, src_vector, &s };
            CHECK_OK(mine_exact_stream(&ms, DS, &o, &q, &nq));
            CHECK_TRUE(np > 0 && np == nq);
            CHECK_INT(s.by_id, 0); /* the exact scores come from the pass itself */
            int same = np == nq;
            for (size_t i = 0; same && i < np; i++) /* same pairs, same bits, same order */
                same = p[i].a == q[i].a && p[i].b == q[i].b && !memcmp(&p[i].score, &q[i].score, sizeof p[i].score);
            CHECK_TRUE(same);
            mem_free(p);
            mem_free(q);
        }
        /* a source with fewer rows than announced is refused */
        struct src s = { x, NS - 5, 0, DS, 0, 0 };
        struct build_source ms = { NS, src_rewind, src_next, src_vector, &s };
        struct mine_options o = MINE_OPTIONS_INIT;
        struct mine_pair *q = NULL;
        size_t nq = 0;
        CHECK_INT(mine_exact_stream(&ms, DS, &o, &q, &nq), ERR_MISMATCH);
        struct build_source nr = { NS, NULL, src_next, src_vector, &s };
        CHECK_INT(mine_exact_stream(&nr, DS, &o, &q, &nq), ERR_INVALID);
        free(x);
        free(sids);
    }

    TEST("FAISS kNN mining finds >= 0.99 of the pairs above the threshold") {
        enum { NA = 4000, DA = 32, NC = 200 };
        float *x = malloc(sizeof(float) * NA * DA), *cent = malloc(sizeof(float) * NC * DA);
        for (int i = 0; i < NC * DA; i++) cent[i] = (float)gauss();
        for (int i = 0; i < NA; i++)
            for (int j = 0; j < DA; j++) x[i * DA + j] = cent[(i % NC) * DA + j] + 0.35f * (float)gauss();
        ann_normalize(x, NA, DA);
        int64_t *aid = malloc(sizeof(int64_t) * NA);
        for (int i = 0; i < NA; i++) aid[i] = ((int64_t)1 << 35) + i;
        struct mine_options o = MINE_OPTIONS_INIT;
        o.top_k = 10; o.threshold = 0.8f;
        struct mine_pair *pe = NULL, *pa = NULL;
        size_t ne = 0, na = 0;
        CHECK_OK(mine_exact(x, aid, NA, DA, &o, &pe, &ne));
        struct ann *a = NULL;
        CHECK_OK(ann_create("IVF64,Flat", DA, &a));
        CHECK_OK(ann_train(a, x, 64 * 60));
        CHECK_OK(ann_add(a, x, aid, NA));
        CHECK_OK(ann_set_param(a, "nprobe", 8));
        CHECK_OK(mine_ann(a, x, aid, NA, DA, &o, &pa, &na));
        size_t hit = 0;
        qsort(pe, ne, sizeof *pe, cmp_ab);
        struct mine_pair *pas = malloc(sizeof *pas * (na + 1));
        memcpy(pas, pa, sizeof *pas * na);
        qsort(pas, na, sizeof *pas, cmp_ab);
        for (size_t i = 0, t = 0; i < ne; i++) {
            while (t < na && cmp_ab(&pas[t], &pe[i]) < 0) t++;
            if (t < na && cmp_ab(&pas[t], &pe[i]) == 0) hit++;
        }
        free(pas);
        double recall = ne ? hit / (double)ne : 0;
        printf("  exact %zu pairs >= 0.8, ann %zu, recall %.4f\n", ne, na, recall);
        CHECK_TRUE(ne > 1000);
        CHECK_TRUE(recall >= 0.99);
        for (size_t t = 0; t < na; t++) CHECK_TRUE(pa[t].score >= 0.8f && pa[t].a < pa[t].b);
        for (size_t t = 1; t < na; t++) CHECK_TRUE(mine_pair_cmp(&pa[t - 1], &pa[t]) < 0);
        /* a Flat index makes the kNN path exact */
        ann_free(a);
        CHECK_OK(ann_create("IDMap,Flat", DA, &a));
        CHECK_OK(ann_add(a, x, aid, NA));
        mem_free(pa);
        CHECK_OK(mine_ann(a, x, aid, NA, DA, &o, &pa, &na));
        CHECK_INT(na, ne);
        /* the same through a streaming source in small batches */
        struct mine_pair *ps = NULL;
        size_t ns = 0;
        struct src sr = { x, NA, 0, DA, 0, 0 };
        struct build_source msr = { NA, NULL, src_next, src_vector, &sr };
        CHECK_OK(mine_ann_stream(a, DA, &msr, &o, &ps, &ns));
        CHECK_INT(ns, na);
        /* same pairs, same scores to the bit, same order: the reported score
         * is mine_score's, whatever kernel and batch size FAISS used */
        for (size_t t = 0; t < ns && t < na; t++)
            if (ps[t].a != pa[t].a || ps[t].b != pa[t].b || memcmp(&ps[t].score, &pa[t].score, sizeof(float))) {
                T_FAIL("pair %zu differs: %.9g %lld %lld vs %.9g %lld %lld", t, ps[t].score, (long long)ps[t].a,
                       (long long)ps[t].b, pa[t].score, (long long)pa[t].a, (long long)pa[t].b);
                break;
            }
        /* and the exact miner scores every pair it shares with them alike */
        size_t apart, shared = shared_pairs(pa, na, pe, ne, &apart);
        if (apart) T_FAIL("exact and kNN score %zu of their %zu shared pairs apart", apart, shared);
        CHECK_TRUE(shared > 1000);
        mem_free(ps);
        struct src bad = { x, 100, 0, DA, 1, 0 };
        struct build_source mbad = { 100, NULL, src_next, src_vector, &bad };
        CHECK_INT(mine_ann_stream(a, DA, &mbad, &o, &ps, &ns), ERR_STORE);
        CHECK_TRUE(ps == NULL);
        /* the auto choice measures both ways on the source's first rows:
         * this corpus is mined exactly (under the floor), a corpus of 1e8
         * (exact quadratic, ANN linear) through the index, none without one;
         * the source is rewound */
        struct mine_auto au;
        struct src sa = { x, NA, 0, DA, 0, 0 };
        struct build_source msa = { NA, src_rewind, src_next, src_vector, &sa };
        CHECK_OK(mine_auto_choose(a, &msa, NA, DA, &o, &au));
        CHECK_TRUE(au.read_rows_per_s > 0 && au.exact_pairs_per_s > 0 && au.ann_queries_per_s > 0);
        CHECK_TRUE(au.exact_seconds > 0 && au.ann_seconds > 0 && !au.use_ann);
        CHECK_TRUE(sa.at == 0);
        CHECK_OK(mine_auto_choose(a, &msa, 100000000, DA, &o, &au));
        CHECK_TRUE(au.use_ann && au.exact_seconds > MINE_AUTO_EXACT_FACTOR * au.ann_seconds);
        CHECK_OK(mine_auto_choose(NULL, &msa, 100000000, DA, &o, &au));
        CHECK_TRUE(!au.use_ann && au.ann_seconds == 0 && au.exact_seconds > 0);
        msa.rewind = NULL;
        CHECK_INT(mine_auto_choose(a, &msa, NA, DA, &o, &au), ERR_INVALID);
        ann_free(a);
        mem_free(pa);
        CHECK_OK(ann_create("IDMap,Flat", DA + 1, &a));
        CHECK_INT(mine_ann(a, x, aid, NA, DA, &o, &pa, &na), ERR_INVALID);
        ann_free(a);
        mem_free(pe);
        mem_free(pa);
        free(x); free(cent); free(aid);
    }

    TEST("list-wise mining of an IVF index (sgemm per list) against exact and per-query mining") {
        /* clustered: 150 centres of ~40 vectors at dim 48, cosine to the
         * centre ~0.9, so the top 10 are cluster mates and IVF lists follow
         * the clusters; compressed codes (SQ8) as the planner picks them */
        enum { NL = 6000, DL = 48, NCL = 150 };
        float *x = malloc(sizeof(float) * NL * DL), *cent = malloc(sizeof(float) * NCL * DL);
        for (int i = 0; i < NCL * DL; i++) cent[i] = (float)gauss();
        ann_normalize(cent, NCL, DL);
        for (int i = 0; i < NL; i++)
            for (int j = 0; j < DL; j++) x[i * DL + j] = cent[(i * 7 % NCL) * DL + j] + 0.07f * (float)gauss();
        ann_normalize(x, NL, DL);
        int64_t *lid = malloc(sizeof(int64_t) * NL);
        for (int i = 0; i < NL; i++) lid[i] = ((int64_t)1 << 35) + i;
        struct mine_options o = MINE_OPTIONS_INIT;
        o.top_k = 10; o.threshold = 0.8f;
        struct mine_pair *pe = NULL;
        size_t ne = 0;
        CHECK_OK(mine_exact(x, lid, NL, DL, &o, &pe, &ne));
        o.query_chunk = 16; o.corpus_chunk = 24; /* lists span several blocks both ways */
        struct ann *a = NULL;
        CHECK_OK(ann_create("IVF64,SQ8", DL, &a));
        CHECK_OK(ann_train(a, x, NL));
        CHECK_OK(ann_add(a, x, lid, NL));
        CHECK_INT(ann_nlist(a), 64);
        int64_t tot = 0;
        for (int l = 0; l < 64; l++) tot += ann_list_size(a, l);
        CHECK_INT(tot, NL);
        CHECK_INT(ann_list_size(a, 64), ERR_INVALID);
        /* a vector's first probe is the list it was added to */
        {
            int64_t m5 = ann_list_size(a, 5), *id5 = malloc(sizeof(int64_t) * (size_t)m5), pl[3];
            CHECK_TRUE(m5 > 0);
            CHECK_OK(ann_list_ids(a, 5, id5));
            CHECK_OK(ann_probe_lists(a, x + (id5[0] - lid[0]) * DL, 1, 3, pl));
            CHECK_INT(pl[0], 5);
            CHECK_TRUE(pl[1] != 5 && pl[2] != 5 && pl[1] != pl[2]);
            CHECK_INT(ann_probe_lists(a, x, 1, 65, pl), ERR_INVALID);
            free(id5);
        }
        qsort(pe, ne, sizeof *pe, cmp_ab);
        for (int np = 1; np <= 4; np += 3) {
            CHECK_OK(ann_set_param(a, "nprobe", np));
            CHECK_INT(ann_nprobe(a), np);
            /* nprobe 4: lists (~94 vectors) gathered into blocks of 200 */
            o.corpus_chunk = np == 1 ? 24 : 200;
            struct mine_pair *pl_ = NULL, *pq = NULL;
            size_t nl_ = 0, nq = 0;
            struct src sl = { x, NL, 0, DL, 0, 0 }, sq = { x, NL, 0, DL, 0, 0 };
            struct build_source ml = { NL, src_rewind, src_next, src_vector, &sl };
            struct build_source mq = { NL, src_rewind, src_next, src_vector, &sq };
            CHECK_OK(mine_ann_lists(a, DL, &ml, &o, &pl_, &nl_));
            CHECK_OK(mine_ann_queries(a, DL, &mq, &o, &pq, &nq));
            if (np == 1) CHECK_INT(sl.by_id, NL); /* each stored vector read once, by id */
            /* recall of the exact pairs; every score is mine_score of the
             * two stored vectors, to the bit */
            double rec[2];
            for (int w = 0; w < 2; w++) {
                struct mine_pair *p = w ? pq : pl_;
                size_t n = w ? nq : nl_;
                for (size_t t = 0; t < n; t++) {
                    float sc = mine_score(x + (p[t].a - lid[0]) * DL, x + (p[t].b - lid[0]) * DL, DL);
                    if (memcmp(&sc, &p[t].score, sizeof sc) || p[t].score < 0.8f || p[t].a >= p[t].b) {
                        T_FAIL("pair %zu (%lld, %lld): score %.9g, mine_score %.9g", t, (long long)p[t].a,
                               (long long)p[t].b, p[t].score, sc);
                        break;
                    }
                }
                for (size_t t = 1; t < n; t++) CHECK_TRUE(mine_pair_cmp(&p[t - 1], &p[t]) < 0);
                size_t hit = shared_pairs(p, n, pe, ne, NULL);
                rec[w] = ne ? hit / (double)ne : 0;
            }
            printf("  nprobe %d: exact %zu pairs >= 0.8, lists %zu (recall %.4f), per query %zu (recall %.4f)\n", np,
                   ne, nl_, rec[0], nq, rec[1]);
            CHECK_TRUE(ne > 20000);
            /* the bound both paths meet; the list-wise one scores every
             * vector of the probed lists, so it finds at least as much */
            CHECK_TRUE(rec[1] >= 0.95);
            CHECK_TRUE(rec[0] >= 0.95);
            CHECK_TRUE(rec[0] >= rec[1] - 1e-9);
            /* mine_ann_stream takes the list-wise path for an IVF index */
            struct mine_pair *pd = NULL;
            size_t nd = 0;
            struct src sd = { x, NL, 0, DL, 0, 0 };
            struct build_source md = { NL, src_rewind, src_next, src_vector, &sd };
            CHECK_OK(mine_ann_stream(a, DL, &md, &o, &pd, &nd));
            CHECK_TRUE(same_pairs(pd, nd, pl_, nl_, 0));
            mem_free(pd);
            mem_free(pl_);
            mem_free(pq);
        }
        /* the auto choice estimates the list-wise cost: sum |l|^2 (nprobe
         * 1) at the measured sgemm rate, + n reads by id */
        {
            CHECK_OK(ann_set_param(a, "nprobe", 1));
            double sq = 0;
            for (int l = 0; l < 64; l++) sq += (double)ann_list_size(a, l) * (double)ann_list_size(a, l);
            struct mine_auto au;
            struct src sa = { x, NL, 0, DL, 0, 0 };
            struct build_source msa = { NL, src_rewind, src_next, src_vector, &sa };
            CHECK_OK(mine_auto_choose(a, &msa, NL, DL, &o, &au));
            double sgemm = sq / au.exact_pairs_per_s;
            printf("  auto: exact %.3fs, lists %.3fs (sgemm part %.3fs)\n", au.exact_seconds, au.ann_seconds, sgemm);
            CHECK_TRUE(au.ann_seconds >= sgemm && au.ann_seconds < sgemm + NL * 1e-3);
            CHECK_TRUE(au.ann_queries_per_s > 0 && !au.use_ann);
            CHECK_OK(mine_auto_choose(a, &msa, 100000000, DL, &o, &au));
            /* scaled by (n / ntotal)^2: quadratic too, but 64x fewer pairs */
            sgemm = sq * (1e8 / NL) * (1e8 / NL) / au.exact_pairs_per_s;
            CHECK_TRUE(au.ann_seconds >= sgemm && au.use_ann);
            CHECK_TRUE(sa.at == 0);
        }
        /* a source that cannot read by id is refused; the error of one that
         * fails is returned */
        struct mine_pair *pb = NULL;
        size_t nb = 0;
        struct src sb = { x, NL, 0, DL, 0, 0 };
        struct build_source mb = { NL, src_rewind, src_next, NULL, &sb };
        CHECK_INT(mine_ann_lists(a, DL, &mb, &o, &pb, &nb), ERR_INVALID);
        sb.n = NL / 2; /* ids past NL / 2 are "no vector": ERR_STORE */
        mb.vector = src_vector;
        CHECK_INT(mine_ann_lists(a, DL, &mb, &o, &pb, &nb), ERR_STORE);
        CHECK_TRUE(pb == NULL);
        ann_free(a);
        CHECK_OK(ann_create("IDMap,Flat", DL, &a));
        CHECK_INT(ann_nlist(a), 0);
        CHECK_INT(mine_ann_lists(a, DL, &mb, &o, &pb, &nb), ERR_INVALID);
        ann_free(a);
        mem_free(pe);
        free(x); free(cent); free(lid);
    }

    TEST("list-wise mining at nprobe > 1 scores each row against its own probes only (a search's work)") {
        /* 20 broad clusters over 48 lists at dim 16: a cluster spans
         * several lists, so the rows of a list probe different lists and a
         * row's best neighbours are often in a list its own search does not
         * probe but a list mate's does */
        enum { NP_ = 2400, DP = 16, NCP = 20, NLP = 48, PROBE = 3, K = 6 };
        float *x = malloc(sizeof(float) * NP_ * DP), *cent = malloc(sizeof(float) * NCP * DP);
        for (int i = 0; i < NCP * DP; i++) cent[i] = (float)gauss();
        ann_normalize(cent, NCP, DP);
        for (int i = 0; i < NP_; i++)
            for (int j = 0; j < DP; j++) x[i * DP + j] = cent[(i % NCP) * DP + j] + 0.25f * (float)gauss();
        ann_normalize(x, NP_, DP);
        int64_t *pid = malloc(sizeof(int64_t) * NP_), base = (int64_t)1 << 35;
        for (int i = 0; i < NP_; i++) pid[i] = base + i;
        struct ann *a = NULL;
        CHECK_OK(ann_create("IVF48,Flat", DP, &a));
        CHECK_OK(ann_train(a, x, NP_));
        CHECK_OK(ann_add(a, x, pid, NP_));
        CHECK_OK(ann_set_param(a, "nprobe", PROBE));
        /* each row's probes and list, from the index */
        int64_t *probes = malloc(sizeof(int64_t) * NP_ * PROBE);
        int *list_of = malloc(sizeof(int) * NP_);
        CHECK_OK(ann_probe_lists(a, x, NP_, PROBE, probes));
        double minimal = 0; /* sum over rows of the sizes of their probed lists */
        int64_t lsz[NLP];
        for (int l = 0; l < NLP; l++) {
            lsz[l] = ann_list_size(a, l);
            int64_t *li = malloc(sizeof(int64_t) * (size_t)(lsz[l] + 1));
            CHECK_OK(ann_list_ids(a, l, li));
            for (int64_t t = 0; t < lsz[l]; t++) list_of[li[t] - base] = l;
            free(li);
        }
        for (int i = 0; i < NP_ * PROBE; i++) minimal += (double)lsz[probes[i]];
        struct mine_pair *rp = malloc(sizeof *rp * NP_ * K * 2), *ru = malloc(sizeof *ru * NP_ * K * 2);
        int near = 0, near_u = 0;
        size_t nr = probe_ref(x, NP_, DP, base, probes, PROBE, list_of, NLP, K, 0, rp, &near);
        size_t nu = probe_ref(x, NP_, DP, base, probes, PROBE, list_of, NLP, K, 1, ru, &near_u);
        /* the old (union) answer differs: some rows' union holds better
         * neighbours than their own probes, so matching rp below is not
         * something the union would do */
        size_t both = shared_pairs(ru, nu, (qsort(rp, nr, sizeof *rp, cmp_ab), rp), nr, NULL);
        qsort(rp, nr, sizeof *rp, mine_pair_cmp);
        printf("  reference %zu pairs (%d near ties), union %zu pairs, %zu in common; minimal work %.0f scores\n",
               nr, near, nu, both, minimal);
        CHECK_INT(near, 0); /* the float kernels cannot rank the reference's k-th differently */
        CHECK_TRUE(nr > 5000 && both < nr && both < nu);
        struct mine_options o = MINE_OPTIONS_INIT;
        o.top_k = K; o.max_pairs = 1000000; o.query_chunk = 7; o.corpus_chunk = 33;
        struct mine_stats st;
        o.stats = &st;
        struct mine_pair *pl_ = NULL, *pq = NULL;
        size_t nl_ = 0, nq = 0;
        struct src sl = { x, NP_, 0, DP, 0, 0 }, sq = { x, NP_, 0, DP, 0, 0 };
        struct build_source ml = { NP_, src_rewind, src_next, src_vector, &sl };
        struct build_source mq = { NP_, src_rewind, src_next, src_vector, &sq };
        CHECK_OK(mine_ann_lists(a, DP, &ml, &o, &pl_, &nl_));
        CHECK_TRUE(same_pairs(pl_, nl_, rp, nr, 0));
        /* exactly a search's work: each row against its probed lists */
        printf("  lists: %llu scores, %llu list loads, %llu vectors read\n", (unsigned long long)st.scores,
               (unsigned long long)st.list_loads, (unsigned long long)st.vectors_read);
        CHECK_TRUE((double)st.scores == minimal);
        CHECK_INT(st.lists, NLP);
        CHECK_INT(st.list_loads, NLP); /* the default cache holds them all: each read once */
        CHECK_INT(sl.by_id, NP_);
        /* what a FAISS search per vector (IVF-Flat, same nprobe) finds */
        CHECK_OK(mine_ann_queries(a, DP, &mq, &o, &pq, &nq));
        CHECK_TRUE(same_pairs(pq, nq, rp, nr, 0));
        /* a cache of nothing: lists read again and again, same pairs */
        struct mine_pair *pz = NULL;
        size_t nz = 0;
        o.cache_bytes = 0;
        sl.by_id = 0;
        CHECK_OK(mine_ann_lists(a, DP, &ml, &o, &pz, &nz));
        CHECK_TRUE(same_pairs(pz, nz, rp, nr, 0));
        printf("  no cache: %llu list loads\n", (unsigned long long)st.list_loads);
        CHECK_TRUE(st.list_loads > NLP && sl.by_id == st.vectors_read && (double)st.scores == minimal);
        mem_free(pz);
        /* a cache of ~11 lists: groups of ~5 lists (half the cache), the
         * candidates of the next group partly cached; same pairs */
        o.cache_bytes = 40000;
        uint64_t no_cache_loads = st.list_loads;
        CHECK_OK(mine_ann_lists(a, DP, &ml, &o, &pz, &nz));
        CHECK_TRUE(same_pairs(pz, nz, rp, nr, 0));
        printf("  cache of 40000 bytes: %llu groups, %llu list loads\n", (unsigned long long)st.groups,
               (unsigned long long)st.list_loads);
        CHECK_TRUE(st.groups > 4 && st.groups < NLP && st.list_loads < no_cache_loads && (double)st.scores == minimal);
        mem_free(pz);
        /* the index read back with its lists mapped (ANN_READ_MMAP, as mine
         * and bench build open it): same lists, same pairs */
        char path[600];
        snprintf(path, sizeof path, "%s/ivf.faiss", test_tmpdir());
        CHECK_OK(ann_write(a, path));
        struct ann *am = NULL;
        CHECK_OK(ann_read(path, ANN_READ_MMAP, &am));
        if (am) {
            CHECK_OK(ann_set_param(am, "nprobe", PROBE));
            CHECK_INT(ann_nlist(am), NLP);
            for (int l = 0; l < NLP; l++) CHECK_INT(ann_list_size(am, l), lsz[l]);
            o.cache_bytes = MINE_LIST_CACHE_BYTES;
            CHECK_OK(mine_ann_lists(am, DP, &ml, &o, &pz, &nz));
            CHECK_TRUE(same_pairs(pz, nz, pl_, nl_, 0));
            CHECK_TRUE((double)st.scores == minimal);
            mem_free(pz);
            /* the cache a budget leaves: budget minus what mining holds */
            size_t small = mine_cache_bytes(am, DP, &o, 64 << 20), big = mine_cache_bytes(am, DP, &o, 1ull << 32);
            CHECK_TRUE(small >= MINE_LIST_CACHE_MIN && small < (64u << 20) && big > small && big < (1ull << 32));
            CHECK_INT(mine_cache_bytes(am, DP, &o, 1024), MINE_LIST_CACHE_MIN); /* the floor */
            ann_free(am);
        }
        remove(path);
        mem_free(pl_); mem_free(pq);
        free(rp); free(ru); free(probes); free(list_of);
        ann_free(a);
        free(x); free(cent); free(pid);
    }

    TEST("bad options and tiny inputs") {
        struct mine_options o = MINE_OPTIONS_INIT;
        struct mine_pair *p = (void *)1;
        size_t np = 5;
        o.top_k = 0;
        CHECK_INT(mine_exact(xi, NULL, N, D, &o, &p, &np), ERR_INVALID);
        o.top_k = 3; o.max_pairs = 0;
        CHECK_INT(mine_exact(xi, NULL, N, D, &o, &p, &np), ERR_INVALID);
        o.max_pairs = 10;
        CHECK_OK(mine_exact(xi, NULL, 1, D, &o, &p, &np));
        CHECK_INT(np, 0);
        CHECK_TRUE(p == NULL);
        CHECK_OK(mine_exact(xi, NULL, 0, D, &o, &p, &np));
        CHECK_INT(np, 0);
        /* top_k beyond n: every pair once (5 vectors: 10 pairs) */
        o.top_k = 100000; o.max_pairs = 1000; o.threshold = -1e9f;
        CHECK_OK(mine_exact(xi, NULL, 5, D, &o, &p, &np));
        CHECK_INT(np, 10);
        mem_free(p);
    }

    TEST("connected components at a threshold with a minimum size") {
        struct mine_pair p[] = {
            { 0.95f, 10, 11 }, { 0.9f, 11, 12 }, { 0.85f, 20, 21 }, { 0.7f, 12, 20 },
            { 0.99f, 30, 31 }, { 0.6f, 40, 41 }, { 0.91f, 5, 50 }, { 0.92f, 50, 51 }, { 0.93f, 51, 52 },
        };
        struct mine_clusters c;
        CHECK_OK(mine_components(p, 9, 0.8f, 2, &c));
        /* {5,50,51,52} {10,11,12} {20,21} {30,31}; the 0.7 and 0.6 edges are below */
        CHECK_INT(c.n, 4);
        if (c.n == 4) {
            int64_t want[] = { 5, 50, 51, 52, 10, 11, 12, 20, 21, 30, 31 };
            size_t wstart[] = { 0, 4, 7, 9, 11 };
            for (int i = 0; i < 5; i++) CHECK_INT(c.start[i], wstart[i]);
            for (int i = 0; i < 11; i++) CHECK_INT(c.member[i], want[i]);
        }
        mine_clusters_release(&c);
        CHECK_OK(mine_components(p, 9, 0.8f, 3, &c));
        CHECK_INT(c.n, 2);
        mine_clusters_release(&c);
        CHECK_OK(mine_components(p, 9, 0.5f, 2, &c)); /* 0.7 joins 10..12 with 20,21; 40,41 */
        CHECK_INT(c.n, 4);
        if (c.n == 4) {
            CHECK_INT(c.start[1] - c.start[0], 5);
            CHECK_INT(c.member[0], 10);
            CHECK_INT(c.member[c.start[3]], 40);
        }
        mine_clusters_release(&c);
        CHECK_OK(mine_components(p, 0, 0.5f, 2, &c));
        CHECK_INT(c.n, 0);
        mine_clusters_release(&c);
    }

    TEST("community detection follows sentence-transformers' semantics") {
        /* unit vectors in 3-d: group A near e1 (4 members), group B near e2
         * (3 members), one vector between A and B, one alone near e3 */
        float x[] = {
            1, 0, 0,   0.99f, 0.14f, 0,   0.98f, 0, 0.2f,   0.97f, 0.1f, 0.1f,  /* A: rows 0-3 */
            0, 1, 0,   0.1f, 0.99f, 0,    0, 0.98f, 0.2f,                       /* B: rows 4-6 */
            0.8f, 0.6f, 0,                                                       /* row 7: between */
            0, 0, 1,                                                             /* row 8 */
        };
        ann_normalize(x, 9, 3);
        int64_t cid[9] = { 100, 101, 102, 103, 200, 201, 202, 300, 400 };
        struct mine_clusters c;
        CHECK_OK(mine_communities(x, cid, 9, 3, 0.9f, 3, &c));
        CHECK_INT(c.n, 2);
        if (c.n == 2) {
            CHECK_INT(c.start[1] - c.start[0], 4);
            CHECK_INT(c.start[2] - c.start[1], 3);
            /* the first member is the proposing (central) vector: the first
             * row with the largest community, i.e. row 0 for A, row 4 for B */
            CHECK_INT(c.member[0], 100);
            CHECK_INT(c.member[4], 200);
        }
        mine_clusters_release(&c);
        /* at 0.7 row 7 (cos 0.8 to e1, 0.6 to e2, ~0.78-0.8 to A members)
         * proposes A + itself (5); A's rows propose A + row 7; larger first */
        CHECK_OK(mine_communities(x, cid, 9, 3, 0.7f, 3, &c));
        CHECK_TRUE(c.n == 2);
        if (c.n == 2) CHECK_INT(c.start[1] - c.start[0], 5);
        mine_clusters_release(&c);
        /* min size larger than n is clamped to n, as upstream does */
        CHECK_OK(mine_communities(x, cid, 4, 3, 0.9f, 50, &c));
        CHECK_INT(c.n, 1);
        mine_clusters_release(&c);
    }

    free(xi);
    free(ref);
    return test_summary();
}
