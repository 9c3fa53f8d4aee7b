/*
 * test_ingest.c - the ingest pipeline end to end with builtin:ngram: what is
 * stored equals segmenting and encoding by hand; reruns skip; a changed shard
 * replaces its chunks; duplicate texts are not encoded; model mismatch and
 * --reembed; the lock; float16; --strict; readers see whole shards only (an
 * ingest stopped mid-shard, SIGSTOP then kill -9); and the crash test: kill -9 an
 * ingest at random moments (>= 20 times), resume, and compare the whole store
 * with one clean run.
 */
#include <lmdb.h>
#include <signal.h>
#include <stdint.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "common/err.h"
#include "common/fsutil.h"
#include "common/log.h"
#include "ingest/encoder/encoder.h"
#include "ingest/ingest.h"
#include "ingest/synth.h"
#include "tests/check.h"

static const char *path_of(const char *name)
{
    static char p[64][600]; /* pointers live for the whole run: never reused */
    static int k;
    k = (k + 1) % 64;
    snprintf(p[k], sizeof p[k], "%s/%s", test_tmpdir(), name);
    return p[k];
}

/* sentence i of the synthetic corpus (ingest/synth.h): every 7th repeats an earlier one */
static void sentence(char *out, size_t cap, int i)
{
    struct buf b = BUF_INIT;
    CHECK_OK(synth_sentence(&b, (uint64_t)i));
    snprintf(out, cap, "%s", b.data);
    buf_release(&b);
}

/* write_shard: a tar.zst of two jsonl files with n_docs documents of 3
 * sentences, plus one txt; salt changes the content (a new version). */
static void write_shard(const char *path, int first, int n_docs, int salt)
{
    struct buf b[2] = { BUF_INIT, BUF_INIT };
    int half = n_docs / 2;
    CHECK_OK(synth_docs(&b[0], (uint64_t)first, (uint64_t)first, half, 3, salt));
    CHECK_OK(synth_docs(&b[1], (uint64_t)(first + half), (uint64_t)(first + 3 * half), half, 3, salt));
    const char *txt = "텍스트 문서의 첫 문장이다. 두 번째 문장이다!\n\n새 문단.";
    struct synth_entry e[] = { { "part0.jsonl", b[0].data, b[0].len }, { "part1.jsonl", b[1].data, b[1].len },
                               { "notes.txt", txt, strlen(txt) } };
    CHECK_OK(synth_write_tar(path, e, 3));
    buf_release(&b[0]);
    buf_release(&b[1]);
}

static int run_ingest(const char *dir, const char *const *shards, size_t n, struct ingest_options *o,
                      struct ingest_stats *st)
{
    struct store *s;
    struct enc *e;
    struct enc_options eo = ENC_OPTIONS_INIT;
    eo.n_threads = 1;
    FORWARD_ERR(enc_create(ENC_BUILTIN_NGRAM, &eo, &e));
    int rc = store_open(dir, STORE_CREATE, &s);
    if (rc == 0) {
        rc = ingest_run(s, e, shards, n, o, st);
        store_close(s);
    }
    enc_free(e);
    return rc;
}

/* compare_stores: every chunk (facts, text, vector bytes), doc and shard of a
 * equals b's; returns the number of differences (printing the first few). */
