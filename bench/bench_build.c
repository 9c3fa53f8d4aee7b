/*
 * bench_build.c - `semindex bench build`: the out-of-core index build and
 * ANN mining at model dimension, on a synthetic store written here.
 *
 * Stages, each printed as "key value" lines with its wall time and its peak
 * resident memory (VmHWM, reset before the stage through
 * /proc/self/clear_refs):
 *   1. write: a store of N unit vectors (f16) around C cluster centres
 *      (default N / 32: clusters of ~32, so a vector's 10 nearest are its
 *      cluster mates; in clusters of ~10 the 10th is noise, nearly
 *      equidistant from everything, which no index finds short of scanning
 *      most lists); the centres lie around T topics (default C / 32;
 *      cosine ~0.7 to their topic), the coarse structure real embeddings
 *      have (subjects) and IVF's lists follow; --topics 0 draws the centres
 *      uniformly, which leaves the lists nothing to follow (at 2M x 768
 *      IVF2048 then needed nprobe 32 for recall@10 0.95); each vector gets its own noise level, its cosine to its
 *      centre 0.82 .. 0.96, so pair scores spread around 0.8 and do not tie;
 *      each chunk has a short text; no encoder; transactions of 65536
 *      chunks in id order (LMDB appends at the right edge);
 *   2. build: build_index_stream with --memory-budget, exactly what
 *      `semindex build --rebuild` does (the vectors streamed from the store);
 *      recall_at_10 is the build's own measure (the index's top 10 against
 *      exact search of its held-out tuning sample over all N);
 *      assign_seconds is the IVF pass assigning every vector to its list
 *      before the add (build.h "Adding"), included in add_seconds;
 *   3. mine: mine_ann_stream over the store (what `semindex mine --ann`
 *      does, the pairs kept in memory instead of a report), top-k --top-k,
 *      pairs from --threshold, max_pairs N * top-k (every pair kept);
 *   4. pair recall on a sample: --sample evenly spaced vectors are searched
 *      exactly over all N (blocked sgemm over the streamed store); a
 *      sample vector's exact top-k neighbours scoring >= the threshold are
 *      the reference pairs, and a reference pair counts as found when the
 *      mined pairs hold a pair of that vector whose score reaches the
 *      reference pair's (so equal-score neighbours are interchangeable,
 *      as in build_recall_at_10); and sample_recall_at_10, the index's
 *      recall@10 at the nprobe mining used (--nprobe, else the tuned one)
 *      on the same sample: of its top 10 through the index (re-scored from
 *      the stored vectors), those reaching the exact 10th score, as
 *      build_recall_at_10 counts.
 * The store is written to --dir (default a new directory under $TMPDIR or
 * /tmp) and removed at the end unless --keep. --reuse skips stages 1 and 2
 * and mines the store and index a --keep run left in --dir (to measure
 * the mining again without writing and building millions of vectors).
 */
#include <cblas.h>
#include <stddef.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "bench/bench.h"
#include "common/err.h"
#include "common/fsutil.h"
#include "common/log.h"
#include "common/mem.h"
#include "index/ann/ann.h"
#include "index/build.h"
#include "index/store/store.h"
#include "pipeline/cli.h"
#include "query/mine.h"
#include "query/search.h"

struct build_bench_options {
    long n, dim, clusters, topics, top_k, sample, nprobe;
    uint64_t memory_budget;
    double threshold;
    char *dir;
    int keep, reuse;
};

