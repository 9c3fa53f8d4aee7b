/* test_public.c - another C program embeds semindex through semindex.h
 * alone: encode texts, ingest a shard into a store, read it back, search. */
#include <stdio.h>
#include <string.h>

#include "semindex.h"
#include "tests/check.h"

/* the hits search_query reports, in order */
struct hits {
    int n;
    size_t query[8];
    int rank[8];
    float score[8];
    int64_t id[8];
    char text[8][128];
};

static int on_hit(void *ctx, const struct search_hit *h)
{
    struct hits *o = ctx;
    if (o->n == 8) return -1;
    o->query[o->n] = h->query;
    o->rank[o->n] = h->rank;
    o->score[o->n] = h->score;
    o->id[o->n] = h->id;
    snprintf(o->text[o->n], sizeof o->text[0], "%s", h->src->text.data ? h->src->text.data : "");
    o->n++;
    return 0;
}

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
        /* an index for the search below */
        struct buf path = BUF_INIT;
        CHECK_OK(search_index_path(&path, dir));
        struct build_meta bm = { in.fingerprint, in.generation };
        struct build_options bo = BUILD_OPTIONS_INIT;
        struct build_result br;
        CHECK_OK(build_index(path.data, x, ids, (int64_t)n, in.dim, &bm, &bo, &br));
        buf_release(&path);
        mem_free(p);
        mem_free(ids);
        mem_free(x);
        store_read_end(t);
        store_close(s);
        enc_free(e);
    }

    TEST("search by text and by chunk through the public header") {
        struct search *se = NULL;
        CHECK_OK(search_open(dir, NULL, &se));
        CHECK_INT(search_info(se)->n_chunks, 3);
        CHECK_INT(search_stale(se)->newer, 0);
        const char *texts[] = { "남자가 기타를 친다", "고양이" };
        struct search_request rq = SEARCH_REQUEST_INIT;
        rq.text = texts;
        rq.n = 2;
        rq.k = 2;
        struct hits h = { 0 };
        CHECK_OK(search_query(se, &rq, on_hit, &h));
        CHECK_INT(h.n, 4);
        /* query 0 finds a guitar sentence first; query 1 the cat; ranks 1, 2
         * with scores descending */
        CHECK_INT(h.query[0], 0);
        CHECK_INT(h.rank[0], 1);
        CHECK_TRUE(strstr(h.text[0], "기타") != NULL);
        CHECK_TRUE(h.score[0] >= h.score[1]);
        CHECK_INT(h.query[2], 1);
        CHECK_INT(h.rank[3], 2);
        CHECK_TRUE(strstr(h.text[2], "고양이") != NULL);
        /* by id: the chunk itself is skipped, the other guitar sentence first */
        int64_t self = h.id[0];
        struct search_request by = SEARCH_REQUEST_INIT;
        by.by_id = 1;
        by.id = (uint64_t)self;
        by.k = 5;
        struct hits g = { 0 };
        CHECK_OK(search_query(se, &by, on_hit, &g));
        CHECK_INT(g.n, 2);
        for (int i = 0; i < g.n; i++) CHECK_TRUE(g.id[i] != self);
        CHECK_TRUE(strstr(g.text[0], "기타") != NULL);
        /* a threshold above every score: no hits; a missing id: ERR_NOTFOUND */
        by.threshold = 1.5;
        struct hits none = { 0 };
        CHECK_OK(search_query(se, &by, on_hit, &none));
        CHECK_INT(none.n, 0);
        by.id = 1u << 30;
        CHECK_INT(search_query(se, &by, on_hit, &none), ERR_NOTFOUND);
        search_close(se);
    }
    return test_summary();
}
