/*
 * test_build.c - the index planner's choices, recall tuning against exact
 * search, the manifest (written next to the index, refusing a mismatched
 * store field by field, catching a changed index file), incremental
 * updates versus rebuilds, and an IVF build's heap held to its lists' exact
 * size.
 */
#include <malloc.h>
#include <math.h>
#include <omp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/err.h"
#include "common/fsutil.h"
#include "index/ann/ann.h"
#include "index/build.h"
#include "tests/check.h"

static uint64_t rng = 0x2545F4914F6CDD1Dull;
static uint64_t next(void) { rng ^= rng << 13; rng ^= rng >> 7; rng ^= rng << 17; return rng; }
static double unif(void) { return (next() >> 11) * (1.0 / 9007199254740992.0); }
static double gauss(void) { return sqrt(-2 * log(unif() + 1e-300)) * cos(6.283185307179586 * unif()); }

/* clustered data: nc centres, noise sigma */
static float *clustered(int64_t n, int d, int nc, double sigma)
{
    float *c = malloc(sizeof(float) * nc * d), *x = malloc(sizeof(float) * n * d);
    for (int i = 0; i < nc * d; i++) c[i] = (float)gauss();
    for (int64_t i = 0; i < n; i++)
        for (int j = 0; j < d; j++) x[i * d + j] = c[(next() % nc) * d + j] + (float)(sigma * gauss());
    ann_normalize(x, n, d);
    free(c);
    return x;
}

static int contains(const char *hay, const char *needle) { return strstr(hay, needle) != NULL; }

/* the heap in use: glibc's main arena plus its mmapped chunks (mallinfo2
 * sees only the main arena: run FAISS on one thread to keep it all there) */
static size_t heap_now(void)
{
    struct mallinfo2 m = mallinfo2();
    return m.uordblks + m.hblkhd;
}

/* a source over another that records the heap in use at every batch read:
 * the build's heap between batches (the add pass, the tuning pass) */
struct heap_src {
    struct build_source in;
    size_t peak;
};

static int heap_rewind(void *ctx) { struct heap_src *h = ctx; return h->in.rewind(h->in.ctx); }
static int heap_vector(void *ctx, int64_t id, float *x) { struct heap_src *h = ctx; return h->in.vector(h->in.ctx, id, x); }
static long heap_next(void *ctx, int64_t *ids, float *x, size_t cap)
{
    struct heap_src *h = ctx;
    size_t u = heap_now();
    if (u > h->peak) h->peak = u;
    return h->in.next(h->in.ctx, ids, x, cap);
}