#define O(f) offsetof(struct build_bench_options, f)
static const struct opt build_bench_opts[] = {
    OPT("n", 0, OPT_INT, O(n), "N", "vectors in the synthetic store", .lo = 2, .hi = 1e9, .def = "1000000"),
    OPT("dim", 0, OPT_INT, O(dim), "D", "dimension", .lo = 2, .hi = 4096, .def = "768"),
    OPT("memory-budget", 0, OPT_SIZE, O(memory_budget), "SIZE", "the build's budget, as for semindex build",
        .lo = 1, .def = "2G"),
    OPT("clusters", 0, OPT_INT, O(clusters), "C", "cluster centres (default N / 32)", .lo = 1, .hi = 1e9),
    OPT("topics", 0, OPT_INT, O(topics), "T", "topics the centres lie around (default C / 32;\n0: uniform centres)",
        .lo = 0, .hi = 1e9),
    OPT("top-k", 0, OPT_INT, O(top_k), "K", "neighbours per vector when mining", .lo = 1, .hi = 1000,
        .def = "10"),
    OPT("threshold", 0, OPT_NUM, O(threshold), "S", "pairs kept from this cosine", .lo = -1, .hi = 1,
        .def = "0.8"),
    OPT("sample", 0, OPT_INT, O(sample), "Q", "vectors searched exactly for the pair recall", .lo = 1,
        .hi = 100000, .def = "200"),
    OPT("nprobe", 0, OPT_INT, O(nprobe), "P", "lists a search probes when mining (default: the\nbuild's tuned nprobe)", .lo = 1,
        .hi = 1e6),
    OPT("dir", 0, OPT_STR, O(dir), "DIR", "where to write the store (default: a new directory\nin $TMPDIR)"),
    OPT("keep", 0, OPT_FLAG, O(keep), NULL, "keep the store (and its index) afterwards"),
    OPT("reuse", 0, OPT_FLAG, O(reuse), NULL, "mine the store and index a --keep run left in --dir:\nno write, no build (implies --keep)"),
};
#undef O
static const struct opt_group build_bench_groups[] = { OPT_GROUP(build_bench_opts, 0, NULL) };
static const struct opts_cmd build_bench_cmd = {
    .name = "bench build", .groups = build_bench_groups, .n_groups = 1,
};

#define FINGERPRINT "00000000000000000000000000bench0"
#define WRITE_TXN_ROWS 65536

static uint64_t rng_state;
static uint64_t rnd(void)
{
    rng_state ^= rng_state << 13; rng_state ^= rng_state >> 7; rng_state ^= rng_state << 17;
    return rng_state;
}
static double unif(void) { return ((rnd() >> 11) + 0.5) * (1.0 / 9007199254740992.0); }
/* two standard normals per call (Box-Muller) */
static void gauss2(float *a, float *b)
{
    double r = sqrt(-2 * log(unif())), t = 6.283185307179586 * unif();
    *a = (float)(r * cos(t));
    *b = (float)(r * sin(t));
}
static void gauss_fill(float *x, int dim)
{
    float spare;
    for (int j = 0; j < dim; j += 2) gauss2(&x[j], j + 1 < dim ? &x[j + 1] : &spare);
}

struct gen {
    int64_t n, next, clusters;
    int dim;
    const float *centres;
    float *v;
};

static int write_batch(struct store_txn *t, void *ctx)
{
    struct gen *g = ctx;
    if (g->next == 0) FORWARD_ERR(store_set_model(t, "bench:synthetic", FINGERPRINT, g->dim, STORE_F16));
    int64_t end = g->next + WRITE_TXN_ROWS < g->n ? g->next + WRITE_TXN_ROWS : g->n;
    char text[64];
    for (int64_t i = g->next; i < end; i++) {
        const float *c = g->centres + (size_t)(rnd() % (uint64_t)g->clusters) * (size_t)g->dim;
        float sigma = (float)(0.01 + 0.015 * unif()); /* per-dimension noise: cosine to the centre 0.82 .. 0.96 */
        gauss_fill(g->v, g->dim);
        for (int j = 0; j < g->dim; j++) g->v[j] = c[j] + sigma * g->v[j];
        ann_normalize(g->v, 1, g->dim);
        int len = snprintf(text, sizeof text, "synthetic chunk %lld", (long long)i);
        struct store_chunk ch = { .id = (uint64_t)i, .doc = 0, .start = 0, .end = (uint64_t)len, .n_tokens = 4 };
        FORWARD_ERR(store_put_chunk(t, &ch, text, (size_t)len));
        FORWARD_ERR(store_put_vector(t, (uint64_t)i, g->v));
    }
    g->next = end;
    return 0;
}

