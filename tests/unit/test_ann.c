/*
 * test_ann.c - FAISS through its C API (index/ann): Flat (inner product),
 * IVF{k},Flat, HNSW32 and IDMap with 64-bit ids are created, trained,
 * filled, searched, written and read back, and checked against brute force;
 * the mmap read flag really maps the file; errors come back with FAISS's
 * text from faiss_get_last_error().
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <faiss/c_api/Index_c.h>
#include <faiss/c_api/error_c.h>
#include <faiss/c_api/index_factory_c.h>
#include <faiss/c_api/index_io_c.h>

#include "common/err.h"
#include "index/ann/ann.h"
#include "tests/check.h"

extern const int semindex_faiss_c_shim __attribute__((weak));

#define DIM 24
#define N 2000
#define NQ 40
#define K 10

static uint64_t rng = 0x9e3779b97f4a7c15ull;
static float frand(void)
{
    rng ^= rng << 13; rng ^= rng >> 7; rng ^= rng << 17;
    return (float)((rng >> 11) * (1.0 / 9007199254740992.0)) * 2 - 1;
}

static void fill(float *x, int n)
{
    for (int i = 0; i < n * DIM; i++) x[i] = frand();
    ann_normalize(x, n, DIM);
}

/* exact top-K by inner product (ties: smaller position first) */
static void brute(const float *x, const int64_t *ids, int n, const float *q, int64_t *out, float *sc)
{
    for (int k = 0; k < K; k++) { out[k] = -1; sc[k] = -1e30f; }
    for (int i = 0; i < n; i++) {
        float s = 0;
        for (int j = 0; j < DIM; j++) s += x[i * DIM + j] * q[j];
        int p = K;
        while (p > 0 && s > sc[p - 1]) p--;
        if (p == K) continue;
        memmove(sc + p + 1, sc + p, (K - p - 1) * sizeof *sc);
        memmove(out + p + 1, out + p, (K - p - 1) * sizeof *out);
        sc[p] = s; out[p] = ids[i];
    }
}

/* recall@K of an index's answers against brute force, over NQ queries */
static double recall(struct ann *a, const float *x, const int64_t *ids, const float *q, int *exact_scores)
{
    float sc[NQ * K], bsc[K];
    int64_t lab[NQ * K], blab[K];
    if (ann_search(a, q, NQ, K, sc, lab) < 0) return -1;
    int hit = 0;
    *exact_scores = 1;
    for (int i = 0; i < NQ; i++) {
        brute(x, ids, N, q + i * DIM, blab, bsc);
        for (int r = 0; r < K; r++) {
            for (int s = 0; s < K; s++) if (lab[i * K + r] == blab[s]) { hit++; break; }
            if (fabsf(sc[i * K + r] - bsc[r]) > 1e-5f) *exact_scores = 0;
        }
    }
    return hit / (double)(NQ * K);
}

static int file_mapped(const char *path)
{
    FILE *f = fopen("/proc/self/maps", "r");
    if (!f) return -1;
    char line[4096];
    int found = 0;
    while (fgets(line, sizeof line, f))
        if (strstr(line, path)) found = 1;
    fclose(f);
    return found;
}

