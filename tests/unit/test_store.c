/*
 * test_store.c - the LMDB store: put/get of every record kind, iteration
 * order, f16, the zstd dictionary and its sampling, deletion by shard ordinal,
 * the shard lifecycle (begin, done, abort, clear_pending), the texts map,
 * map growth on MDB_MAP_FULL (nothing lost), snapshot isolation of readers,
 * a reader in another process while the writer commits.
 */
#include <stdint.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/err.h"
#include "common/mem.h"
#include "index/store/store.h"
#include "tests/check.h"

#define DIM 8

struct fill {
    uint64_t ordinal;
    int n;
    int dim;
};

static void make_text(char *out, size_t cap, uint64_t ord, int i)
{
    snprintf(out, cap, "오늘은 날씨가 맑다. 문장 번호 %d, 샤드 %llu 의 텍스트입니다.", i, (unsigned long long)ord);
}

static void make_vec(float *v, uint64_t id)
{
    for (int j = 0; j < DIM; j++) v[j] = (float)((id % 1000) * 0.001 + j * 0.125);
}

/* big_fill: 2048 chunks of dim-float vectors from id next (a retry after
 * MDB_MAP_FULL writes the same ones again; the caller moves next on) */
struct big_fill { uint64_t next; int dim; };

static int big_fill_fn(struct store_txn *t, void *ctx)
{
    struct big_fill *f = ctx;
    FORWARD_ERR(store_set_model(t, "builtin:test", "0123456789abcdef0123456789abcdef", f->dim, STORE_F32));
    float v[768];
    for (uint64_t id = f->next; id < f->next + 2048; id++) {
        char text[64];
        int len = snprintf(text, sizeof text, "chunk %llu", (unsigned long long)id);
        struct store_chunk c = { .id = id, .end = (uint64_t)len, .n_tokens = 2 };
        for (int j = 0; j < f->dim; j++) v[j] = (float)((id + (uint64_t)j) % 97) / 97.0f;
        FORWARD_ERR(store_put_chunk(t, &c, text, (size_t)len));
        FORWARD_ERR(store_put_vector(t, id, v));
    }
    return 0;
}

/* open_small_map: a new store <tmp>/name (path in dir) whose LMDB map
 * starts at map_size bytes, so that writing grows it */
static int open_small_map(char *dir, size_t cap, const char *name, const char *map_size, struct store **out)
{
    snprintf(dir, cap, "%s/%s", test_tmpdir(), name);
    setenv("SEMINDEX_STORE_MAP_SIZE", map_size, 1);
    int rc = store_open(dir, STORE_CREATE, out);
    unsetenv("SEMINDEX_STORE_MAP_SIZE");
    return rc;
}

/* mapped_kb: Rss of this process's mappings of dir/name (/proc/self/smaps),
 * -1 when unreadable */
static long mapped_kb(const char *name, const char *dir)
{
    FILE *f = fopen("/proc/self/smaps", "r");
    if (!f) return -1;
    char line[1024];
    long kb = 0, v;
    int in = 0;
    while (fgets(line, sizeof line, f)) {
        unsigned long lo, hi;
        if (sscanf(line, "%lx-%lx ", &lo, &hi) == 2) in = strstr(line, dir) && strstr(line, name);
        else if (in && sscanf(line, "Rss: %ld kB", &v) == 1) kb += v;
    }
    fclose(f);
    return kb;
}

