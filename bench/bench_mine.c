/*
 * bench_mine.c - `semindex bench mine`: paraphrase mining, exact (blocked
 * sgemm, query/mine.c) against FAISS kNN (IVF), on synthetic vectors built
 * here, with a naive O(n^2) loop as the same-run baseline.
 *
 * Three measurements, each printed as "key value" lines:
 *   1. naive vs exact on --naive-n vectors: the plain double loop over all
 *      pairs (one dot product at a time, a top-k list per row) against
 *      mine_exact; identical pairs are checked; the ratio is the speed-up;
 *   2. exact vs ANN on --exact-n vectors: time, peak memory (VmHWM, reset
 *      before each phase through /proc/self/clear_refs) and the ANN's recall
 *      of the exact pairs above the threshold;
 *   3. ANN alone on all --n vectors (default 1M): index build (train + add),
 *      mining time and peak memory; the exact time for n is extrapolated
 *      from step 2 as quadratic and labelled so (running it would take hours
 *      on a small machine: n^2 dim multiply-adds).
 * Data: --clustered (default: vectors around n/100 centres plus noise, so
 * that there are many pairs above the threshold) or --random (uniform on
 * the sphere). Seeded, so runs are repeatable.
 */
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench/bench.h"
#include "common/err.h"
#include "common/log.h"
#include "common/mem.h"
#include "index/ann/ann.h"
#include "pipeline/cli.h"
#include "query/mine.h"

struct mine_bench_options {
    long n, dim, exact_n, naive_n, top_k, nlist, nprobe;
    int random, clustered;
    double threshold;
};

#define O(f) offsetof(struct mine_bench_options, f)
static const struct opt mine_bench_opts[] = {
    OPT("n", 0, OPT_INT, O(n), "N", "vectors for the ANN run", .lo = 2, .hi = 1e8, .def = "1000000"),
    OPT("dim", 0, OPT_INT, O(dim), "D", "dimension", .lo = 1, .hi = 4096, .def = "32"),
    OPT("exact-n", 0, OPT_INT, O(exact_n), "N", "vectors for exact vs ANN", .lo = 2, .hi = 1e8, .def = "100000"),
    OPT("naive-n", 0, OPT_INT, O(naive_n), "N", "vectors for naive vs exact", .lo = 2, .hi = 1e8, .def = "10000"),
    OPT("random", 0, OPT_FLAG, O(random), NULL, "uniform random unit vectors"),
    OPT("clustered", 0, OPT_FLAG, O(clustered), NULL, "vectors around n/100 centres (the default)"),
    OPT("top-k", 0, OPT_INT, O(top_k), "K", "neighbours per vector", .lo = 1, .hi = 1000, .def = "10"),
    OPT("threshold", 0, OPT_NUM, O(threshold), "S", "pairs kept from this cosine", .lo = -1, .hi = 1,
        .def = "0.8"),
    OPT("nlist", 0, OPT_INT, O(nlist), "K", "IVF lists (default 4 sqrt(n), a power of two)", .lo = 1, .hi = 1e8),
    OPT("nprobe", 0, OPT_INT, O(nprobe), "P", "IVF lists searched", .lo = 1, .hi = 1e8, .def = "16"),
};
#undef O
static const struct opt_group mine_bench_groups[] = { OPT_GROUP(mine_bench_opts, 0, NULL) };
static const struct opts_cmd mine_bench_cmd = { .name = "bench mine", .groups = mine_bench_groups, .n_groups = 1 };

static uint64_t rng_state;
static uint64_t rnd(void)
{
    rng_state ^= rng_state << 13; rng_state ^= rng_state >> 7; rng_state ^= rng_state << 17;
    return rng_state;
}
static double unif(void) { return ((rnd() >> 11) + 0.5) * (1.0 / 9007199254740992.0); }
static float gauss(void) { return (float)(sqrt(-2 * log(unif())) * cos(6.283185307179586 * unif())); }

static float *make_data(size_t n, int dim, int clustered)
{
    float *x = mem_alloc_array(n, (size_t)dim * sizeof *x);
    if (!x) return NULL;
    rng_state = 0x9E3779B97F4A7C15ull;
    size_t nc = n / 100 ? n / 100 : 1;
    float *c = clustered ? mem_alloc_array(nc, (size_t)dim * sizeof *c) : NULL;
    if (clustered && !c) { mem_free(x); return NULL; }
    if (c) for (size_t i = 0; i < nc * (size_t)dim; i++) c[i] = gauss();
    for (size_t i = 0; i < n; i++) {
        const float *ci = c ? c + (rnd() % nc) * dim : NULL;
        for (int j = 0; j < dim; j++) x[i * dim + j] = (ci ? ci[j] : 0) + (c ? 0.3f : 1.0f) * gauss();
    }
    mem_free(c);
    ann_normalize(x, (int64_t)n, dim);
    return x;
}