int main(void)
{
    float *x = malloc(sizeof(float) * N * DIM), q[NQ * DIM];
    int64_t *ids = malloc(sizeof(int64_t) * N);
    fill(x, N);
    fill(q, NQ);
    for (int i = 0; i < N; i++) ids[i] = ((int64_t)1 << 40) + 7 * (int64_t)i; /* 64-bit ids */
    const char *dir = test_tmpdir();
    char path[512], ivfpath[512];
    snprintf(path, sizeof path, "%s/flat.faiss", dir);
    snprintf(ivfpath, sizeof ivfpath, "%s/ivf.faiss", dir);
    int exact;

    TEST("flat inner product with IDMap and 64-bit ids equals brute force") {
        struct ann *a = NULL;
        CHECK_OK(ann_create("IDMap,Flat", DIM, &a));
        CHECK_INT(ann_is_trained(a), 1);
        CHECK_OK(ann_add(a, x, ids, N));
        CHECK_INT(ann_ntotal(a), N);
        CHECK_NEAR(recall(a, x, ids, q, &exact), 1.0, 0);
        CHECK_INT(exact, 1);
        CHECK_OK(ann_write(a, path));
        { char t[600]; snprintf(t, sizeof t, "%s.tmp", path); CHECK_TRUE(access(t, F_OK) != 0); }
        ann_free(a);
        a = NULL;
        CHECK_OK(ann_read(path, 0, &a));
        if (a) {
            CHECK_INT(ann_ntotal(a), N);
            CHECK_INT(ann_dim(a), DIM);
            CHECK_NEAR(recall(a, x, ids, q, &exact), 1.0, 0);
            CHECK_INT(exact, 1);
        }
        ann_free(a);
    }

    TEST("IVF16,Flat trains, takes ids, is exact at nprobe=nlist, survives write/read") {
        struct ann *a = NULL;
        CHECK_OK(ann_create("IVF16,Flat", DIM, &a));
        CHECK_INT(ann_is_trained(a), 0);
        CHECK_INT(ann_add(a, x, ids, N), ERR_INVALID); /* untrained */
        CHECK_OK(ann_train(a, x, 16 * 39));
        CHECK_INT(ann_is_trained(a), 1);
        CHECK_OK(ann_add(a, x, ids, N));
        CHECK_OK(ann_set_param(a, "nprobe", 1));
        double r1 = recall(a, x, ids, q, &exact);
        CHECK_TRUE(r1 < 1.0);
        CHECK_OK(ann_set_param(a, "nprobe", 16));
        CHECK_NEAR(recall(a, x, ids, q, &exact), 1.0, 0);
        CHECK_INT(exact, 1);
        CHECK_OK(ann_write(a, ivfpath));
        ann_free(a);
        a = NULL;
        CHECK_OK(ann_read(ivfpath, 0, &a));
        CHECK_INT(file_mapped(ivfpath), 0);
        if (a) {
            CHECK_OK(ann_set_param(a, "nprobe", 16));
            CHECK_NEAR(recall(a, x, ids, q, &exact), 1.0, 0);
        }
        ann_free(a);
    }

    TEST("IVF adds at exact list sizes (semindex extension) give the index ann_add gives, under a pre-transform too") {
        static const char *const fac[] = { "IVF16,SQ8", "PCA16,IVF16,PQ8x4np" };
        for (int f = 0; f < 2; f++) {
            struct ann *a = NULL, *b = NULL;
            char tp[600];
            snprintf(tp, sizeof tp, "%s/ext%d.faiss", dir, f);
            CHECK_OK(ann_create(fac[f], DIM, &a));
            if (!a) continue;
            CHECK_OK(ann_train(a, x, N));
            CHECK_OK(ann_write(a, tp));   /* b: the same trained index */
            CHECK_OK(ann_read(tp, 0, &b));
            if (!b) { ann_free(a); continue; }
            CHECK_INT(ann_ivf_nlist(b), 16);
            CHECK_OK(ann_add(a, x, ids, N));
            int32_t *lists = malloc(sizeof *lists * N);
            int64_t count[16] = { 0 };
            for (int i = 0; i < N; i += 500) CHECK_OK(ann_ivf_assign(b, x + (size_t)i * DIM, 500, lists + i));
            for (int i = 0; i < N; i++) if (lists[i] >= 0 && lists[i] < 16) count[lists[i]]++;
            CHECK_OK(ann_ivf_reserve(b, count));
            for (int i = 0; i < N; i += 500) CHECK_OK(ann_ivf_add_assigned(b, x + (size_t)i * DIM, ids + i, lists + i, 500));
            CHECK_INT(ann_ntotal(b), N);
            CHECK_OK(ann_set_param(a, "nprobe", 4));
            CHECK_OK(ann_set_param(b, "nprobe", 4));
            float sa[NQ * K], sb[NQ * K];
            int64_t la[NQ * K], lb[NQ * K];
            CHECK_OK(ann_search(a, q, NQ, K, sa, la));
            CHECK_OK(ann_search(b, q, NQ, K, sb, lb));
            CHECK_TRUE(memcmp(la, lb, sizeof la) == 0 && memcmp(sa, sb, sizeof sa) == 0);
            free(lists);
            ann_free(a);
            ann_free(b);
        }
        struct ann *h = NULL;
        CHECK_OK(ann_create("IDMap,Flat", DIM, &h));
        CHECK_INT(ann_ivf_nlist(h), 0);
        int32_t l1[1];
        CHECK_INT(ann_ivf_assign(h, x, 1, l1), ERR_ANN); /* not IVF: the extension's error */
        ann_free(h);
    }

    TEST("ANN_READ_MMAP maps the IVF lists from the file") {
        struct ann *a = NULL;
        CHECK_OK(ann_read(ivfpath, ANN_READ_MMAP, &a));
        CHECK_INT(file_mapped(ivfpath), 1);
        if (a) {
            CHECK_INT(ann_ntotal(a), N);
            CHECK_OK(ann_set_param(a, "nprobe", 16));
            CHECK_NEAR(recall(a, x, ids, q, &exact), 1.0, 0);
            CHECK_INT(exact, 1);
            CHECK_INT(ann_add(a, x, ids, 1), ERR_INVALID); /* mapped lists are read-only */
        }
        ann_free(a);
        CHECK_INT(file_mapped(ivfpath), 0);
    }

    TEST("the shim maps the C header's FAISS_IO_FLAG_MMAP to the C++ flag") {
        if (!&semindex_faiss_c_shim) {
            SKIP("linked against a real libfaiss_c");
        } else {
            FaissIndex *fi = NULL;
            CHECK_INT(faiss_read_index_fname(ivfpath, FAISS_IO_FLAG_MMAP, &fi), 0);
            CHECK_INT(file_mapped(ivfpath), 1);
            if (fi) CHECK_INT(faiss_Index_ntotal(fi), N);
            faiss_Index_free(fi);
            fi = NULL;
            CHECK_INT(faiss_read_index_fname(ivfpath, 0, &fi), 0);
            CHECK_INT(file_mapped(ivfpath), 0);
            faiss_Index_free(fi);
        }
    }

    TEST("HNSW32 through IDMap reaches recall >= 0.95 at efSearch 64") {
        struct ann *a = NULL;
        CHECK_OK(ann_create("IDMap,HNSW32", DIM, &a));
        CHECK_OK(ann_add(a, x, ids, N));
        CHECK_OK(ann_set_param(a, "efSearch", 64));
        double r = recall(a, x, ids, q, &exact);
        CHECK_TRUE(r >= 0.95);
        printf("  hnsw recall@10 %.3f\n", r);
        char hp[512];
        snprintf(hp, sizeof hp, "%s/hnsw.faiss", dir);
        CHECK_OK(ann_write(a, hp));
        ann_free(a);
        a = NULL;
        CHECK_OK(ann_read(hp, ANN_READ_MMAP, &a)); /* no IVF lists: read as usual */
        if (a) {
            CHECK_OK(ann_set_param(a, "efSearch", 64));
            CHECK_NEAR(recall(a, x, ids, q, &exact), r, 1e-9);
        }
        ann_free(a);
    }

    TEST("search pads with -1 when k exceeds ntotal") {
        struct ann *a = NULL;
        CHECK_OK(ann_create("IDMap,Flat", DIM, &a));
        CHECK_OK(ann_add(a, x, ids, 3));
        float sc[K];
        int64_t lab[K];
        CHECK_OK(ann_search(a, q, 1, K, sc, lab));
        for (int r = 3; r < K; r++) { CHECK_INT(lab[r], -1); CHECK_TRUE(sc[r] == -INFINITY); }
        for (int r = 0; r < 3; r++) CHECK_TRUE(lab[r] >= ids[0]);
        CHECK_INT(ann_search(a, q, 1, 0, sc, lab), ERR_INVALID);
        ann_free(a);
    }

    TEST("errors carry faiss_get_last_error text") {
        FaissIndex *fi = NULL;
        CHECK_TRUE(faiss_index_factory(&fi, DIM, "NoSuchIndex77", METRIC_INNER_PRODUCT) != 0);
        const char *m = faiss_get_last_error();
        CHECK_TRUE(m && *m);
        struct ann *a = NULL;
        CHECK_INT(ann_create("NoSuchIndex77", DIM, &a), ERR_INVALID);
        CHECK_TRUE(strstr(err_msg(), "NoSuchIndex77") != NULL);
        CHECK_INT(ann_create("Flat", 0, &a), ERR_INVALID);
        CHECK_OK(ann_create("IDMap,Flat", DIM, &a));
        CHECK_INT(ann_set_param(a, "nprobe", 4), ERR_INVALID);
        CHECK_TRUE(strstr(err_msg(), "nprobe") != NULL);
        ann_free(a);
        /* plain Flat cannot take ids: FAISS throws, we get ERR_ANN */
        CHECK_OK(ann_create("Flat", DIM, &a));
        CHECK_INT(ann_add(a, x, ids, 2), ERR_ANN);
        CHECK_TRUE(strstr(err_msg(), "add_with_ids") != NULL);
        ann_free(a);

        char bad[512];
        snprintf(bad, sizeof bad, "%s/garbage.faiss", dir);
        FILE *f = fopen(bad, "wb");
        fputs("this is not a faiss index at all", f);
        fclose(f);
        a = NULL;
        CHECK_INT(ann_read(bad, 0, &a), ERR_ANN);
        CHECK_TRUE(strstr(err_msg(), "garbage.faiss") != NULL);
        CHECK_TRUE(a == NULL);
        snprintf(bad, sizeof bad, "%s/absent.faiss", dir);
        CHECK_INT(ann_read(bad, 0, &a), ERR_NOTFOUND);

        /* an L2 index is refused: semindex scores are inner products */
        snprintf(bad, sizeof bad, "%s/l2.faiss", dir);
        CHECK_INT(faiss_index_factory(&fi, DIM, "Flat", METRIC_L2), 0);
        CHECK_INT(faiss_write_index_fname(fi, bad), 0);
        faiss_Index_free(fi);
        CHECK_INT(ann_read(bad, 0, &a), ERR_FORMAT);

        /* writing into a missing directory fails cleanly */
        CHECK_OK(ann_create("IDMap,Flat", DIM, &a));
        snprintf(bad, sizeof bad, "%s/no/such/dir/x.faiss", dir);
        CHECK_INT(ann_write(a, bad), ERR_IO);
        ann_free(a);
    }

    free(x);
    free(ids);
    return test_summary();
}