static int fill_fn(struct store_txn *t, void *ctx)
{
    struct fill *f = ctx;
    if (f->dim) FORWARD_ERR(store_set_model(t, "builtin:test", "0123456789abcdef0123456789abcdef", f->dim, STORE_F32));
    struct store_doc d = STORE_DOC_INIT;
    d.id = store_make_id(f->ordinal, 0);
    d.record = 3;
    d.offset = 100;
    d.length = 42;
    d.n_chunks = (uint32_t)f->n;
    buf_puts(&d.entry, "dir/a.jsonl");
    buf_puts(&d.ext_id, "doc-7");
    int rc = store_put_doc(t, &d);
    store_doc_release(&d);
    FORWARD_ERR(rc);
    for (int i = 0; i < f->n; i++) {
        char text[256];
        make_text(text, sizeof text, f->ordinal, i);
        struct store_chunk c = { 0 };
        c.id = store_make_id(f->ordinal, i);
        c.doc = store_make_id(f->ordinal, 0);
        c.start = (uint64_t)i * 10;
        c.end = c.start + strlen(text);
        c.n_tokens = i + 1;
        c.truncated = i % 2;
        FORWARD_ERR(store_put_chunk(t, &c, text, strlen(text)));
        float v[DIM];
        make_vec(v, c.id);
        FORWARD_ERR(store_put_vector(t, c.id, v));
    }
    return 0;
}

/* open_new: create the store test_tmpdir()/name (its path into dir, cap
 * bytes) and open it; with_model: record the model and doc 0 of ordinal 0
 * (fill_fn, no chunks). NULL when that fails (a failed check). */
static struct store *open_new(char *dir, size_t cap, const char *name, int with_model)
{
    snprintf(dir, cap, "%s/%s", test_tmpdir(), name);
    struct store *t = NULL;
    CHECK_OK(store_open(dir, STORE_CREATE, &t));
    struct fill f0 = { 0, 0, DIM };
    if (t && with_model) CHECK_OK(store_write(t, fill_fn, &f0));
    return t;
}

static int del_fn(struct store_txn *t, void *ctx)
{
    long n = store_delete_ordinal(t, *(uint64_t *)ctx);
    return n < 0 ? (int)n : 0;
}

static int ord_fn(struct store_txn *t, void *ctx)
{
    uint64_t *o = ctx;
    FORWARD_ERR(store_next_ordinal(t, "/data/s.tar", &o[0]));
    FORWARD_ERR(store_next_ordinal(t, "/data/t.tar", &o[1]));
    struct store_shard sh = { STORE_SHARD_DONE, o[1], 0, { 1, 2 }, 5, 6, 7, 8, 9, 10 };
    return store_put_shard(t, "/data/t.tar", &sh);
}

static int verify(struct store *s, uint64_t ord, int n)
{
    struct store_txn *r;
    if (store_read_begin(s, &r) < 0) return -1;
    int bad = 0;
    struct buf text = BUF_INIT;
    for (int i = 0; i < n; i++) {
        char want[256];
        make_text(want, sizeof want, ord, i);
        struct store_chunk c;
        if (store_get_chunk(r, store_make_id(ord, i), &c, &text) < 0 || strcmp(text.data, want) ||
            c.n_tokens != i + 1 || c.truncated != i % 2 || c.start != (uint64_t)i * 10) {
            bad++;
            continue;
        }
        float v[DIM], w[DIM];
        make_vec(w, c.id);
        if (store_get_vector(r, c.id, v) < 0 || memcmp(v, w, sizeof v)) bad++;
    }
    buf_release(&text);
    store_read_end(r);
    return bad;
}

/* ---- shards in progress are hidden from readers ------------------------------ */

struct shard_step {
    const char *key;
    int status;
    uint64_t ordinal, prev, drop; /* drop: ordinal + 1 to delete first, 0 none */
    int fill_n;                   /* chunks of ordinal to write, 0 none */
    int forget_pending;           /* drop meta "pending" (a store of an older semindex) */
};

static int shard_step_fn(struct store_txn *t, void *ctx)
{
    struct shard_step *st = ctx;
    if (st->drop) {
        long n = store_delete_ordinal(t, st->drop - 1);
        if (n < 0) return (int)n;
    }
    struct store_shard sh = { st->status, st->ordinal, st->prev, { 7, 7 }, 0, 0, 0, 0, 0, 42 };
    FORWARD_ERR(store_put_shard(t, st->key, &sh));
    if (st->fill_n) {
        struct fill f = { st->ordinal, st->fill_n, 0 };
        FORWARD_ERR(fill_fn(t, &f));
    }
    if (st->forget_pending) FORWARD_ERR(store_delete_meta(t, "pending"));
    return 0;
}