static int compare_stores(const char *da, const char *db, const char *const *keys, size_t n_keys)
{
    struct store *a, *b;
    if (store_open(da, STORE_RDONLY, &a) < 0) return 1000;
    if (store_open(db, STORE_RDONLY, &b) < 0) { store_close(a); return 1000; }
    struct store_txn *ta, *tb;
    store_read_begin(a, &ta);
    store_read_begin(b, &tb);
    struct store_info ia, ib;
    store_txn_info(ta, &ia);
    store_txn_info(tb, &ib);
    int diff = 0;
#define DIFF(...) do { if (diff++ < 5) { printf("  diff: "); printf(__VA_ARGS__); printf("\n"); } } while (0)
    if (ia.n_chunks != ib.n_chunks || ia.n_vectors != ib.n_vectors || ia.n_docs != ib.n_docs ||
        ia.n_shards != ib.n_shards || ia.n_shards_open || ib.n_shards_open)
        DIFF("counts chunks %llu/%llu vectors %llu/%llu docs %llu/%llu shards %llu/%llu open %llu/%llu",
             (unsigned long long)ia.n_chunks, (unsigned long long)ib.n_chunks, (unsigned long long)ia.n_vectors,
             (unsigned long long)ib.n_vectors, (unsigned long long)ia.n_docs, (unsigned long long)ib.n_docs,
             (unsigned long long)ia.n_shards, (unsigned long long)ib.n_shards,
             (unsigned long long)ia.n_shards_open, (unsigned long long)ib.n_shards_open);
    struct store_iter *xa, *xb;
    store_chunk_iter_open(ta, 0, &xa);
    store_chunk_iter_open(tb, 0, &xb);
    struct buf sa = BUF_INIT, sb = BUF_INIT;
    struct store_doc doa = STORE_DOC_INIT, dob = STORE_DOC_INIT;
    float va[768], vb[768];
    uint64_t last_doc = UINT64_MAX;
    for (;;) {
        struct store_chunk ca, cb;
        int ra = store_iter_next_chunk(xa, &ca, &sa), rb = store_iter_next_chunk(xb, &cb, &sb);
        if (ra != rb) { DIFF("chunk iteration %d/%d", ra, rb); break; }
        if (ra != 1) break;
        if (ca.id != cb.id || ca.doc != cb.doc || ca.start != cb.start || ca.end != cb.end ||
            ca.n_tokens != cb.n_tokens || ca.truncated != cb.truncated || strcmp(sa.data, sb.data))
            DIFF("chunk %llu/%llu", (unsigned long long)ca.id, (unsigned long long)cb.id);
        if (store_get_vector(ta, ca.id, va) < 0 || store_get_vector(tb, cb.id, vb) < 0 || memcmp(va, vb, sizeof va))
            DIFF("vector of chunk %llu", (unsigned long long)ca.id);
        if (ca.doc != last_doc) {
            last_doc = ca.doc;
            if (store_get_doc(ta, ca.doc, &doa) < 0 || store_get_doc(tb, cb.doc, &dob) < 0 ||
                doa.record != dob.record || doa.offset != dob.offset || doa.n_chunks != dob.n_chunks ||
                strcmp(doa.entry.data, dob.entry.data) || strcmp(doa.ext_id.data, dob.ext_id.data) ||
                strcmp(doa.shard.data, dob.shard.data))
                DIFF("doc %llu", (unsigned long long)ca.doc);
        }
    }
    for (size_t i = 0; i < n_keys; i++) {
        struct store_shard ha, hb;
        int ra = store_get_shard(ta, keys[i], &ha), rb = store_get_shard(tb, keys[i], &hb);
        if (ra != rb || (ra == 0 && (ha.status != hb.status || ha.ordinal != hb.ordinal || ha.hash.lo != hb.hash.lo ||
                                     ha.n_chunks != hb.n_chunks || ha.n_docs != hb.n_docs)))
            DIFF("shard %s", keys[i]);
    }
#undef DIFF
    store_iter_close(xa);
    store_iter_close(xb);
    buf_release(&sa);
    buf_release(&sb);
    store_doc_release(&doa);
    store_doc_release(&dob);
    store_read_end(ta);
    store_read_end(tb);
    store_close(a);
    store_close(b);
    return diff;
}

/* make_legacy: turn dir into a store as an older semindex wrote it: 80-byte
 * shard records (no settings hash) and no meta "pending". */
static int make_legacy(const char *dir)
{
    MDB_env *env;
    MDB_txn *txn;
    MDB_dbi shards, meta;
    MDB_cursor *c;
    MDB_val k, v;
    int rc = mdb_env_create(&env);
    if (!rc) rc = mdb_env_set_maxdbs(env, 16);
    if (!rc) rc = mdb_env_open(env, dir, 0, 0644);
    if (!rc) rc = mdb_txn_begin(env, NULL, 0, &txn);
    if (rc) return -1;
    if (mdb_dbi_open(txn, "shards", 0, &shards) || mdb_dbi_open(txn, "meta", 0, &meta) ||
        mdb_cursor_open(txn, shards, &c)) {
        mdb_txn_abort(txn);
        mdb_env_close(env);
        return -1;
    }
    /* collect first, then rewrite (no puts under a moving cursor) */
    char keys[8][600];
    unsigned char vals[8][80];
    size_t kn[8];
    int n = 0;
    for (int op = MDB_FIRST; n < 8 && mdb_cursor_get(c, &k, &v, op) == 0; op = MDB_NEXT) {
        if (v.mv_size < 80 || k.mv_size > sizeof keys[0]) continue;
        memcpy(keys[n], k.mv_data, k.mv_size);
        kn[n] = k.mv_size;
        memcpy(vals[n], v.mv_data, 80);
        n++;
    }
    mdb_cursor_close(c);
    for (int i = 0; i < n; i++) {
        MDB_val key = { kn[i], keys[i] }, nv = { 80, vals[i] };
        if (mdb_put(txn, shards, &key, &nv, 0)) n = -1000;
    }
    MDB_val pk = { 7, "pending" };
    mdb_del(txn, meta, &pk, NULL);
    rc = mdb_txn_commit(txn);
    mdb_env_close(env);
    return rc ? -1 : n;
}

/* view: what a reader of store dir sees: vectors and chunks by iteration, the
 * counts of store_info, and how many of the iterated ids are not of ordinal
 * ord (*foreign). pending_n: chunks of ordinal pend seen by the ingest's own
 * view (store_read_begin_pending). Returns 0 or < 0. */
struct viewr {
    uint64_t n_vec, n_chunk, info_chunks, info_vectors, foreign, pending_n;
    int new_visible;          /* a lookup of chunk (pend, 0) succeeds for a reader */
};