/* the synthetic store: n chunks with ids 0 .. n-1 */
static int write_store(const char *dir, int64_t n, int dim, int64_t clusters, int64_t topics)
{
    struct store *s = NULL;
    struct gen g = { n, 0, clusters, dim, NULL, NULL };
    float *centres = mem_alloc_array((size_t)clusters, (size_t)dim * sizeof *centres);
    g.v = mem_alloc_array((size_t)dim, sizeof *g.v);
    int rc = centres && g.v ? 0 : err_set(ERR_NOMEM, "out of memory for %lld centres", (long long)clusters);
    if (rc == 0) {
        rng_state = 0x9E3779B97F4A7C15ull;
        for (int64_t c = 0; c < clusters; c++) gauss_fill(centres + (size_t)c * (size_t)dim, dim);
        if (topics > 0) { /* centre = topic + noise of norm ~1: cosine ~0.7 to the topic */
            float *top = mem_alloc_array((size_t)topics, (size_t)dim * sizeof *top);
            if (!top) rc = err_set(ERR_NOMEM, "out of memory for %lld topics", (long long)topics);
            for (int64_t t = 0; top && t < topics; t++) gauss_fill(top + (size_t)t * (size_t)dim, dim);
            if (top) ann_normalize(top, topics, dim);
            for (int64_t c = 0; top && c < clusters; c++) {
                float *x = centres + (size_t)c * (size_t)dim;
                const float *tp = top + (size_t)(c % topics) * (size_t)dim;
                for (int j = 0; j < dim; j++) x[j] = tp[j] + x[j] / sqrtf((float)dim);
            }
            mem_free(top);
        }
        ann_normalize(centres, clusters, dim);
        g.centres = centres;
    }
    if (rc == 0) rc = store_open(dir, STORE_CREATE, &s);
    while (rc == 0 && g.next < n) rc = store_write(s, write_batch, &g);
    store_close(s);
    mem_free(centres);
    mem_free(g.v);
    return rc;
}

/* CPU seconds (user + system, all threads) used so far: on a shared machine
 * the stage's CPU time / the cores is the honest estimate of its idle wall
 * time */
static double cpu_sec(void)
{
    struct rusage u;
    if (getrusage(RUSAGE_SELF, &u) < 0) return 0;
    return (double)(u.ru_utime.tv_sec + u.ru_stime.tv_sec) + (u.ru_utime.tv_usec + u.ru_stime.tv_usec) * 1e-6;
}

static int cmp_score_desc(const void *x, const void *y)
{
    float a = *(const float *)x, b = *(const float *)y;
    return (a < b) - (a > b);
}

/* exact top-k (self excluded) of the nq sample rows q (ids qid) over the
 * streamed source: ts (nq x k, best first; -inf when fewer) */
static int exact_topk(const struct build_source *src, int dim, const float *q, const int64_t *qid, int nq, int k,
                      float *ts)
{
    size_t cap = 4096;
    float *x = mem_alloc_array(cap, (size_t)dim * sizeof *x), *sc = mem_alloc_array((size_t)nq * cap, sizeof *sc);
    int64_t *ids = mem_alloc_array(cap, sizeof *ids);
    int rc = x && sc && ids ? 0 : err_set(ERR_NOMEM, "out of memory for the exact search");
    for (size_t i = 0; i < (size_t)nq * (size_t)k; i++) ts[i] = -INFINITY;
    if (rc == 0) rc = src->rewind(src->ctx);
    long m;
    while (rc == 0 && (m = src->next(src->ctx, ids, x, cap)) != 0) {
        if (m < 0) { rc = (int)m; break; }
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, nq, (int)m, dim, 1.0f, q, dim, x, dim, 0.0f, sc, (int)m);
        for (int i = 0; i < nq; i++) {
            float *l = ts + (size_t)i * (size_t)k;
            for (long j = 0; j < m; j++) {
                float s = sc[(size_t)i * (size_t)m + (size_t)j];
                if (ids[j] == qid[i] || s <= l[k - 1]) continue;
                int p = k - 1;
                while (p > 0 && s > l[p - 1]) { l[p] = l[p - 1]; p--; }
                l[p] = s;
            }
        }
    }
    mem_free(x);
    mem_free(sc);
    mem_free(ids);
    return rc;
}