/* seen: what a reader sees: vectors and chunks by iteration, and whether each
 * lookup of ordinal ord's first chunk, vector and doc succeeds (bits 1 2 4). */
static int seen(struct store *s, int pending_too, int *n_vec, int *n_chunk, uint64_t *info_chunks, uint64_t ord)
{
    struct store_txn *r;
    if ((pending_too ? store_read_begin_pending(s, &r) : store_read_begin(s, &r)) < 0) return -1;
    struct store_iter *it;
    uint64_t id;
    float v[DIM];
    *n_vec = *n_chunk = 0;
    if (store_iter_open(r, 0, &it) == 0) {
        while (store_iter_next(it, &id, v) == 1) ++*n_vec;
        store_iter_close(it);
    }
    if (store_chunk_iter_open(r, 0, &it) == 0) {
        struct store_chunk c;
        while (store_iter_next_chunk(it, &c, NULL) == 1) ++*n_chunk;
        store_iter_close(it);
    }
    struct store_info in;
    *info_chunks = store_txn_info(r, &in) == 0 && in.n_vectors == in.n_chunks ? in.n_chunks : (uint64_t)-1;
    int bits = 0;
    struct store_chunk c;
    struct store_doc d = STORE_DOC_INIT;
    if (store_get_chunk(r, store_make_id(ord, 0), &c, NULL) == 0) bits |= 1;
    if (store_get_vector(r, store_make_id(ord, 0), v) == 0) bits |= 2;
    if (store_get_doc(r, store_make_id(ord, 0), &d) == 0) bits |= 4;
    char text[256];
    make_text(text, sizeof text, ord, 1);
    if (store_text_lookup(r, hash128(text, strlen(text)), &id) == 1) bits |= 8;
    store_doc_release(&d);
    store_read_end(r);
    err_clear();
    return bits;
}