/* the naive baseline: every pair, one dot product at a time */
static int naive_mine(const float *x, size_t n, int dim, const struct mine_options *o, size_t *n_pairs)
{
    int k = o->top_k;
    float *ls = mem_alloc_array((size_t)k, sizeof *ls);
    int64_t *lc = mem_alloc_array((size_t)k, sizeof *lc);
    size_t cap = n * (size_t)k, m = 0;
    struct mine_pair *p = mem_alloc_array(cap ? cap : 1, sizeof *p);
    if (!ls || !lc || !p) { mem_free(ls); mem_free(lc); mem_free(p); return err_nomem(); }
    for (size_t i = 0; i < n; i++) {
        for (int t = 0; t < k; t++) ls[t] = -INFINITY, lc[t] = -1;
        for (size_t j = 0; j < n; j++) {
            if (j == i) continue;
            float s = 0;
            for (int d = 0; d < dim; d++) s += x[i * dim + d] * x[j * dim + d];
            if (s < o->threshold || (lc[k - 1] >= 0 && s <= ls[k - 1])) continue;
            int q = k - 1;
            while (q > 0 && (lc[q - 1] < 0 || s > ls[q - 1])) { ls[q] = ls[q - 1]; lc[q] = lc[q - 1]; q--; }
            ls[q] = s;
            lc[q] = (int64_t)j;
        }
        for (int t = 0; t < k && lc[t] >= 0; t++)
            p[m++] = (struct mine_pair){ ls[t], (int64_t)(i < (size_t)lc[t] ? i : (size_t)lc[t]),
                                         (int64_t)(i < (size_t)lc[t] ? (size_t)lc[t] : i) };
    }
    qsort(p, m, sizeof *p, mine_pair_cmp);
    size_t w = 0;
    for (size_t r = 0; r < m; r++)
        if (!w || p[r].a != p[w - 1].a || p[r].b != p[w - 1].b) p[w++] = p[r];
    /* a pair found from both sides may differ in the last bit: dedup by (a, b) */
    *n_pairs = w;
    mem_free(ls); mem_free(lc); mem_free(p);
    return 0;
}

static int cmp_ab(const void *x, const void *y)
{
    const struct mine_pair *p = x, *q = y;
    if (p->a != q->a) return p->a < q->a ? -1 : 1;
    return (p->b > q->b) - (p->b < q->b);
}

/* share of ref's pairs found in got (both sorted by (a, b) here) */
static double pair_recall(struct mine_pair *ref, size_t nr, struct mine_pair *got, size_t ng)
{
    qsort(ref, nr, sizeof *ref, cmp_ab);
    qsort(got, ng, sizeof *got, cmp_ab);
    size_t hit = 0;
    for (size_t i = 0, j = 0; i < nr; i++) {
        while (j < ng && cmp_ab(&got[j], &ref[i]) < 0) j++;
        if (j < ng && cmp_ab(&got[j], &ref[i]) == 0) hit++;
    }
    return nr ? (double)hit / (double)nr : 1.0;
}

static int64_t default_nlist(size_t n)
{
    double v = 4 * sqrt((double)n);
    int64_t k = (int64_t)1 << (int)floor(log2(v) + 0.5);
    while (k > 1 && (size_t)k * 39 > n) k /= 2;
    return k;
}

/* build an IVF index over x and mine with it; times and peak into out */
static int ann_run(const float *x, size_t n, int dim, int64_t nlist, int nprobe, const struct mine_options *o,
                   struct mine_pair **pairs, size_t *np, double *t_build, double *t_mine, double *peak)
{
    char factory[64];
    snprintf(factory, sizeof factory, "IVF%lld,Flat", (long long)nlist);
    struct ann *a = NULL;
    cli_peak_reset();
    double t0 = now_sec();
    FORWARD_ERR(ann_create(factory, dim, &a));
    int64_t nt = nlist * 64 < (int64_t)n ? nlist * 64 : (int64_t)n; /* 64 training vectors per list */
    int rc = ann_train(a, x, nt); /* the data is shuffled by construction: a prefix is a sample */
    if (rc == 0) rc = ann_add(a, x, NULL, (int64_t)n);
    if (rc == 0) rc = ann_set_param(a, "nprobe", nprobe);
    *t_build = now_sec() - t0;
    t0 = now_sec();
    if (rc == 0) rc = mine_ann(a, x, NULL, n, dim, o, pairs, np);
    *t_mine = now_sec() - t0;
    *peak = cli_peak_rss_mb();
    ann_free(a);
    return rc;
}

