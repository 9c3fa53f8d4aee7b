/*
 * test_part.c - shard keys and parts (ingest/part.h): parsing I/N, slurm and
 * k8s:N; the common root; keys; the size-balanced split is a partition, a pure
 * function of keys and sizes (argument order irrelevant), largest first onto
 * the least loaded part; and the upgrade of a store with absolute keys (made
 * before keys were relative) by the next ingest, or its refusal outside the
 * root.
 */
#include <stdint.h>
#include <stdlib.h>
#include <unistd.h>

#include "common/err.h"
#include "common/fsutil.h"
#include "common/log.h"
#include "index/store/store.h"
#include "ingest/encoder/encoder.h"
#include "ingest/ingest.h"
#include "ingest/part.h"
#include "tests/check.h"

static const char *path_of(const char *name)
{
    static char p[64][600];
    static int k;
    k = (k + 1) % 64;
    snprintf(p[k], sizeof p[k], "%s/%s", test_tmpdir(), name);
    return p[k];
}

static void write_file(const char *path, size_t bytes, int seed)
{
    FILE *f = fopen(path, "w");
    for (size_t i = 0; f && i < bytes; i += 32)
        fprintf(f, "문장 %d 번호 %zu 입니다 고양이.\n", seed, i);
    if (f) fclose(f);
    if (truncate(path, (off_t)bytes) < 0) perror(path); /* exactly that many bytes */
}

struct absctx {
    const char *root;
};

/* make_old: turn a store's relative keys into absolute ones and drop meta
 * root, as a store made before keys were relative looks */
static int make_old_fn(struct store_txn *t, void *ctx)
{
    struct absctx *c = ctx;
    char **keys;
    struct store_shard *recs;
    size_t n;
    FORWARD_ERR(store_list_shards(t, &keys, &recs, &n));
    int rc = 0;
    char abs[1200];
    for (size_t i = 0; i < n && rc == 0; i++) {
        snprintf(abs, sizeof abs, "%s/%s", c->root, keys[i]);
        rc = store_put_shard(t, abs, &recs[i]);
        if (rc == 0) rc = store_delete_shard(t, keys[i]);
        if (rc == 0) rc = store_put_shardid(t, recs[i].ordinal, abs);
    }
    store_shard_list_free(keys, recs, n);
    if (rc == 0) rc = store_delete_meta(t, "root");
    return rc;
}

static int has_key(struct store *s, const char *key)
{
    struct store_txn *t;
    if (store_read_begin(s, &t) < 0) return -1;
    struct store_shard sh;
    int rc = store_get_shard(t, key, &sh);
    store_read_end(t);
    err_clear();
    return rc == 0;
}

