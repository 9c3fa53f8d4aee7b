/* test_public.c - another C program embeds semindex through semindex.h
 * alone: encode texts, ingest a shard into a store, read it back, search. */
#include <stdio.h>
#include <string.h>

#include "check.h"
#include "semindex.h"

int main(void)
{
    log_level = LOG_ERROR;
    const char *tmp = test_tmpdir();
    char shard[512], dir[512];
    snprintf(shard, sizeof shard, "%s/docs.jsonl", tmp);
    snprintf(dir, sizeof dir, "%s/store", tmp);
    FILE *f = fopen(shard, "w");
    fputs("{\"text\": \"한 남자가 기타를 치고 있다. 고양이가 잔다.\"}\n{\"text\": \"남자가 기타를 연주한다.\"}\n", f);
    fclose(f);

    TEST("encode, ingest, read back and mine through the public header") {
        struct enc_options eo = ENC_OPTIONS_INIT;
        struct enc *e = NULL;
        struct store *s = NULL;
        CHECK_OK(enc_create(ENC_BUILTIN_NGRAM, &eo, &e));
        CHECK_OK(store_open(dir, STORE_CREATE, &s));
        struct ingest_options io = INGEST_OPTIONS_INIT;
        struct ingest_stats st = { 0 };
        const char *shards[] = { shard };
        CHECK_OK(ingest_run(s, e, shards, 1, &io, &st));
        CHECK_INT(st.chunks, 3);
        struct store_txn *t = NULL;
        struct store_info in;
        CHECK_OK(store_read_begin(s, &t));
        CHECK_OK(store_txn_info(t, &in));
        int64_t *ids = NULL;
        float *x = NULL;
        size_t n = 0;
        CHECK_OK(search_load_vectors(t, &in, &ids, &x, &n));
        CHECK_INT(n, 3);
        struct mine_options mo = MINE_OPTIONS_INIT;
        struct mine_pair *p = NULL;
        size_t np = 0;
        CHECK_OK(mine_exact(x, ids, n, in.dim, &mo, &p, &np));
        CHECK_INT(np, 3);
        if (np == 3) { /* the two guitar sentences are the closest pair */
            struct buf a = BUF_INIT, b = BUF_INIT;
            struct store_chunk c;
            CHECK_OK(store_get_chunk(t, (uint64_t)p[0].a, &c, &a));
            CHECK_OK(store_get_chunk(t, (uint64_t)p[0].b, &c, &b));
            CHECK_TRUE(strstr(a.data, "기타") && strstr(b.data, "기타"));
            buf_release(&a);
            buf_release(&b);
        }
        mem_free(p);
        mem_free(ids);
        mem_free(x);
        store_read_end(t);
        store_close(s);
        enc_free(e);
    }
    return test_summary();
}