/* pair recall of the mined pairs p (np) on the sample (see the top) */
static double sample_pair_recall(const struct mine_pair *p, size_t np, const int64_t *qid, int nq, int k,
                                 const float *ts, float thr, size_t *n_ref)
{
    float *got = mem_alloc_array((size_t)k, sizeof *got);
    size_t ref = 0, hit = 0;
    for (int i = 0; got && i < nq; i++) {
        int ng = 0;
        for (size_t r = 0; r < np; r++)  /* nq passes over the pairs: the sample is small */
            if (p[r].a == qid[i] || p[r].b == qid[i]) {
                if (ng < k) got[ng++] = p[r].score;
                else if (p[r].score > got[k - 1]) got[k - 1] = p[r].score;
                else continue;
                qsort(got, (size_t)ng, sizeof *got, cmp_score_desc);
            }
        const float *l = ts + (size_t)i * (size_t)k;
        for (int j = 0; j < k; j++) {
            if (!(l[j] >= thr)) break;
            ref++;
            /* the j-th best mined neighbour reaches the j-th exact score */
            if (j < ng && got[j] >= l[j] - 1e-5f) hit++;
        }
    }
    mem_free(got);
    *n_ref = ref;
    return ref ? (double)hit / (double)ref : 1.0;
}

/* index_recall: recall@kr (kr <= k) of the index as mining searched it
 * (its nprobe) on the sample, as build_recall_at_10 counts: each sample
 * row's kr + 1 best through the index, itself dropped, re-scored exactly
 * from the stored vectors; one of them matches when its true score reaches
 * the exact kr-th score ts (so ties and compressed codes' rank errors among
 * equals do not count as misses) */
static int index_recall(const struct ann *a, const struct build_source *src, int dim, const float *q,
                        const int64_t *qid, int nq, int k, int kr, const float *ts, double *out)
{
    int kk = kr + 1;
    float *sc = mem_alloc_array((size_t)nq * (size_t)kk, sizeof *sc), *v = mem_alloc_array((size_t)dim, sizeof *v);
    float *got = mem_alloc_array((size_t)kk, sizeof *got);
    int64_t *ids = mem_alloc_array((size_t)nq * (size_t)kk, sizeof *ids);
    int rc = sc && v && got && ids ? 0 : err_set(ERR_NOMEM, "out of memory for the sample's index search");
    if (rc == 0) rc = ann_search(a, q, nq, kk, sc, ids);
    size_t ref = 0, hit = 0;
    for (int i = 0; rc == 0 && i < nq; i++) {
        int ng = 0;
        for (int j = 0; j < kk && rc == 0 && ng < kr; j++) {
            int64_t id = ids[(size_t)i * (size_t)kk + (size_t)j];
            if (id < 0 || id == qid[i]) continue;
            rc = src->vector(src->ctx, id, v);
            if (rc == 0) got[ng++] = (float)cblas_sdot(dim, q + (size_t)i * (size_t)dim, 1, v, 1);
        }
        ref += (size_t)kr;
        for (int j = 0; j < ng; j++)
            if (got[j] >= ts[(size_t)i * (size_t)k + (size_t)(kr - 1)] - 1e-5f) hit++;
    }
    *out = ref ? (double)hit / (double)ref : 1.0;
    mem_free(sc); mem_free(v); mem_free(got); mem_free(ids);
    return rc;
}