static int view(struct store *s, uint64_t ord, uint64_t pend, struct viewr *v)
{
    memset(v, 0, sizeof *v);
    struct store_txn *t;
    FORWARD_ERR(store_read_begin(s, &t));
    struct store_info in;
    int rc = store_txn_info(t, &in);
    v->info_chunks = in.n_chunks;
    v->info_vectors = in.n_vectors;
    struct store_iter *it;
    float *vec = malloc((size_t)(in.dim ? in.dim : 1) * sizeof *vec);
    uint64_t id;
    if (rc == 0 && (rc = store_iter_open(t, 0, &it)) == 0) {
        while ((rc = store_iter_next(it, &id, vec)) == 1) {
            v->n_vec++;
            v->foreign += store_shard_of(id) != ord;
        }
        store_iter_close(it);
    }
    if (rc == 0 && (rc = store_chunk_iter_open(t, 0, &it)) == 0) {
        struct store_chunk c;
        while ((rc = store_iter_next_chunk(it, &c, NULL)) == 1) {
            v->n_chunk++;
            v->foreign += store_shard_of(c.id) != ord;
        }
        store_iter_close(it);
    }
    struct store_chunk c;
    v->new_visible = store_get_chunk(t, store_make_id(pend, 0), &c, NULL) == 0;
    store_read_end(t);
    free(vec);
    err_clear();
    if (rc < 0) return rc;
    FORWARD_ERR(store_read_begin_pending(s, &t));
    if ((rc = store_chunk_iter_open(t, store_make_id(pend, 0), &it)) == 0) {
        while ((rc = store_iter_next_chunk(it, &c, NULL)) == 1 && store_shard_of(c.id) == pend) v->pending_n++;
        store_iter_close(it);
    }
    store_read_end(t);
    return rc < 0 ? rc : 0;
}

/* stop_mid_shard: run an ingest of shard in a child; SIGSTOP it once the
 * ingest's own view holds >= 64 chunks of the shard's new ordinal (its record
 * is in progress with an ordinal other than old_ord, or any ordinal when
 * old_ord is -1). Returns the child's pid (stopped), with *ord the new
 * ordinal, or -1 when the child finished first. */
static pid_t stop_mid_shard(const char *dir, const char *shard, const char *key, struct ingest_options *o,
                            int64_t old_ord, uint64_t *ord)
{
    pid_t pid = fork();
    if (pid == 0) {
        struct ingest_stats sx = { 0 };
        _exit(run_ingest(dir, &shard, 1, o, &sx) < 0 ? 1 : 0);
    }
    for (;;) {
        struct store *s;
        int ws;
        if (waitpid(pid, &ws, WNOHANG) == pid) return -1;
        if (store_open(dir, STORE_RDONLY, &s) == 0) {
            struct store_txn *t;
            struct store_shard sh;
            int hit = 0;
            if (store_read_begin_pending(s, &t) == 0) {
                if (store_get_shard(t, key, &sh) == 0 && sh.status == STORE_SHARD_OPEN &&
                    (int64_t)sh.ordinal != old_ord) {
                    struct store_iter *it;
                    struct store_chunk c;
                    int n = 0;
                    if (store_chunk_iter_open(t, store_make_id(sh.ordinal, 0), &it) == 0) {
                        while (n < 64 && store_iter_next_chunk(it, &c, NULL) == 1 && store_shard_of(c.id) == sh.ordinal)
                            n++;
                        store_iter_close(it);
                    }
                    if (n >= 64) {
                        hit = 1;
                        *ord = sh.ordinal;
                    }
                }
                store_read_end(t);
            }
            store_close(s);
            err_clear();
            if (hit) {
                kill(pid, SIGSTOP);
                return pid;
            }
        }
        usleep(500);
    }
}