int main(void)
{
    TEST("planner: Flat, HNSW, IVF, IVF-SQ8, IVF-PQ, OPQ by size and budget (index + sample + batch)") {
        struct build_plan p;
        CHECK_OK(build_plan_for(1000, 384, 0, &p));
        CHECK_STR(p.factory, "IDMap,Flat");
        CHECK_INT(p.n_train, 0);
        CHECK_OK(build_plan_for(100000, 384, 0, &p));
        CHECK_STR(p.factory, "IDMap,HNSW32");
        CHECK_OK(build_plan_for(100000, 384, 170ull << 20, &p)); /* HNSW32 needs ~173 MiB */
        CHECK_STR(p.factory, "IDMap,HNSW16");
        CHECK_OK(build_plan_for(5000000, 384, 0, &p)); /* 4 sqrt(5M) = 8944 -> 8192 */
        CHECK_STR(p.factory, "IVF8192,Flat");
        CHECK_INT(p.nlist, 8192);
        CHECK_INT(p.n_train, 500000); /* n / 10: between 39 and 64 per list */
        /* 8-bit codes fit when fewer lists (k / 8) leave room for the sample */
        CHECK_OK(build_plan_for(5000000, 384, 2ull << 30, &p));
        CHECK_STR(p.factory, "IVF1024,SQ8");
        CHECK_TRUE(p.est_bytes + p.work_bytes <= 2ull << 30); /* index + sample (x2) + one batch */
        CHECK_OK(build_plan_for(5000000, 384, 1300ull << 20, &p));
        CHECK_STR(p.factory, "IVF8192,PQ48np");
        CHECK_TRUE(p.n_train >= 39 * 8192 && p.est_bytes + p.work_bytes <= 1300ull << 20);
        /* the training sample counts: 8192 lists need 39 x 8192 vectors (x2
         * for the residuals), more than a 300 MiB budget leaves */
        CHECK_OK(build_plan_for(5000000, 384, 300ull << 20, &p));
        CHECK_STR(p.factory, "OPQ12_384,IVF8192,PQ12np");
        CHECK_INT(p.over_budget, 1);
        /* 1M x 768 under 2 GiB: IVF-Flat (3 GB) does not fit, 8-bit codes do */
        CHECK_OK(build_plan_for(1000000, 768, 2ull << 30, &p));
        CHECK_STR(p.factory, "IVF4096,SQ8");
        CHECK_INT(p.kind, BUILD_IVF_SQ8);
        CHECK_INT(p.over_budget, 0);
        CHECK_TRUE(p.n_train >= 39 * 4096 && p.est_bytes + p.work_bytes <= 2ull << 30);
        CHECK_INT(p.batch, 4096);
        CHECK_INT(p.n_train, 39 * 4096); /* n / 10 is below FAISS's 39 per list */
        /* above 2M vectors no HNSW; the sample is 39..64 per list, n / 10 between */
        CHECK_OK(build_plan_for(2000001, 64, 0, &p));
        CHECK_STR(p.factory, "IVF4096,Flat");
        CHECK_INT(p.n_train, 200000);
        CHECK_OK(build_plan_for(10000000, 64, 0, &p)); /* 4 sqrt(10M) = 12649 -> 16384 */
        CHECK_STR(p.factory, "IVF16384,Flat");
        CHECK_INT(p.n_train, 1000000);
        CHECK_INT(build_plan_for(0, 8, 0, &p), ERR_INVALID);
        CHECK_OK(build_plan_factory("OPQ8_32,IVF64,PQ8", 10000, 32, &p));
        CHECK_INT(p.nlist, 64);
        CHECK_INT(p.kind, BUILD_OPQ_IVF_PQ);
    }

    enum { N = 4000, D = 32 };
    float *x = clustered(N * 3, D, 200, 0.5);
    int64_t *ids = malloc(sizeof(int64_t) * N * 3);
    for (int i = 0; i < N * 3; i++) ids[i] = 5000 + 2 * (int64_t)i;
    char path[512];
    snprintf(path, sizeof path, "%s/index.faiss", test_tmpdir());
    struct build_meta meta = { "0123456789abcdef0123456789abcdef", 7 };

    TEST("IVF build tunes nprobe to the recall target, measured against exact search") {
        struct build_options o = BUILD_OPTIONS_INIT;
        o.factory = "IVF32,Flat";
        o.recall_target = 0.9;
        o.n_tune_queries = 200;
        struct build_result r;
        CHECK_OK(build_index(path, x, ids, N, D, &meta, &o, &r));
        CHECK_TRUE(r.recall >= 0.9);
        CHECK_TRUE(r.nprobe >= 1 && r.nprobe <= 32);
        CHECK_INT(r.ntotal, N);
        printf("  IVF32: nprobe %d recall@10 %.3f\n", r.nprobe, r.recall);
        struct ann *a = NULL;
        CHECK_OK(build_open(path, &meta, D, N, 0, &a));
        if (a) {
            /* independent queries (not the tuning sample) */
            float *q = clustered(300, D, 200, 0.5);
            double rec;
            CHECK_OK(build_recall_at_10(a, x, ids, N, D, x + 17 * D, 100, &rec));
            CHECK_TRUE(rec >= 0.85);
            ann_free(a);
            free(q);
        }
        char mp[600];
        snprintf(mp, sizeof mp, "%s.manifest.json", path);
        CHECK_TRUE(access(mp, F_OK) == 0);
    }

    TEST("HNSW and IVF-PQ builds tune efSearch and nprobe") {
        char p2[600];
        snprintf(p2, sizeof p2, "%s/hnsw.faiss", test_tmpdir());
        struct build_options o = BUILD_OPTIONS_INIT;
        o.factory = "IDMap,HNSW16";
        o.n_tune_queries = 200;
        struct build_result r;
        CHECK_OK(build_index(p2, x, ids, N, D, &meta, &o, &r));
        CHECK_TRUE(r.ef_search >= 16 && r.recall >= 0.95);
        printf("  HNSW16: efSearch %d recall@10 %.3f\n", r.ef_search, r.recall);
        snprintf(p2, sizeof p2, "%s/opq.faiss", test_tmpdir());
        /* OPQ training takes ~30 s of CPU even here: the planner's OPQ
         * strings are checked above, the PQ path is built here */
        o.factory = "IVF32,PQ8np";
        o.n_tune_queries = 100;
        o.recall_target = 0.5; /* 8-byte codes of 32-d vectors: recall is limited */
        CHECK_OK(build_index(p2, x, ids, 10000, D, &meta, &o, &r));
        CHECK_TRUE(r.nprobe >= 1 && r.recall >= 0.5);
        printf("  IVF32,PQ8np: nprobe %d recall@10 %.3f\n", r.nprobe, r.recall);
        struct ann *a = NULL;
        CHECK_OK(build_open(p2, &meta, D, 10000, 0, &a));
        ann_free(a);
    }

    TEST("auto on a small corpus is exact Flat with recall 1") {
        char p2[600];
        snprintf(p2, sizeof p2, "%s/flat.faiss", test_tmpdir());
        struct build_options o = BUILD_OPTIONS_INIT;
        struct build_result r;
        CHECK_OK(build_index(p2, x, ids, 3000, D, &meta, &o, &r));
        CHECK_STR(r.plan.factory, "IDMap,Flat");
        CHECK_NEAR(r.recall, 1.0, 0);
    }

    TEST("open refuses a manifest that does not match the store, naming the field") {
        struct ann *a = NULL;
        struct build_meta other = { "ffffffffffffffffffffffffffffffff", 7 };
        CHECK_INT(build_open(path, &other, D, N, 0, &a), ERR_MISMATCH);
        CHECK_TRUE(contains(err_msg(), "'model_fingerprint'"));
        struct build_meta later = { meta.model_fingerprint, 8 };
        CHECK_INT(build_open(path, &later, D, N, 0, &a), ERR_MISMATCH);
        CHECK_TRUE(contains(err_msg(), "'store_generation'"));
        CHECK_INT(build_open(path, &meta, D + 1, N, 0, &a), ERR_MISMATCH);
        CHECK_TRUE(contains(err_msg(), "'dim'"));
        CHECK_INT(build_open(path, &meta, D, N + 1, 0, &a), ERR_MISMATCH);
        CHECK_TRUE(contains(err_msg(), "'ntotal'"));
        CHECK_TRUE(a == NULL);
        /* mmap open works and keeps the tuned nprobe */
        CHECK_OK(build_open(path, &meta, D, N, ANN_READ_MMAP, &a));
        ann_free(a);
        a = NULL;
        /* a changed index file: the checksum refuses it */
        char cp[2000];
        snprintf(cp, sizeof cp, "cp '%s' '%s.bak' && printf x >> '%s'", path, path, path);
        CHECK_INT(system(cp), 0);
        CHECK_INT(build_open(path, &meta, D, N, 0, &a), ERR_MISMATCH);
        CHECK_TRUE(contains(err_msg(), "'checksum'"));
        /* path is a hard link to the data file the manifest names: restore in place */
        snprintf(cp, sizeof cp, "cat '%s.bak' > '%s' && rm '%s.bak'", path, path, path);
        CHECK_INT(system(cp), 0);
        CHECK_OK(build_open(path, &meta, D, N, 0, &a));
        ann_free(a);
        a = NULL;
        /* a missing or broken manifest */
        snprintf(cp, sizeof cp, "mv '%s.manifest.json' '%s.m' && echo '{\"format\": 1}' > '%s.manifest.json'", path, path, path);
        CHECK_INT(system(cp), 0);
        CHECK_INT(build_open(path, &meta, D, N, 0, &a), ERR_FORMAT);
        CHECK_TRUE(contains(err_msg(), "missing"));
        snprintf(cp, sizeof cp, "echo 'not json' > '%s.manifest.json'", path);
        CHECK_INT(system(cp), 0);
        CHECK_INT(build_open(path, &meta, D, N, 0, &a), ERR_FORMAT);
        snprintf(cp, sizeof cp, "rm '%s.manifest.json'", path);
        CHECK_INT(system(cp), 0);
        CHECK_INT(build_open(path, &meta, D, N, 0, &a), ERR_NOTFOUND);
        snprintf(cp, sizeof cp, "mv '%s.m' '%s.manifest.json'", path, path);
        CHECK_INT(system(cp), 0);
        CHECK_OK(build_open(path, &meta, D, N, 0, &a));
        ann_free(a);
    }

    TEST("update adds appended vectors; retrains when the store outgrew the index") {
        struct build_options o = BUILD_OPTIONS_INIT;
        o.factory = "IVF32,Flat";
        o.n_tune_queries = 200;
        struct build_result r;
        struct build_meta m2 = { meta.model_fingerprint, 8 };
        CHECK_OK(build_update(path, x, ids, N + 4000, D, &m2, &o, &r));
        CHECK_INT(r.rebuilt, 0);
        CHECK_INT(r.ntotal, N + 4000);
        CHECK_TRUE(r.recall >= 0.95 - 0.1);
        struct ann *a = NULL;
        CHECK_OK(build_open(path, &m2, D, N + 4000, 0, &a));
        if (a) { /* a new vector finds itself */
            float s[10];
            int64_t l[10];
            CHECK_OK(ann_search(a, x + (N + 100) * D, 1, 10, s, l));
            int found = 0;
            for (int i = 0; i < 10; i++) found |= l[i] == ids[N + 100];
            CHECK_TRUE(found);
        }
        ann_free(a);
        struct build_meta m3 = { meta.model_fingerprint, 9 };
        CHECK_OK(build_update(path, x, ids, N * 3, D, &m3, &o, &r)); /* 12000 > 2 x 4000 trained */
        CHECK_INT(r.rebuilt, 1);
        CHECK_INT(r.ntotal, N * 3);
        /* a store that did not only append: rebuilt */
        struct build_meta m4 = { meta.model_fingerprint, 10 };
        ids[5] = -1;
        CHECK_OK(build_update(path, x, ids, N * 3, D, &m4, &o, &r));
        CHECK_INT(r.rebuilt, 1);
        ids[5] = 5010;
        /* another model: rebuilt */
        struct build_meta m5 = { "another model", 11 };
        CHECK_OK(build_update(path, x, ids, N * 3, D, &m5, &o, &r));
        CHECK_INT(r.rebuilt, 1);
        /* unchanged store: nothing to add, not rebuilt */
        struct build_meta m6 = { "another model", 12 };
        CHECK_OK(build_update(path, x, ids, N * 3, D, &m6, &o, &r));
        CHECK_INT(r.rebuilt, 0);
        CHECK_OK(build_open(path, &m6, D, N * 3, 0, &a));
        ann_free(a);
    }

    TEST("the pair is one unit: a killed build's files leave the old pair usable and are swept") {
        char p2[600], f[700], cp[2000];
        snprintf(p2, sizeof p2, "%s/pair.faiss", test_tmpdir());
        struct build_options o = BUILD_OPTIONS_INIT;
        struct build_result r;
        CHECK_OK(build_index(p2, x, ids, 1000, D, &meta, &o, &r));
        /* a killed second build: its new data file written (renamed to its
         * final name) but not committed, and every temp file */
        const char *left[] = { ".new", ".new.tmp", ".tmp", ".manifest.json.tmp", ".link.tmp", ".00112233aabbccdd" };
        for (int i = 0; i < 6; i++) {
            snprintf(cp, sizeof cp, "printf garbage > '%s%s'", p2, left[i]);
            CHECK_INT(system(cp), 0);
        }
        struct ann *a = NULL;
        CHECK_OK(build_open(p2, &meta, D, 1000, 0, &a));
        ann_free(a);
        a = NULL;
        /* an index of an older generation with fewer vectors: refused by the
         * strict open, served by the stale one, which reports what it holds */
        struct build_meta later = { meta.model_fingerprint, 99 };
        CHECK_INT(build_open(p2, &later, D, 1500, 0, &a), ERR_MISMATCH);
        struct build_facts facts;
        CHECK_OK(build_open_stale(p2, meta.model_fingerprint, D, 0, &a, &facts));
        CHECK_INT(facts.ntotal, 1000);
        CHECK_INT(facts.max_id, ids[999]);
        CHECK_INT(facts.generation, meta.store_generation);
        ann_free(a);
        a = NULL;
        CHECK_INT(build_open_stale(p2, "another", D, 0, &a, &facts), ERR_MISMATCH);
        CHECK_INT(build_open_stale(p2, meta.model_fingerprint, D + 1, 0, &a, &facts), ERR_MISMATCH);
        /* the next build sweeps them all and leaves one data file */
        CHECK_OK(build_index(p2, x, ids, 1200, D, &meta, &o, &r));
        for (int i = 0; i < 6; i++) {
            snprintf(f, sizeof f, "%s%s", p2, left[i]);
            CHECK_TRUE(!fs_exists(f));
        }
        snprintf(cp, sizeof cp, "test $(ls '%s' | grep -c '^pair\\.faiss\\.[0-9a-f]*$') -eq 1", test_tmpdir());
        CHECK_INT(system(cp), 0);
        CHECK_OK(build_open(p2, &meta, D, 1200, 0, &a));
        ann_free(a);
    }

    TEST("an IVF,SQ8 build holds its lists at their exact size, not grown by doubling") {
        /* FAISS grows each inverted list by doubling as batches arrive: up to
         * twice the codes + ids allocated (the 10M x 768 build peaked 3.2 GB
         * over its plan). The build reserves each list at its final size
         * (build.h "Adding"): the heap between batches stays within the
         * lists + the assignments + one batch (+ 256 KiB of small things). */
        enum { NH = 100000, DH = 64 };
        int threads = omp_get_max_threads();
        omp_set_num_threads(1);
        float *xh = clustered(NH, DH, 500, 0.3);
        struct build_array arr;
        struct heap_src hs = { build_array_source(&arr, xh, NULL, NH, DH), 0 };
        struct build_source src = { NH, heap_rewind, heap_next, heap_vector, &hs };
        struct build_options o = BUILD_OPTIONS_INIT;
        o.factory = "IVF64,SQ8";
        o.n_tune_queries = 10;
        o.recall_target = 0.5;
        char p3[600];
        snprintf(p3, sizeof p3, "%s/heap.faiss", test_tmpdir());
        struct build_result r;
        size_t base = heap_now();
        CHECK_OK(build_index_stream(p3, &src, DH, &meta, &o, &r));
        CHECK_INT(r.ntotal, NH);
        double held = (double)hs.peak - (double)base, lists = NH * (DH + 8.0);
        double bound = lists + 4.0 * NH + (double)r.plan.batch * (4 * DH + 8) + (1 << 18);
        printf("  heap held %.2f MiB: lists %.2f MiB, bound %.2f MiB\n", held / 1048576, lists / 1048576,
               bound / 1048576);
#ifdef __SANITIZE_ADDRESS__
        printf("  heap not checked under AddressSanitizer (its allocator is not glibc's)\n");
#else
        CHECK_TRUE(held >= lists && held <= bound);
#endif
        build_array_release(&arr);
        free(xh);
        omp_set_num_threads(threads);
    }

    TEST("a bad factory string is refused") {
        struct build_options o = BUILD_OPTIONS_INIT;
        o.factory = "IVFxyz,Nope";
        struct build_result r;
        CHECK_INT(build_index(path, x, ids, 100, D, &meta, &o, &r), ERR_INVALID);
    }
    free(x);
    free(ids);
    return test_summary();
}