/* build_bench: the benchmark; the exit status. */
static int build_bench(const struct build_bench_options *cfg)
{
    long n = cfg->n, dim = cfg->dim, clusters = cfg->clusters, topics = cfg->topics, top_k = cfg->top_k, sample = cfg->sample,
         nprobe = cfg->nprobe;
    uint64_t budget = cfg->memory_budget;
    double thr = cfg->threshold;
    const char *dir = cfg->dir;
    int keep = cfg->keep || cfg->reuse, reuse = cfg->reuse;
    if (reuse && !dir) {
        fprintf(stderr, "error: --reuse needs --dir (a store kept by --keep)\n");
        return EXIT_USAGE;
    }
    if (!clusters) clusters = n / 32 ? n / 32 : 1;
    if (clusters > n) clusters = n;
    if (topics < 0) topics = clusters / 32 ? clusters / 32 : 1;
    if (topics > clusters) topics = clusters;
    if (sample > n) sample = n;
    char tmpl[512];
    if (!dir) {
        const char *tmp = getenv("TMPDIR");
        snprintf(tmpl, sizeof tmpl, "%s/semindex-bench-build.XXXXXX", tmp && *tmp ? tmp : "/tmp");
        if (!mkdtemp(tmpl)) {
            fprintf(stderr, "error: cannot make a directory from '%s'\n", tmpl);
            return EXIT_FAIL;
        }
        dir = tmpl;
    }
    printf("vectors %ld\ndim %ld\nclusters %ld\ntopics %ld\nmemory_budget_mb %.0f\ntop_k %ld\nthreshold %.3f\nstore %s\n", n, dim,
           clusters, topics, (double)budget / 1048576.0, top_k, thr, dir);
    fflush(stdout);

    int rc = EXIT_FAIL;
    struct store *s = NULL;
    struct store_txn *t = NULL;
    struct store_info in;
    struct search_src ss = { NULL, NULL, 0 };
    struct build_source src;
    struct ann *a = NULL;
    struct mine_pair *pairs = NULL;
    size_t np = 0;
    float *q = NULL, *ts = NULL;
    int64_t *qid = NULL;
    struct buf path = BUF_INIT;
    double total = 0, peak = 0, pk;

    /* 1. write */
    cli_peak_reset();
    double t0 = now_sec(), c0 = cpu_sec();
    if (reuse) goto opened;
    if (write_store(dir, n, (int)dim, clusters, topics) < 0) { cli_fail(NULL); goto out; }
    double tw = now_sec() - t0;
    printf("write_seconds %.2f\nwrite_cpu_seconds %.2f\nwrite_rows_per_second %.0f\nwrite_peak_rss_mb %.0f\n", tw,
           cpu_sec() - c0, n / tw, cli_peak_rss_mb());
    fflush(stdout);

opened:
    if (store_open(dir, STORE_RDONLY, &s) < 0 || store_read_begin(s, &t) < 0 || store_txn_info(t, &in) < 0 ||
        search_source(&ss, t, &in, &src) < 0) {
        cli_fail(NULL);
        goto out;
    }
    printf("store_mb %.0f\n", (double)in.file_size / 1048576.0);
    struct build_meta meta = { in.fingerprint, in.generation };
    double cb = 0;
    if (reuse) {
        if ((long)in.dim != dim) {
            fprintf(stderr, "error: the store in '%s' has dimension %d, not %ld\n", dir, (int)in.dim, dim);
            goto out;
        }
        n = (long)in.n_vectors;
        if (sample > n) sample = n;
        search_index_path(&path, dir);
        printf("reused %ld vectors\n", n);
        goto mine;
    }

    /* 2. build */
    search_index_path(&path, dir);
    struct build_options bo = BUILD_OPTIONS_INIT;
    bo.memory_budget = budget;
    struct build_result br;
    cli_peak_reset();
    t0 = now_sec();
    c0 = cpu_sec();
    if (build_index_stream(path.data, &src, (int)dim, &meta, &bo, &br) < 0) { cli_fail(NULL); goto out; }
    double tb = now_sec() - t0;
    cb = cpu_sec() - c0;
    total += tb;
    printf("factory %s\nnprobe %d\nn_train %lld\nest_index_mb %.0f\nest_work_mb %.0f\ntrain_seconds %.2f\n"
           "assign_seconds %.2f\nadd_seconds %.2f\ntune_seconds %.2f\nbuild_seconds %.2f\nbuild_cpu_seconds %.2f\n"
           "build_peak_rss_mb %.0f\nrecall_at_10 %.4f\n",
           br.plan.factory, br.nprobe, (long long)br.plan.n_train, (double)br.plan.est_bytes / 1048576.0,
           (double)br.plan.work_bytes / 1048576.0, br.train_seconds, br.assign_seconds, br.add_seconds, br.tune_seconds, tb, cb,
           pk = cli_peak_rss_mb(), br.recall);
    if (pk > peak) peak = pk;
    fflush(stdout);

    /* 3. ANN mine, the store streamed */
mine:
    cli_peak_reset();
    t0 = now_sec();
    c0 = cpu_sec();
    /* the inverted lists mapped: list-wise mining reads only their ids and
     * the quantizer, so the codes stay on disk */
    if (build_open(path.data, &meta, (int)dim, (int64_t)in.n_vectors, ANN_READ_MMAP, &a) < 0) {
        cli_fail(NULL);
        goto out;
    }
    if (nprobe > 0 && ann_set_param(a, "nprobe", (double)nprobe) < 0) { cli_fail(NULL); goto out; }
    struct mine_options mo = MINE_OPTIONS_INIT;
    struct mine_stats ms = { 0 };
    mo.top_k = (int)top_k;
    mo.threshold = (float)thr;
    mo.max_pairs = (size_t)n * (size_t)top_k;
    mo.cache_bytes = mine_cache_bytes(a, (int)dim, &mo, budget);
    mo.stats = &ms;
    if (src.rewind(src.ctx) < 0 || mine_ann_stream(a, (int)dim, &src, &mo, &pairs, &np) < 0) {
        cli_fail(NULL);
        goto out;
    }
    double tm = now_sec() - t0, cm = cpu_sec() - c0;
    total += tm;
    printf("mine_nprobe %d\n", ann_nprobe(a));
    printf("mine_seconds %.2f\nmine_cpu_seconds %.2f\nmine_pairs %zu\nmine_peak_rss_mb %.0f\nmine_cache_mb %.0f\n"
           "mine_list_loads %llu\nmine_vectors_read %llu\nmine_scores %.4g\n", tm, cm, np, pk = cli_peak_rss_mb(),
           (double)mo.cache_bytes / 1048576.0, (unsigned long long)ms.list_loads, (unsigned long long)ms.vectors_read,
           (double)ms.scores);
    if (!reuse) printf("build_and_mine_seconds %.2f\nbuild_and_mine_cpu_seconds %.2f\n", total, cb + cm);
    if (pk > peak) peak = pk;
    fflush(stdout);

    /* 4. pair recall against exact search of a sample */
    q = mem_alloc_array((size_t)sample, (size_t)dim * sizeof *q);
    qid = mem_alloc_array((size_t)sample, sizeof *qid);
    ts = mem_alloc_array((size_t)sample, (size_t)top_k * sizeof *ts);
    if (!q || !qid || !ts) { err_set(ERR_NOMEM, "out of memory for the sample"); cli_fail(NULL); goto out; }
    t0 = now_sec();
    for (long i = 0; i < sample; i++) {
        qid[i] = (int64_t)((double)i * (double)n / (double)sample);
        if (src.vector(src.ctx, qid[i], q + (size_t)i * (size_t)dim) < 0) { cli_fail(NULL); goto out; }
    }
    if (exact_topk(&src, (int)dim, q, qid, (int)sample, (int)top_k, ts) < 0) { cli_fail(NULL); goto out; }
    size_t nref;
    double prec = sample_pair_recall(pairs, np, qid, (int)sample, (int)top_k, ts, (float)thr, &nref);
    int kr = top_k < 10 ? (int)top_k : 10;
    double irec;
    if (index_recall(a, &src, (int)dim, q, qid, (int)sample, (int)top_k, kr, ts, &irec) < 0) { cli_fail(NULL); goto out; }
    printf("sample %ld\nsample_exact_seconds %.2f\nsample_pairs %zu\npair_recall %.4f\nsample_recall_at_%d %.4f\n", sample,
           now_sec() - t0, nref, prec, kr, irec);
    /* the larger of the build's and the mining's peaks (the store writer's
     * and the sample check's are reported on their own; with --reuse the
     * mining's) */
    printf("peak_rss_mb %.0f\n", peak);
    rc = EXIT_OK;
out:
    ann_free(a);
    search_source_release(&ss);
    store_read_end(t);
    store_close(s);
    mem_free(pairs);
    mem_free(q);
    mem_free(qid);
    mem_free(ts);
    buf_release(&path);
    if (!keep && fs_remove_tree(dir) < 0) log_warn("%s", err_msg());
    return rc;
}

int bench_build(int argc, char **argv)
{
    struct build_bench_options cfg = { .n = 1000000, .dim = 768, .topics = -1, .top_k = 10, .sample = 200,
                                       .memory_budget = 2ull << 30, .threshold = 0.8 };
    int first, rc = opts_parse(&build_bench_cmd, &cfg, argc, argv, &first);
    if (rc != OPTS_CONTINUE) return rc;
    rc = build_bench(&cfg);
    opts_release(&build_bench_cmd, &cfg);
    return rc;
}