int main(void)
{
    log_level = LOG_ERROR;
    TEST("part_parse: I/N, slurm (COUNT or MIN/MAX), k8s:N; bad values refused") {
        struct part_spec p;
        CHECK_OK(part_parse("2/7", &p));
        CHECK_INT(p.index, 2);
        CHECK_INT(p.count, 7);
        CHECK_INT(part_parse("7/7", &p), ERR_INVALID);
        CHECK_INT(part_parse("1/0", &p), ERR_INVALID);
        CHECK_INT(part_parse("x/3", &p), ERR_INVALID);
        CHECK_INT(part_parse("3", &p), ERR_INVALID);
        unsetenv("SLURM_ARRAY_TASK_ID");
        CHECK_INT(part_parse("slurm", &p), ERR_INVALID);
        setenv("SLURM_ARRAY_TASK_ID", "3", 1);
        setenv("SLURM_ARRAY_TASK_COUNT", "4", 1);
        unsetenv("SLURM_ARRAY_TASK_MIN");
        unsetenv("SLURM_ARRAY_TASK_MAX");
        CHECK_OK(part_parse("slurm", &p));
        CHECK_INT(p.index, 3);
        CHECK_INT(p.count, 4);
        setenv("SLURM_ARRAY_TASK_ID", "12", 1);
        setenv("SLURM_ARRAY_TASK_MIN", "10", 1);
        setenv("SLURM_ARRAY_TASK_MAX", "13", 1);
        CHECK_OK(part_parse("slurm", &p));
        CHECK_INT(p.index, 2);
        CHECK_INT(p.count, 4);
        setenv("JOB_COMPLETION_INDEX", "5", 1);
        CHECK_OK(part_parse("k8s:8", &p));
        CHECK_INT(p.index, 5);
        CHECK_INT(p.count, 8);
        CHECK_INT(part_parse("k8s:5", &p), ERR_INVALID);
    }

    const char *root = path_of("corpus");
    fs_mkdir_p(path_of("corpus/a/deep"));
    fs_mkdir_p(path_of("corpus/b"));
    fs_mkdir_p(path_of("corpus/ab"));
    const char *files[] = { path_of("corpus/a/deep/1.txt"), path_of("corpus/a/2.txt"), path_of("corpus/b/3.txt"),
                            path_of("corpus/b/4.txt"),      path_of("corpus/ab/5.txt"), path_of("corpus/ab/6.txt"),
                            path_of("corpus/7.txt"),        path_of("corpus/a/8.txt"),  path_of("corpus/b/9.txt") };
    const size_t sizes[] = { 9000, 7000, 7000, 3000, 2500, 2000, 1500, 1000, 800 };
    for (int i = 0; i < 9; i++) write_file(files[i], sizes[i], i);

    TEST("common root: deepest directory holding every shard, whole components only") {
        char r[4096];
        const char *ab[] = { files[1], files[4] }; /* corpus/a/2.txt, corpus/ab/5.txt: not "corpus/a" */
        CHECK_OK(part_common_root(ab, 2, r, sizeof r));
        CHECK_STR(r, root);
        const char *one[] = { files[0] };
        CHECK_OK(part_common_root(one, 1, r, sizeof r));
        CHECK_STR(r, path_of("corpus/a/deep"));
        const char *nested[] = { files[0], files[1] };
        CHECK_OK(part_common_root(nested, 2, r, sizeof r));
        CHECK_STR(r, path_of("corpus/a"));
        struct buf k = BUF_INIT;
        CHECK_OK(part_key(files[0], root, &k));
        CHECK_STR(k.data, "a/deep/1.txt");
        CHECK_INT(part_key(files[4], path_of("corpus/a"), &k), ERR_INVALID);
        CHECK_TRUE(strstr(err_msg(), "not under the corpus root") != NULL);
        buf_release(&k);
    }

    TEST("parts: a partition, balanced largest first, the same for any argument order") {
        for (int n = 1; n <= 7; n++) {
            int seen[9] = { 0 };
            uint64_t load_max = 0, load_min = UINT64_MAX;
            for (int i = 0; i < n; i++) {
                struct part_spec p = { i, n };
                size_t *idx, k, *idx2, k2;
                CHECK_OK(part_select(files, 9, root, &p, &idx, &k));
                /* reversed arguments: the same shards */
                const char *rev[9];
                for (int j = 0; j < 9; j++) rev[j] = files[8 - j];
                CHECK_OK(part_select(rev, 9, root, &p, &idx2, &k2));
                CHECK_INT(k, k2);
                uint64_t load = 0;
                for (size_t j = 0; j < k && j < k2; j++) {
                    CHECK_INT(idx[j], 8 - idx2[j]);
                    seen[idx[j]]++;
                    load += sizes[idx[j]];
                    /* each part in key order */
                    if (j) CHECK_TRUE(strcmp(files[idx[j - 1]], files[idx[j]]) < 0);
                }
                if (load > load_max) load_max = load;
                if (load < load_min) load_min = load;
                free(idx);
                free(idx2);
            }
            for (int j = 0; j < 9; j++) CHECK_INT(seen[j], 1);
            /* greedy LPT: no part exceeds another by more than the largest shard */
            CHECK_TRUE(load_max - load_min <= 9000 + 64);
        }
        /* 3 parts by hand: 9000 a/deep/1 -> 0; 7000 a/2 -> 1; 7000 b/3 -> 2; 3000 -> 1
         * (tie with 2: lowest); 2500 -> 2; 2000 -> 0; 1500 -> 2; 1000 -> 1; 800 -> 0 (all
         * at 11000) */
        static const size_t want[3][4] = { { 0, 5, 8 }, { 1, 7, 3 }, { 6, 4, 2 } };
        static const size_t nwant[3] = { 3, 3, 3 };
        for (int i = 0; i < 3; i++) {
            struct part_spec p = { i, 3 };
            size_t *idx, k;
            CHECK_OK(part_select(files, 9, root, &p, &idx, &k));
            CHECK_INT(k, nwant[i]);
            for (size_t j = 0; j < k && j < nwant[i]; j++) CHECK_INT(idx[j], want[i][j]);
            free(idx);
        }
    }

    TEST("a store with absolute keys is upgraded by the next ingest; outside the root refused") {
        struct enc *e = NULL;
        struct store *s = NULL;
        CHECK_OK(enc_create("builtin:ngram", NULL, &e));
        CHECK_OK(store_open(path_of("old"), STORE_CREATE, &s));
        struct ingest_options o = INGEST_OPTIONS_INIT;
        struct ingest_stats st = { 0 };
        const char *three[] = { files[2], files[1], files[0] };
        CHECK_OK(ingest_run(s, e, three, 3, &o, &st));
        CHECK_INT(has_key(s, "a/2.txt"), 1);
        char rp[4096];
        CHECK_TRUE(realpath(root, rp) != NULL);
        struct absctx c = { rp };
        CHECK_OK(store_write(s, make_old_fn, &c));
        char abs[4200];
        snprintf(abs, sizeof abs, "%s/a/2.txt", rp);
        CHECK_INT(has_key(s, abs), 1);
        /* the next ingest, with root "corpus/a" given: b/3.txt is outside it */
        struct ingest_stats st2 = { 0 };
        o.root = path_of("corpus/a");
        const char *two[] = { files[0], files[1] };
        CHECK_INT(ingest_run(s, e, two, 2, &o, &st2), ERR_MISMATCH);
        CHECK_TRUE(strstr(err_msg(), "--root") != NULL);
        /* the default root (corpus, from the three shards): upgraded, everything skipped */
        o.root = NULL;
        struct ingest_stats st3 = { 0 };
        CHECK_OK(ingest_run(s, e, three, 3, &o, &st3));
        CHECK_INT(st3.shards_skipped, 3);
        CHECK_INT(has_key(s, "a/2.txt"), 1);
        CHECK_INT(has_key(s, "b/3.txt"), 1);
        CHECK_INT(has_key(s, abs), 0);
        struct store_txn *t;
        CHECK_OK(store_read_begin(s, &t));
        struct store_doc d = STORE_DOC_INIT;
        CHECK_OK(store_get_doc(t, store_make_id(0, 0), &d));
        CHECK_STR(d.shard.data, "a/2.txt"); /* ordinal 0 = the first key */
        store_doc_release(&d);
        store_read_end(t);
        store_close(s);
        enc_free(e);
    }
    return test_summary();
}