int main(void)
{
    log_level = LOG_ERROR;
    const char *A = path_of("a.tar.zst"), *B = path_of("b.tar.zst"), *C = path_of("c.tar.zst"),
               *D = path_of("d.tar.zst");
    write_shard(A, 0, 40, 0);
    write_shard(B, 1000, 40, 0);
    write_shard(C, 2000, 40, 0);
    write_shard(D, 3000, 40, 0);
    const char *shards3[] = { A, B, C };
    struct ingest_options o = INGEST_OPTIONS_INIT;
    o.src.id_field = "id";
    o.batch_chunks = 32;
    const char *S1 = path_of("s1");

    TEST("stored chunks equal segmenting and encoding by hand") {
        struct ingest_stats st = { 0 };
        CHECK_OK(run_ingest(S1, shards3, 3, &o, &st));
        CHECK_INT(st.shards_new, 3);
        CHECK_INT(st.docs, 3 * 41);
        /* 40 docs x 3 sentences + the txt's 3 sentences, per shard */
        CHECK_INT(st.chunks, 3 * 123);
        CHECK_TRUE(st.duplicates > 0);
        CHECK_INT(st.encoded + st.duplicates, st.chunks);
        struct store *s;
        struct enc *e;
        CHECK_OK(store_open(S1, STORE_RDONLY, &s));
        CHECK_OK(enc_create(ENC_BUILTIN_NGRAM, NULL, &e));
        struct store_txn *t;
        CHECK_OK(store_read_begin(s, &t));
        struct store_info in;
        CHECK_OK(store_txn_info(t, &in));
        CHECK_INT(in.n_chunks, 3 * 123);
        CHECK_INT(in.n_vectors, 3 * 123);
        CHECK_INT(in.n_shards, 3);
        CHECK_STR(in.model, ENC_BUILTIN_NGRAM);
        CHECK_INT(in.dim, 768);
        /* doc 0 of shard 0: sentences 0, 1, 2 */
        struct store_doc d = STORE_DOC_INIT;
        CHECK_OK(store_get_doc(t, store_make_id(0, 0), &d));
        CHECK_STR(d.entry.data, "part0.jsonl");
        CHECK_STR(d.ext_id.data, "d0");
        CHECK_INT(d.record, 1);
        CHECK_INT(d.n_chunks, 3);
        CHECK_TRUE(strstr(d.shard.data, "a.tar.zst") != NULL);
        store_doc_release(&d);
        struct store_chunk c;
        struct buf text = BUF_INIT;
        char want[200];
        sentence(want, sizeof want, 1);
        CHECK_OK(store_get_chunk(t, store_make_id(0, 1), &c, &text));
        CHECK_STR(text.data, want);
        CHECK_INT(c.doc, store_make_id(0, 0));
        CHECK_INT(c.n_tokens, (int)strlen(want) > 0 ? c.n_tokens : -1);
        float v[768], w[768];
        const char *tx = text.data;
        size_t ln = text.len;
        CHECK_OK(enc_encode(e, &tx, &ln, 1, w, NULL));
        CHECK_OK(store_get_vector(t, c.id, v));
        CHECK_TRUE(memcmp(v, w, sizeof v) == 0);
        /* a duplicate (sentence 6 repeats 1) has the same vector */
        CHECK_OK(store_get_chunk(t, store_make_id(0, 6 - 0), &c, &text));
        sentence(want, sizeof want, 6);
        CHECK_STR(text.data, want);
        CHECK_OK(store_get_vector(t, c.id, v));
        CHECK_TRUE(memcmp(v, w, sizeof v) == 0);
        /* the txt: three sentences, spans into the document */
        uint64_t base = store_make_id(0, 120);
        CHECK_OK(store_get_chunk(t, base + 2, &c, &text));
        CHECK_STR(text.data, "새 문단.");
        CHECK_OK(store_get_doc(t, c.doc, &d));
        CHECK_STR(d.entry.data, "notes.txt");
        CHECK_INT(c.end - c.start, strlen("새 문단."));
        store_doc_release(&d);
        buf_release(&text);
        store_read_end(t);
        store_close(s);
        enc_free(e);
    }

    TEST("a rerun skips every shard and changes nothing") {
        struct store_info before, after;
        struct store *s;
        CHECK_OK(store_open(S1, STORE_RDONLY, &s));
        CHECK_OK(store_info(s, &before));
        store_close(s);
        struct ingest_stats st = { 0 };
        CHECK_OK(run_ingest(S1, shards3, 3, &o, &st));
        CHECK_INT(st.shards_skipped, 3);
        CHECK_INT(st.chunks, 0);
        CHECK_OK(store_open(S1, STORE_RDONLY, &s));
        CHECK_OK(store_info(s, &after));
        store_close(s);
        CHECK_INT(after.generation, before.generation);
        CHECK_INT(after.n_chunks, before.n_chunks);
    }

    TEST("a changed shard replaces its chunks; a new one is added") {
        write_shard(A, 0, 30, 1);
        const char *shards4[] = { A, B, C, D };
        struct ingest_stats st = { 0 };
        CHECK_OK(run_ingest(S1, shards4, 4, &o, &st));
        CHECK_INT(st.shards_changed, 1);
        CHECK_INT(st.shards_new, 1);
        CHECK_INT(st.shards_skipped, 2);
        CHECK_INT(st.deleted, 123);
        struct store *s;
        CHECK_OK(store_open(S1, STORE_RDONLY, &s));
        struct store_txn *t;
        CHECK_OK(store_read_begin(s, &t));
        struct store_info in;
        CHECK_OK(store_txn_info(t, &in));
        CHECK_INT(in.n_chunks, 93 + 3 * 123);
        CHECK_INT(in.n_docs, 31 + 3 * 41);
        CHECK_INT(in.n_shards, 4);
        struct store_chunk c;
        CHECK_INT(store_get_chunk(t, store_make_id(0, 0), &c, NULL), ERR_NOTFOUND);
        /* the new version got ordinal 3 (B=1, C=2), D ordinal 4 */
        CHECK_OK(store_get_chunk(t, store_make_id(3, 92), &c, NULL));
        CHECK_OK(store_get_chunk(t, store_make_id(4, 0), &c, NULL));
        struct store_doc d = STORE_DOC_INIT;
        CHECK_INT(store_get_doc(t, store_make_id(0, 0), &d), ERR_NOTFOUND);
        store_doc_release(&d);
        store_read_end(t);
        store_close(s);
        write_shard(A, 0, 40, 0);
    }

    TEST("another model is ERR_MISMATCH; the lock; --strict") {
        struct store *s;
        CHECK_OK(store_open(S1, 0, &s));
        struct store_info in0;
        CHECK_OK(store_info(s, &in0));
        store_close(s);
        /* a fake record of another model */
        CHECK_OK(store_open(S1, 0, &s));
        struct ingest_stats st = { 0 };
        struct enc *e;
        CHECK_OK(enc_create(ENC_BUILTIN_NGRAM, NULL, &e));
        /* the writer lock held by a live process (a child holding the flock) */
        int pfd[2];
        CHECK_TRUE(pipe(pfd) == 0);
        pid_t kid = fork();
        if (kid == 0) {
            struct fs_lock x;
            char ok = store_lock_writer(S1, &x) == 0 ? 'y' : 'n';
            if (write(pfd[1], &ok, 1) != 1) _exit(2);
            pause();
            _exit(0);
        }
        char ok = 0;
        CHECK_TRUE(read(pfd[0], &ok, 1) == 1 && ok == 'y');
        close(pfd[0]);
        close(pfd[1]);
        struct ingest_stats st0 = { 0 };
        CHECK_INT(ingest_run(s, e, shards3, 3, &o, &st0), ERR_BUSY);
        char want[64];
        snprintf(want, sizeof want, "is locked by pid %d", (int)kid);
        CHECK_TRUE(strstr(err_msg(), want) != NULL);
        CHECK_INT(st0.shards_seen, 0);
        kill(kid, SIGKILL);
        waitpid(kid, NULL, 0);
        /* the kernel released it: no stale lock to take over */
        char lp[700];
        snprintf(lp, sizeof lp, "%s/ingest.lock", S1);
        CHECK_OK(ingest_run(s, e, shards3, 3, &o, &st));
        CHECK_TRUE(fs_exists(lp));
        store_close(s);
        enc_free(e);
        /* the model check compares fingerprints */
        const char *fx = fixtures_dir();
        if (!fx) { printf("  note: no fixtures, model mismatch not run\n"); }
        else {
            char mdir[600];
            snprintf(mdir, sizeof mdir, "%s/bert-tiny-ko/model", fx);
            struct enc *e2;
            struct enc_options eo = ENC_OPTIONS_INIT;
            eo.n_threads = 1;
            if (enc_create(mdir, &eo, &e2) == 0) {
                const char *S2 = path_of("s-model");
                const char *one[] = { B };
                struct ingest_stats st2 = { 0 };
                CHECK_OK(run_ingest(S2, one, 1, &o, &st2));
                CHECK_OK(store_open(S2, 0, &s));
                CHECK_INT(ingest_run(s, e2, one, 1, &o, &st2), ERR_MISMATCH);
                CHECK_TRUE(strstr(err_msg(), "--reembed") != NULL);
                struct ingest_options o2 = o;
                o2.reembed = 1;
                struct ingest_stats st3 = { 0 };
                CHECK_OK(ingest_run(s, e2, one, 1, &o2, &st3));
                CHECK_INT(st3.reembedded, 123);
                struct store_info in;
                CHECK_OK(store_info(s, &in));
                CHECK_INT(in.dim, enc_dim(e2));
                CHECK_STR(in.fingerprint, enc_fingerprint(e2));
                struct store_txn *t;
                CHECK_OK(store_read_begin(s, &t));
                float *v = malloc((size_t)enc_dim(e2) * sizeof *v), *w = malloc((size_t)enc_dim(e2) * sizeof *w);
                struct store_chunk c;
                struct buf text = BUF_INIT;
                CHECK_OK(store_get_chunk(t, store_make_id(0, 5), &c, &text));
                CHECK_OK(store_get_vector(t, c.id, v));
                const char *tx = text.data;
                size_t ln = text.len;
                CHECK_OK(enc_encode(e2, &tx, &ln, 1, w, NULL));
                /* a transformer's floats depend slightly on the batch it ran in */
                double md = 0;
                for (int k = 0; k < enc_dim(e2); k++) md = fmax(md, fabs(v[k] - w[k]));
                CHECK_TRUE(md < 1e-5);
                buf_release(&text);
                free(v);
                free(w);
                store_read_end(t);
                store_close(s);
                enc_free(e2);
            } else {
                printf("  note: cannot load %s: %s\n", mdir, err_msg());
            }
        }
        /* --strict: a shard with a malformed line fails the run */
        const char *bad = path_of("bad.jsonl");
        fs_write_atomic(bad, "{\"text\": \"좋다.\"}\n{broken\n", 25);
        const char *S3 = path_of("s-strict");
        const char *one[] = { bad };
        struct ingest_options o3 = o;
        struct ingest_stats st4 = { 0 };
        CHECK_OK(run_ingest(S3, one, 1, &o3, &st4));
        CHECK_INT(st4.rejected, 1);
        CHECK_INT(st4.chunks, 1);
        fs_remove_tree(S3);
        o3.src.strict = 1;
        struct ingest_stats st5 = { 0 };
        CHECK_INT(run_ingest(S3, one, 1, &o3, &st5), ERR_FORMAT);
    }

    TEST("float16 store: vectors within half precision of float32") {
        const char *S4 = path_of("s-f16");
        struct ingest_options o4 = o;
        o4.dtype = STORE_F16;
        const char *one[] = { B };
        struct ingest_stats st = { 0 };
        CHECK_OK(run_ingest(S4, one, 1, &o4, &st));
        struct store *s, *r;
        CHECK_OK(store_open(S4, STORE_RDONLY, &s));
        CHECK_OK(store_open(S1, STORE_RDONLY, &r));
        struct store_txn *t, *u;
        CHECK_OK(store_read_begin(s, &t));
        CHECK_OK(store_read_begin(r, &u));
        struct store_info in;
        CHECK_OK(store_txn_info(t, &in));
        CHECK_INT(in.dtype, STORE_F16);
        float v[768], w[768];
        double maxd = 0;
        for (int i = 0; i < 123; i++) {
            CHECK_OK(store_get_vector(t, store_make_id(0, i), v));
            CHECK_OK(store_get_vector(u, store_make_id(1, i), w)); /* B is ordinal 1 in S1 */
            for (int k = 0; k < 768; k++) maxd = fmax(maxd, fabs(v[k] - w[k]));
        }
        CHECK_TRUE(maxd > 0 && maxd < 1e-3);
        store_read_end(t);
        store_read_end(u);
        store_close(s);
        store_close(r);
    }

    TEST("--reembed killed at random moments resumes to the same vectors") {
        const char *fx = fixtures_dir();
        char mdir[600];
        struct enc *e2 = NULL;
        struct enc_options eo = ENC_OPTIONS_INIT;
        eo.n_threads = 1;
        if (fx) snprintf(mdir, sizeof mdir, "%s/bert-tiny-ko/model", fx);
        if (!fx || enc_create(mdir, &eo, &e2) < 0) { SKIP("no fixture model"); break; }
        const char *S5 = path_of("s-reembed");
        const char *one[] = { C };
        struct ingest_options o5 = o;
        o5.reembed = 1;
        srand((unsigned)time(NULL) ^ 0x5a5a);
        int kills = 0, bad = 0;
        for (int it = 0; it < 3 && !bad; it++) {
            fs_remove_tree(S5);
            struct ingest_stats st = { 0 };
            CHECK_OK(run_ingest(S5, one, 1, &o, &st));
            pid_t pid = fork();
            if (pid == 0) {
                struct store *s;
                struct ingest_stats sx = { 0 };
                if (store_open(S5, 0, &s) < 0) _exit(1);
                _exit(ingest_run(s, e2, one, 1, &o5, &sx) < 0 ? 1 : 0);
            }
            usleep((useconds_t)(20000 + rand() % 200000));
            kill(pid, SIGKILL);
            waitpid(pid, NULL, 0);
            kills++;
            struct store *s;
            CHECK_OK(store_open(S5, 0, &s));
            struct ingest_stats sr = { 0 };
            CHECK_OK(ingest_run(s, e2, one, 1, &o5, &sr));
            struct store_txn *t;
            CHECK_OK(store_read_begin(s, &t));
            struct buf m = BUF_INIT;
            CHECK_INT(store_get_meta(t, "reembed", &m), ERR_NOTFOUND);
            buf_release(&m);
            struct store_info in;
            CHECK_OK(store_txn_info(t, &in));
            CHECK_INT(in.n_vectors, 123);
            CHECK_INT(in.dim, enc_dim(e2));
            int dim = enc_dim(e2);
            float *v = malloc((size_t)dim * sizeof *v), *w = malloc((size_t)dim * sizeof *w);
            struct store_iter *x;
            struct store_chunk c;
            struct buf text = BUF_INIT;
            CHECK_OK(store_chunk_iter_open(t, 0, &x));
            while (store_iter_next_chunk(x, &c, &text) == 1) {
                const char *tx = text.data;
                size_t ln = text.len;
                if (store_get_vector(t, c.id, v) < 0 || enc_encode(e2, &tx, &ln, 1, w, NULL) < 0) { bad++; continue; }
                double md = 0;
                for (int k = 0; k < dim; k++) md = fmax(md, fabs(v[k] - w[k]));
                if (md > 1e-5) bad++;
            }
            store_iter_close(x);
            buf_release(&text);
            free(v);
            free(w);
            store_read_end(t);
            store_close(s);
        }
        CHECK_INT(bad, 0);
        enc_free(e2);
    }

    TEST("a store of an older semindex (80-byte shard records, no pending list): skips, then replaces on new settings") {
        const char *L = path_of("legacy");
        fs_remove_tree(L);
        struct ingest_stats st = { 0 };
        CHECK_OK(run_ingest(L, shards3, 3, &o, &st));
        CHECK_INT(make_legacy(L), 3);
        struct ingest_stats s2 = { 0 };
        CHECK_OK(run_ingest(L, shards3, 3, &o, &s2));
        CHECK_INT(s2.shards_skipped, 3);
        struct ingest_options oi = o;
        oi.src.id_field = NULL; /* o has "id" */
        struct ingest_stats s3 = { 0 };
        CHECK_OK(run_ingest(L, shards3, 3, &oi, &s3));
        CHECK_INT(s3.shards_changed, 3);
        CHECK_INT(s3.deleted, st.chunks);
        struct ingest_stats s4 = { 0 };
        CHECK_OK(run_ingest(L, shards3, 3, &oi, &s4));
        CHECK_INT(s4.shards_skipped, 3);
        struct store *s;
        CHECK_OK(store_open(L, STORE_RDONLY, &s));
        struct store_info in;
        CHECK_OK(store_info(s, &in));
        CHECK_INT(in.n_chunks, st.chunks);
        CHECK_INT(in.n_shards, 3);
        CHECK_INT(in.n_shards_open, 0);
        store_close(s);
    }

    TEST("readers see whole shards only: a changed shard stopped mid-way, then killed, then finished") {
        const char *W = path_of("iso"), *X = path_of("x.tar.zst");
        struct ingest_options oi = o;
        oi.batch_chunks = 16; /* many commits inside the shard */
        int done = 0;
        for (int attempt = 0; attempt < 3 && !done; attempt++) {
            fs_remove_tree(W);
            write_shard(X, 0, 600, 0);
            struct ingest_stats st = { 0 };
            CHECK_OK(run_ingest(W, &X, 1, &oi, &st));
            char *key = strdup("x.tar.zst"); /* keyed relative to the corpus root: X's directory */
            struct store *s;
            struct store_shard old;
            struct store_txn *t;
            CHECK_OK(store_open(W, STORE_RDONLY, &s));
            CHECK_OK(store_read_begin(s, &t));
            CHECK_OK(store_get_shard(t, key, &old));
            store_read_end(t);
            store_close(s);
            write_shard(X, 0, 500, 1); /* version 2 */
            uint64_t nord = 0;
            pid_t pid = stop_mid_shard(W, X, key, &oi, (int64_t)old.ordinal, &nord);
            if (pid < 0) {
                printf("  attempt %d: the ingest finished before it could be stopped\n", attempt);
                free(key);
                continue;
            }
            done = 1;
            struct viewr v;
            CHECK_OK(store_open(W, STORE_RDONLY, &s));
            /* stopped: the old version whole, nothing of the new */
            CHECK_OK(view(s, old.ordinal, nord, &v));
            CHECK_TRUE(v.pending_n >= 64);
            CHECK_INT(v.n_vec, old.n_chunks);
            CHECK_INT(v.n_chunk, old.n_chunks);
            CHECK_INT(v.info_chunks, old.n_chunks);
            CHECK_INT(v.info_vectors, old.n_chunks);
            CHECK_INT(v.foreign, 0);
            CHECK_INT(v.new_visible, 0);
            /* killed: the same */
            kill(pid, SIGKILL);
            waitpid(pid, NULL, 0);
            CHECK_OK(view(s, old.ordinal, nord, &v));
            CHECK_INT(v.n_vec, old.n_chunks);
            CHECK_INT(v.n_chunk, old.n_chunks);
            CHECK_INT(v.foreign, 0);
            CHECK_INT(v.new_visible, 0);
            store_close(s);
            /* an ingest of another shard drops the partial chunks; the record
             * stays in progress with its ordinal */
            const char *Y = path_of("y.tar.zst");
            write_shard(Y, 5000, 4, 0);
            struct ingest_stats sy = { 0 };
            CHECK_OK(run_ingest(W, &Y, 1, &oi, &sy));
            CHECK_TRUE(sy.deleted >= 64);
            CHECK_OK(store_open(W, STORE_RDONLY, &s));
            CHECK_OK(view(s, old.ordinal, nord, &v));
            CHECK_INT(v.pending_n, 0);
            CHECK_INT(v.n_chunk, old.n_chunks + sy.chunks);
            CHECK_INT(v.foreign, 2 * sy.chunks);
            CHECK_OK(store_read_begin(s, &t));
            struct store_shard mid;
            CHECK_OK(store_get_shard(t, key, &mid));
            CHECK_INT(mid.status, STORE_SHARD_OPEN);
            CHECK_INT(mid.ordinal, nord);
            store_read_end(t);
            store_close(s);
            unlink(Y);
            /* the rerun finishes it: the new version whole, nothing of the old */
            struct ingest_stats s2 = { 0 };
            CHECK_OK(run_ingest(W, &X, 1, &oi, &s2));
            CHECK_INT(s2.shards_resumed, 1);
            struct store_shard nw;
            CHECK_OK(store_open(W, STORE_RDONLY, &s));
            CHECK_OK(store_read_begin(s, &t));
            CHECK_OK(store_get_shard(t, key, &nw));
            store_read_end(t);
            CHECK_INT(nw.ordinal, nord);
            CHECK_INT(nw.status, STORE_SHARD_DONE);
            CHECK_TRUE(nw.n_chunks != old.n_chunks);
            CHECK_OK(view(s, nord, nord, &v));
            CHECK_INT(v.n_vec, nw.n_chunks + sy.chunks);
            CHECK_INT(v.n_chunk, nw.n_chunks + sy.chunks);
            CHECK_INT(v.info_chunks, nw.n_chunks + sy.chunks);
            CHECK_INT(v.foreign, 2 * sy.chunks); /* y's */
            CHECK_INT(v.new_visible, 1);
            store_close(s);
            /* a first-time shard stopped mid-way: nothing of it */
            const char *W2 = path_of("iso-new");
            fs_remove_tree(W2);
            pid = stop_mid_shard(W2, X, key, &oi, -1, &nord);
            if (pid > 0) {
                CHECK_OK(store_open(W2, STORE_RDONLY, &s));
                CHECK_OK(view(s, nord, nord, &v));
                CHECK_TRUE(v.pending_n >= 64);
                CHECK_INT(v.n_vec, 0);
                CHECK_INT(v.n_chunk, 0);
                CHECK_INT(v.info_chunks, 0);
                CHECK_INT(v.new_visible, 0);
                kill(pid, SIGKILL);
                waitpid(pid, NULL, 0);
                CHECK_OK(view(s, nord, nord, &v));
                CHECK_INT(v.n_chunk, 0);
                store_close(s);
            } else {
                printf("  note: the first-time ingest finished before it could be stopped\n");
            }
            free(key);
        }
        CHECK_TRUE(done);
        unlink(X);
    }

    TEST("crash test: kill -9 at random moments, resume, same store as one clean run") {
        /* the scenario: night 1 ingests A B C; night 2 ingests A' B C D (A changed) */
        const char *REF = path_of("ref"), *CR = path_of("crash");
        const char *night2[] = { A, B, C, D };
        char *keys[4];
        for (int i = 0; i < 4; i++) keys[i] = realpath(night2[i], NULL);
        struct ingest_options oc = o;
        oc.batch_chunks = 16; /* many small transactions: more moments to die in */
        struct ingest_stats st = { 0 };
        fs_remove_tree(REF);
        write_shard(A, 0, 40, 0);
        CHECK_OK(run_ingest(REF, shards3, 3, &oc, &st));
        write_shard(A, 0, 30, 1);
        double t0 = now_sec();
        CHECK_OK(run_ingest(REF, night2, 4, &oc, &st));
        double t_run = now_sec() - t0;
        srand((unsigned)time(NULL));
        int kills = 0, landed = 0, bad = 0;
        for (int it = 0; (landed < 20 || kills < 20) && it < 60 && !bad; it++) {
            fs_remove_tree(CR);
            write_shard(A, 0, 40, 0);
            struct ingest_stats s1 = { 0 };
            CHECK_OK(run_ingest(CR, shards3, 3, &oc, &s1));
            write_shard(A, 0, 30, 1);
            /* one or two kills, then a run to the end */
            int n_kill = 1 + it % 2;
            for (int k = 0; k < n_kill; k++) {
                pid_t pid = fork();
                if (pid == 0) {
                    struct ingest_stats sx = { 0 };
                    _exit(run_ingest(CR, night2, 4, &oc, &sx) < 0 ? 1 : 0);
                }
                useconds_t us = (useconds_t)((double)rand() / RAND_MAX * t_run * (k ? 0.3e6 : 0.8e6));
                usleep(us);
                kill(pid, SIGKILL);
                int ws;
                waitpid(pid, &ws, 0);
                kills++;
                if (WIFSIGNALED(ws)) landed++;
            }
            struct ingest_stats s2 = { 0 };
            CHECK_OK(run_ingest(CR, night2, 4, &oc, &s2));
            int d = compare_stores(REF, CR, (const char *const *)keys, 4);
            if (d) {
                printf("  iteration %d: %d differences\n", it, d);
                bad = 1;
            }
        }
        printf("  %d kills (%d during the run, t_run %.3fs), every resume equal to the clean run\n", kills, landed,
               t_run);
        CHECK_INT(bad, 0);
        CHECK_TRUE(landed >= 20);
        for (int i = 0; i < 4; i++) free(keys[i]);
        write_shard(A, 0, 40, 0);
    }

    return test_summary();
}