int bench_mine(int argc, char **argv)
{
    struct mine_bench_options bo = { .n = 1000000, .dim = 32, .exact_n = 100000, .naive_n = 10000, .top_k = 10,
                                     .nprobe = 16, .threshold = 0.8 };
    int first, rc = opts_parse(&mine_bench_cmd, &bo, argc, argv, &first);
    if (rc != OPTS_CONTINUE) return rc;
    if (bo.random && bo.clustered) return opts_error(&mine_bench_cmd, "give one of --random and --clustered");
    long n = bo.n, dim = bo.dim, exact_n = bo.exact_n, naive_n = bo.naive_n, top_k = bo.top_k, nlist = bo.nlist,
         nprobe = bo.nprobe;
    int clustered = !bo.random;
    double thr = bo.threshold;
    if (exact_n > n) exact_n = n;
    if (naive_n > exact_n) naive_n = exact_n;
    struct mine_options o = MINE_OPTIONS_INIT;
    o.top_k = (int)top_k;
    o.threshold = (float)thr;
    o.max_pairs = (size_t)n * (size_t)top_k; /* keep every pair: recall is about finding them */
    printf("data %s\nvectors %ld\ndim %ld\ntop_k %ld\nthreshold %.3f\n", clustered ? "clustered" : "random", n,
           dim, top_k, thr);
    double t0 = now_sec();
    float *x = make_data((size_t)n, (int)dim, clustered);
    if (!x) { err_set(ERR_NOMEM, "out of memory for %ld vectors", n); return cli_fail(NULL); }
    printf("data_seconds %.2f\n", now_sec() - t0);
    fflush(stdout);

    /* 1. naive vs exact: the same-run baseline */
    size_t nn = 0, ne = 0, na = 0;
    struct mine_pair *pe = NULL, *pa = NULL;
    t0 = now_sec();
    if (naive_mine(x, (size_t)naive_n, (int)dim, &o, &nn) < 0) return cli_fail(NULL);
    double t_naive = now_sec() - t0;
    t0 = now_sec();
    if (mine_exact(x, NULL, (size_t)naive_n, (int)dim, &o, &pe, &ne) < 0) return cli_fail(NULL);
    double t_ex_small = now_sec() - t0;
    printf("naive_n %ld\nnaive_seconds %.3f\nexact_seconds_at_naive_n %.3f\nnaive_pairs %zu\nexact_pairs_at_naive_n %zu\n"
           "speedup_exact_over_naive %.1f\n", naive_n, t_naive, t_ex_small, nn, ne, t_naive / t_ex_small);
    mem_free(pe);
    pe = NULL;
    fflush(stdout);

    /* 2. exact vs ANN on exact_n */
    cli_peak_reset();
    t0 = now_sec();
    if (mine_exact(x, NULL, (size_t)exact_n, (int)dim, &o, &pe, &ne) < 0) return cli_fail(NULL);
    double t_exact = now_sec() - t0, pk_exact = cli_peak_rss_mb();
    int64_t kl = nlist ? nlist : default_nlist((size_t)exact_n);
    double tb, tm, pk;
    if (ann_run(x, (size_t)exact_n, (int)dim, kl, (int)nprobe, &o, &pa, &na, &tb, &tm, &pk) < 0) return cli_fail(NULL);
    double rec = pair_recall(pe, ne, pa, na);
    printf("exact_n %ld\nexact_seconds %.2f\nexact_peak_mb %.0f\nexact_pairs %zu\n", exact_n, t_exact, pk_exact, ne);
    printf("ann_nlist %lld\nann_nprobe %ld\nann_build_seconds %.2f\nann_mine_seconds %.2f\nann_peak_mb %.0f\n"
           "ann_pairs %zu\nann_recall_of_exact_pairs %.4f\nspeedup_ann_over_exact %.1f\n",
           (long long)kl, nprobe, tb, tm, pk, na, rec, t_exact / (tb + tm));
    mem_free(pe);
    mem_free(pa);
    pe = pa = NULL;
    fflush(stdout);

    /* 3. ANN on all n; exact extrapolated */
    if (n > exact_n) {
        kl = nlist ? nlist : default_nlist((size_t)n);
        if (ann_run(x, (size_t)n, (int)dim, kl, (int)nprobe, &o, &pa, &na, &tb, &tm, &pk) < 0) return cli_fail(NULL);
        double ex = t_exact * ((double)n / exact_n) * ((double)n / exact_n);
        printf("full_n %ld\nfull_ann_nlist %lld\nfull_ann_build_seconds %.2f\nfull_ann_mine_seconds %.2f\n"
               "full_ann_peak_mb %.0f\nfull_ann_pairs %zu\nfull_exact_seconds_extrapolated %.0f\n"
               "full_speedup_ann_over_exact_extrapolated %.1f\n",
               n, (long long)kl, tb, tm, pk, na, ex, ex / (tb + tm));
        mem_free(pa);
    }
    mem_free(x);
    return EXIT_OK;
}