int main(void)
{
    char dir[512];
    snprintf(dir, sizeof dir, "%s/st", test_tmpdir());
    struct store *s = NULL;

    TEST("open read-only of a missing store is ERR_NOTFOUND") {
        CHECK_INT(store_open(dir, STORE_RDONLY, &s), ERR_NOTFOUND);
        CHECK_TRUE(s == NULL);
    }

    TEST("create, record model, write and read back") {
        CHECK_OK(store_open(dir, STORE_CREATE, &s));
        struct fill f = { 1, 50, DIM };
        CHECK_OK(store_write(s, fill_fn, &f));
        CHECK_INT(verify(s, 1, 50), 0);
        struct store_info in;
        CHECK_OK(store_info(s, &in));
        CHECK_INT(in.dim, DIM);
        CHECK_STR(in.model, "builtin:test");
        CHECK_STR(in.fingerprint, "0123456789abcdef0123456789abcdef");
        CHECK_INT(in.n_chunks, 50);
        CHECK_INT(in.n_vectors, 50);
        CHECK_INT(in.n_docs, 1);
        CHECK_INT(in.generation, 1);
        CHECK_INT(in.dtype, STORE_F32);
    }

    TEST("docs and shards round-trip, ordinals count up") {
        uint64_t o[2];
        CHECK_OK(store_write(s, ord_fn, o));
        CHECK_INT(o[0], 0);
        CHECK_INT(o[1], 1);
        struct store_txn *r;
        CHECK_OK(store_read_begin(s, &r));
        struct store_doc d = STORE_DOC_INIT;
        CHECK_OK(store_get_doc(r, store_make_id(1, 0), &d));
        CHECK_STR(d.entry.data, "dir/a.jsonl");
        CHECK_STR(d.ext_id.data, "doc-7");
        CHECK_STR(d.shard.data, "/data/t.tar");
        CHECK_INT(d.record, 3);
        CHECK_INT(d.offset, 100);
        CHECK_INT(d.n_chunks, 50);
        store_doc_release(&d);
        struct store_shard sh;
        CHECK_OK(store_get_shard(r, "/data/t.tar", &sh));
        CHECK_INT(sh.status, STORE_SHARD_DONE);
        CHECK_INT(sh.ordinal, 1);
        CHECK_INT(sh.hash.hi, 2);
        CHECK_INT(sh.n_chunks, 6);
        CHECK_INT(sh.time, 9);
        CHECK_INT(store_get_shard(r, "/nope", &sh), ERR_NOTFOUND);
        struct store_info in;
        CHECK_OK(store_txn_info(r, &in));
        CHECK_INT(in.n_shards, 1);
        CHECK_INT(in.generation, 1); /* no chunk changed: not bumped */
        store_read_end(r);
    }

    TEST("iterators go in id order and start at from") {
        struct fill f = { 0, 5, 0 };
        CHECK_OK(store_write(s, fill_fn, &f)); /* ordinal 0 sorts before 1 */
        struct store_txn *r;
        CHECK_OK(store_read_begin(s, &r));
        struct store_iter *it;
        CHECK_OK(store_iter_open(r, 0, &it));
        uint64_t id, prev = 0;
        float v[DIM], w[DIM];
        int n = 0, order = 1, same = 1;
        while (store_iter_next(it, &id, v) == 1) {
            if (n && id <= prev) order = 0;
            make_vec(w, id);
            if (memcmp(v, w, sizeof v)) same = 0;
            prev = id;
            n++;
        }
        store_iter_close(it);
        CHECK_INT(n, 55);
        CHECK_TRUE(order);
        CHECK_TRUE(same);
        CHECK_OK(store_chunk_iter_open(r, store_make_id(1, 48), &it));
        struct store_chunk c;
        struct buf text = BUF_INIT;
        n = 0;
        while (store_iter_next_chunk(it, &c, &text) == 1) n++;
        CHECK_INT(n, 2);
        store_iter_close(it);
        buf_release(&text);
        store_read_end(r);
    }

    TEST("texts map finds a live chunk, forgets deleted ones") {
        char text[256];
        make_text(text, sizeof text, 0, 3);
        struct store_txn *r;
        uint64_t id = 0;
        CHECK_OK(store_read_begin(s, &r));
        CHECK_INT(store_text_lookup(r, hash128(text, strlen(text)), &id), 1);
        CHECK_INT(id, store_make_id(0, 3));
        CHECK_INT(store_text_lookup(r, hash128("absent", 6), &id), 0);
        store_read_end(r);
        uint64_t ord = 0;
        CHECK_OK(store_write(s, del_fn, &ord));
        CHECK_OK(store_read_begin(s, &r));
        CHECK_INT(store_text_lookup(r, hash128(text, strlen(text)), &id), 0);
        struct store_chunk c;
        CHECK_INT(store_get_chunk(r, store_make_id(0, 3), &c, NULL), ERR_NOTFOUND);
        struct store_info in;
        CHECK_OK(store_txn_info(r, &in));
        CHECK_INT(in.n_chunks, 50);
        CHECK_INT(in.n_vectors, 50);
        store_read_end(r);
        CHECK_INT(verify(s, 1, 50), 0);
    }

    TEST("a reader's snapshot does not see later commits") {
        struct store_txn *r;
        CHECK_OK(store_read_begin(s, &r));
        struct fill f = { 2, 10, 0 };
        CHECK_OK(store_write(s, fill_fn, &f)); /* the writer is not blocked */
        struct store_info in;
        CHECK_OK(store_txn_info(r, &in));
        CHECK_INT(in.n_chunks, 50);
        store_read_end(r);
        CHECK_OK(store_info(s, &in));
        CHECK_INT(in.n_chunks, 60);
    }

    TEST("dictionary training, then chunks compress with it and read back") {
        const char *tx[64];
        size_t ln[64];
        char bufs[64][256];
        for (int i = 0; i < 64; i++) {
            make_text(bufs[i], sizeof bufs[i], 9, i * 7);
            tx[i] = bufs[i];
            ln[i] = strlen(bufs[i]);
        }
        int rc = store_train_dict(s, tx, ln, 64);
        if (rc < 0) printf("  note: %s\n", err_msg());
        struct store_info in;
        CHECK_OK(store_info(s, &in));
        CHECK_INT(in.has_dict, rc == 0);
        struct fill f = { 3, 30, 0 };
        CHECK_OK(store_write(s, fill_fn, &f));
        CHECK_INT(verify(s, 3, 30), 0);
        CHECK_INT(verify(s, 1, 50), 0); /* older chunks, no dictionary, still read */
        store_close(s);
        s = NULL;
        CHECK_OK(store_open(dir, STORE_RDONLY, &s));
        CHECK_INT(verify(s, 3, 30), 0);
        store_close(s);
        s = NULL;
    }

    TEST("map growth on MDB_MAP_FULL loses nothing") {
        char d2[600];
        struct store *t;
        CHECK_OK(open_small_map(d2, sizeof d2, "small", "131072", &t));
        struct store_info in0;
        CHECK_OK(store_info(t, &in0));
        struct fill f = { 1, 3000, DIM };
        CHECK_OK(store_write(t, fill_fn, &f));
        struct store_info in;
        CHECK_OK(store_info(t, &in));
        CHECK_TRUE(in.map_size > in0.map_size);
        CHECK_INT(in.n_chunks, 3000);
        CHECK_INT(verify(t, 1, 3000), 0);
        store_close(t);
    }

    TEST("write commits leave no part of the file mapped in the process (the map grows meanwhile)") {
        char d3[600];
        struct store *t;
        CHECK_OK(open_small_map(d3, sizeof d3, "resident", "1048576", &t));
        struct big_fill bf = { 0, 768 };
        for (int k = 0; k < 24; k++, bf.next += 2048) CHECK_OK(store_write(t, big_fill_fn, &bf)); /* x 3 KiB */
        struct store_info in;
        CHECK_OK(store_info(t, &in));
        CHECK_TRUE(in.file_size > (48u << 20));
        long kb = mapped_kb("data.mdb", d3);
        printf("  data.mdb: %.0f MiB file, %ld KiB of it mapped in after the last commit\n",
               (double)in.file_size / 1048576.0, kb);
        CHECK_TRUE(kb >= 0 && kb < 1024);
        store_close(t);
    }

    TEST("a reader in another process while the writer commits") {
        CHECK_OK(store_open(dir, 0, &s));
        int pfd[2];
        CHECK_TRUE(pipe(pfd) == 0);
        pid_t pid = fork();
        if (pid == 0) {
            struct store *rs;
            if (store_open(dir, STORE_RDONLY, &rs) < 0) _exit(2);
            int bad = 0;
            for (int k = 0; k < 30; k++) {
                struct store_info in;
                if (store_info(rs, &in) < 0) bad++;
                else if (in.n_chunks != 90 && in.n_chunks != 90 + 40) bad++; /* whole txns only */
                bad += verify(rs, 1, 50);
            }
            store_close(rs);
            _exit(bad ? 1 : 0);
        }
        struct fill f = { 4, 40, 0 };
        CHECK_OK(store_write(s, fill_fn, &f));
        int st = 0;
        waitpid(pid, &st, 0);
        CHECK_TRUE(WIFEXITED(st) && WEXITSTATUS(st) == 0);
        close(pfd[0]);
        close(pfd[1]);
        store_close(s);
    }

    TEST("out of memory at every allocation: ERR_NOMEM or success, never a crash") {
        long points = 0, nomem = 0;
        for (long n = 0; n < 10000; n++) {
            mem_fail_after(n);
            struct store *t = NULL;
            int rc = store_open(dir, 0, &t);
            struct fill f = { 5, 20, 0 };
            if (rc == 0) rc = store_write(t, fill_fn, &f);
            struct store_txn *r = NULL;
            struct buf text = BUF_INIT;
            struct store_doc d = STORE_DOC_INIT;
            if (rc == 0) rc = store_read_begin(t, &r);
            struct store_chunk c;
            if (rc == 0) rc = store_get_chunk(r, store_make_id(5, 3), &c, &text);
            if (rc == 0) rc = store_get_doc(r, store_make_id(5, 0), &d);
            store_read_end(r);
            store_close(t);
            long used = mem_fail_after(-1);
            buf_release(&text);
            store_doc_release(&d);
            if (rc != 0 && rc != ERR_NOMEM) T_FAIL("allocation %ld: rc %d (%s)", n, rc, err_msg());
            nomem += rc == ERR_NOMEM;
            points++;
            if (used <= n) {
                CHECK_INT(rc, 0);
                break;
            }
        }
        printf("  %ld allocation points, %ld gave ERR_NOMEM\n", points, nomem);
        CHECK_TRUE(nomem > 0);
        struct store *t;
        CHECK_OK(store_open(dir, STORE_RDONLY, &t));
        CHECK_INT(verify(t, 5, 20), 0);
        store_close(t);
    }

    TEST("a shard in progress is invisible to readers until the commit that marks it done") {
        char d2[512];
        struct store *t = open_new(d2, sizeof d2, "st-pending", 1);
        /* version 1 of /d/a: ordinal 0, 5 chunks, done */
        struct shard_step a1 = { "/d/a", STORE_SHARD_OPEN, 0, 0, 0, 5, 0 };
        CHECK_OK(store_write(t, shard_step_fn, &a1));
        int nv, nc, bits;
        uint64_t ic;
        CHECK_INT(seen(t, 0, &nv, &nc, &ic, 0), 0); /* a first-time shard in progress: nothing */
        CHECK_INT(nv, 0);
        CHECK_INT(nc, 0);
        CHECK_INT(ic, 0);
        CHECK_INT(seen(t, 1, &nv, &nc, &ic, 0), 15); /* the ingest itself sees it */
        CHECK_INT(nv, 5);
        a1.status = STORE_SHARD_DONE;
        a1.fill_n = 0;
        CHECK_OK(store_write(t, shard_step_fn, &a1));
        CHECK_INT(seen(t, 0, &nv, &nc, &ic, 0), 15);
        CHECK_INT(nv, 5);
        CHECK_INT(nc, 5);
        CHECK_INT(ic, 5);
        /* version 2 in progress: ordinal 1, 7 chunks, the old ordinal still there */
        struct shard_step a2 = { "/d/a", STORE_SHARD_OPEN, 1, 1, 0, 7, 0 };
        CHECK_OK(store_write(t, shard_step_fn, &a2));
        bits = seen(t, 0, &nv, &nc, &ic, 1);
        CHECK_INT(bits, 0);
        CHECK_INT(nv, 5);
        CHECK_INT(nc, 5);
        CHECK_INT(ic, 5);
        CHECK_INT(seen(t, 0, &nv, &nc, &ic, 0), 15);
        CHECK_INT(seen(t, 1, &nv, &nc, &ic, 1), 15);
        CHECK_INT(nv, 12);
        /* an older store (no meta "pending"): the open record still hides it */
        struct shard_step b1 = { "/d/b", STORE_SHARD_OPEN, 2, 0, 0, 3, 1 };
        CHECK_OK(store_write(t, shard_step_fn, &b1));
        CHECK_INT(seen(t, 0, &nv, &nc, &ic, 2), 0);
        CHECK_INT(nv, 5);
        CHECK_INT(ic, 5);
        /* the done commit of version 2 drops version 1: only the new one */
        a2.status = STORE_SHARD_DONE;
        a2.fill_n = 0;
        a2.drop = 1;
        CHECK_OK(store_write(t, shard_step_fn, &a2));
        CHECK_INT(seen(t, 0, &nv, &nc, &ic, 1), 15);
        CHECK_INT(nv, 7);
        CHECK_INT(nc, 7);
        CHECK_INT(ic, 7);
        CHECK_INT(seen(t, 0, &nv, &nc, &ic, 0), 0);
        CHECK_INT(seen(t, 0, &nv, &nc, &ic, 2), 0); /* /d/b still in progress */
        struct store_info in;
        CHECK_OK(store_info(t, &in));
        CHECK_INT(in.n_shards, 1);
        CHECK_INT(in.n_shards_open, 1);
        /* the settings hash round-trips */
        struct store_txn *r;
        struct store_shard sh;
        CHECK_OK(store_read_begin(t, &r));
        CHECK_OK(store_get_shard(r, "/d/a", &sh));
        CHECK_INT(sh.settings, 42);
        CHECK_INT(sh.ordinal, 1);
        store_read_end(r);
        store_close(t);
    }

    TEST("shard lifecycle: begin hides, done swaps versions at once, abort and clear_pending drop partial chunks") {
        char d2[512];
        struct store *t = open_new(d2, sizeof d2, "st-life", 1);
        struct store_shard in = { 0 };
        in.hash = (struct hash128){ 1, 1 };
        in.n_docs = 1;
        in.n_chunks = 5;
        in.settings = 42;
        uint64_t o1, o2, o3;
        long del = -1;
        int nv, nc;
        uint64_t ic;
        CHECK_OK(store_shard_begin(t, "a", &in, &o1, &del));
        CHECK_INT(del, 0);
        struct fill f1 = { o1, 5, 0 };
        CHECK_OK(store_write(t, fill_fn, &f1));
        CHECK_INT(seen(t, 0, &nv, &nc, &ic, o1), 0);    /* in progress: hidden */
        CHECK_INT(seen(t, 1, &nv, &nc, &ic, o1), 15);
        CHECK_OK(store_shard_done(t, "a", &in, &del));
        CHECK_INT(del, 0);
        CHECK_INT(seen(t, 0, &nv, &nc, &ic, o1), 15);
        CHECK_INT(nv, 5);
        /* a new version: a new ordinal, the old one visible until done */
        in.hash = (struct hash128){ 2, 2 };
        in.n_chunks = 7;
        CHECK_OK(store_shard_begin(t, "a", &in, &o2, &del));
        CHECK_TRUE(o2 != o1);
        struct fill f2 = { o2, 7, 0 };
        CHECK_OK(store_write(t, fill_fn, &f2));
        CHECK_INT(seen(t, 0, &nv, &nc, &ic, o2), 0);
        CHECK_INT(nv, 5);
        CHECK_OK(store_shard_done(t, "a", &in, &del));
        CHECK_INT(del, 5);
        CHECK_INT(seen(t, 0, &nv, &nc, &ic, o2), 15);
        CHECK_INT(nv, 7);
        CHECK_INT(seen(t, 0, &nv, &nc, &ic, o1), 0);
        struct store_txn *r;
        struct store_shard sh;
        CHECK_OK(store_read_begin(t, &r));
        CHECK_OK(store_get_shard(r, "a", &sh));
        store_read_end(r);
        CHECK_INT(sh.status, STORE_SHARD_DONE);
        CHECK_INT(sh.ordinal, o2);
        CHECK_INT(sh.prev, 0);
        CHECK_INT(sh.n_chunks, 7);
        CHECK_INT(sh.settings, 42);
        /* abort: the partial chunks go, the shard stays in progress, a new
         * begin reuses its ordinal; an interrupted one is cleared by
         * clear_pending and by begin */
        CHECK_OK(store_shard_begin(t, "b", &in, &o3, NULL));
        struct fill f3 = { o3, 4, 0 };
        CHECK_OK(store_write(t, fill_fn, &f3));
        CHECK_OK(store_shard_abort(t, "b", 9, &del));
        CHECK_INT(del, 4);
        CHECK_INT(seen(t, 1, &nv, &nc, &ic, o3), 0);
        CHECK_OK(store_read_begin(t, &r));
        CHECK_OK(store_get_shard(r, "b", &sh));
        store_read_end(r);
        CHECK_INT(sh.status, STORE_SHARD_OPEN);
        CHECK_INT(sh.n_rejected, 9);
        uint64_t o4, chunks, shards;
        CHECK_OK(store_shard_begin(t, "b", &in, &o4, &del));
        CHECK_INT(o4, o3);
        CHECK_INT(del, 0);
        CHECK_OK(store_write(t, fill_fn, &f3));
        CHECK_OK(store_shard_clear_pending(t, &chunks, &shards));
        CHECK_INT(chunks, 4);
        CHECK_INT(shards, 1);
        CHECK_INT(seen(t, 1, &nv, &nc, &ic, o3), 0);
        CHECK_INT(nv, 7);
        CHECK_OK(store_write(t, fill_fn, &f3));
        CHECK_OK(store_shard_begin(t, "b", &in, &o4, &del));
        CHECK_INT(o4, o3);
        CHECK_INT(del, 4);
        store_close(t);
    }

    TEST("dictionary sampling: the store takes texts until its sample is full, then trains once") {
        char d2[512];
        struct store *t = open_new(d2, sizeof d2, "st-dict", 0);
        CHECK_INT(store_dict_wanted(t), 1);
        char text[256];
        int rc = 1, i = 0;
        for (; rc == 1 && i < 2 * STORE_DICT_TEXTS; i++) {
            make_text(text, sizeof text, 5, i);
            rc = store_dict_offer(t, text, strlen(text));
        }
        CHECK_INT(rc, 0);
        CHECK_INT(i, STORE_DICT_TEXTS); /* short texts: the count decides */
        CHECK_INT(store_dict_wanted(t), 0);
        struct store_info in;
        CHECK_OK(store_info(t, &in));
        CHECK_INT(in.has_dict, 1);
        CHECK_INT(store_dict_offer(t, text, strlen(text)), 0);
        store_close(t);
        /* reopened: it has its dictionary; a new store given too little settles without one */
        CHECK_OK(store_open(d2, 0, &t));
        CHECK_INT(store_dict_wanted(t), 0);
        store_close(t);
        t = open_new(d2, sizeof d2, "st-dict2", 0);
        CHECK_INT(store_dict_offer(t, "짧다", strlen("짧다")), 1);
        CHECK_OK(store_dict_finish(t));
        CHECK_INT(store_dict_wanted(t), 0);
        CHECK_OK(store_info(t, &in));
        CHECK_INT(in.has_dict, 0);
        store_close(t);
    }

    TEST("f16 conversion: exact halves, rounding, specials") {
        float xs[] = { 0.0f, 1.0f, -2.5f, 65504.0f, 6.1035156e-05f, 5.9604645e-08f, 0.333251953125f };
        for (size_t i = 0; i < sizeof xs / sizeof xs[0]; i++)
            CHECK_NEAR(store_f16_to_f32(store_f32_to_f16(xs[i])), xs[i], 0);
        CHECK_INT(store_f32_to_f16(1.0f), 0x3c00);
        CHECK_INT(store_f32_to_f16(1e6f), 0x7c00);
        CHECK_INT(store_f32_to_f16(1.0f + 1.0f / 2048), 0x3c00); /* tie to even */
        CHECK_INT(store_f32_to_f16(1.0f + 3.0f / 2048), 0x3c02);
        for (int i = 0; i < 1000; i++) {
            float x = (float)((i - 500) * 0.0137);
            CHECK_NEAR(store_f16_to_f32(store_f32_to_f16(x)), x, fabs(x) / 1024 + 1e-7);
        }
    }

    return test_summary();
}
