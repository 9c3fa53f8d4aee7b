/*
 * bench_ingest.c - `semindex bench ingest`: end-to-end ingest throughput
 * against the encoder alone on the same texts, in the same run.
 *
 * The corpus is generated (ingest/synth.h: Korean-like sentences from a small
 * vocabulary, every 7th repeated) into tar.zst shards under a temporary directory,
 * or given with --shards. The texts the pipeline will see are collected with
 * the same reader and segmenter. Then, best of --repeat runs each:
 *   baseline  enc_encode() over the unique chunk texts in memory, batches of
 *             --batch-chunks (the encode work ingest cannot avoid)
 *   ingest    ingest_run() into a fresh store: read, segment, tokenize,
 *             dedup, encode, write (LMDB, zstd, fsync per transaction)
 * and prints chunks/s of both and overlap = baseline time / ingest time
 * (1.0 = ingest costs nothing beyond the encoder). It also checks that
 * duplicates were not encoded (encoded == unique texts).
 */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bench/bench.h"
#include "common/err.h"
#include "common/fsutil.h"
#include "common/hash.h"
#include "common/log.h"
#include "common/mem.h"
#include "ingest/encoder/encoder.h"
#include "ingest/ingest.h"
#include "ingest/synth.h"
#include "pipeline/cli.h"

struct ingest_bench_options {
    char *model, *segment;
    long docs, shards, repeat, threads, batch_chunks;
};

#define O(f) offsetof(struct ingest_bench_options, f)
static const struct opt ingest_bench_opts[] = {
    OPT("model", 'm', OPT_STR, O(model), "DIR", "encoder", .def = ENC_BUILTIN_NGRAM),
    OPT("docs", 0, OPT_INT, O(docs), "N", "generated documents, 4 sentences each", .lo = 1, .hi = 1 << 24,
        .def = "6000"),
    OPT("shards", 0, OPT_INT, O(shards), "N", "generated shards", .lo = 1, .hi = 1 << 24, .def = "4"),
    OPT("repeat", 0, OPT_INT, O(repeat), "N", "runs of each measurement, the best is kept", .lo = 1,
        .hi = 1 << 24, .def = "3"),
    CLI_OPT_THREADS(O(threads)),
    OPT("batch-chunks", 0, OPT_INT, O(batch_chunks), "N", "chunks per encoder batch", .lo = 1, .hi = 1 << 24,
        .def = "1024"),
    OPT("segment", 0, OPT_STR, O(segment), "MODE", "doc, line, sentence, paragraph or window", .def = "sentence"),
};
#undef O
static const struct opt_group ingest_bench_groups[] = { OPT_GROUP(ingest_bench_opts, 0, NULL) };
static const struct opts_cmd ingest_bench_cmd = {
    .name = "bench ingest", .groups = ingest_bench_groups, .n_groups = 1, .args = "[SHARD...]",
    .args_help = "  SHARD...              use these shards instead of a generated corpus\n",
};

/* gen_shards: n_shards tar.zst shards of the synthetic corpus (ingest/synth.h)
 * under dir, n_docs documents of 4 sentences in all, one docs.jsonl each */
static int gen_shards(const char *dir, int n_shards, int n_docs, char ***paths)
{
    *paths = mem_calloc((size_t)n_shards, sizeof **paths);
    if (!*paths) return err_nomem();
    struct buf b = BUF_INIT, p = BUF_INIT;
    int per = n_docs / n_shards, rc = 0;
    for (int s = 0; s < n_shards && rc == 0; s++) {
        buf_reset(&p);
        buf_reset(&b);
        buf_printf(&p, "%s/bench-%02d.tar.zst", dir, s);
        struct synth_entry e = { "docs.jsonl", NULL, 0 };
        if (!((*paths)[s] = mem_strdup(p.data))) rc = err_nomem();
        if (rc == 0) rc = synth_docs(&b, (uint64_t)s * per, (uint64_t)s * per * 4, per, 4, 0);
        e.data = b.data, e.len = b.len;
        if (rc == 0) rc = synth_write_tar(p.data, &e, 1);
    }
    buf_release(&b);
    buf_release(&p);
    return rc;
}

/* collected chunk texts */
struct texts {
    char **s;
    size_t *n;
    size_t count, cap, unique;
    const struct seg_options *seg;
    struct seg_spans sp;
    struct hash128 *seen;
    size_t seen_cap;
};

static int seen_add(struct texts *t, struct hash128 h)
{
    size_t mask = t->seen_cap - 1;
    for (size_t i = h.lo & mask;; i = (i + 1) & mask) {
        if (!t->seen[i].lo && !t->seen[i].hi) {
            t->seen[i] = h;
            return 1;
        }
        if (t->seen[i].lo == h.lo && t->seen[i].hi == h.hi) return 0;
    }
}

static int on_doc(void *ctx, const struct src_doc *d)
{
    struct texts *t = ctx;
    FORWARD_ERR(seg_split(t->seg, d->text, d->len, &t->sp));
    for (size_t i = 0; i < t->sp.n; i++) {
        const char *s = d->text + t->sp.v[i].start;
        size_t n = t->sp.v[i].end - t->sp.v[i].start;
        if (t->count == t->cap) {
            size_t cap = mem_next_cap(t->cap, t->count + 1);
            FORWARD_ERR(MEM_RESIZE(t->s, cap));
            FORWARD_ERR(MEM_RESIZE(t->n, cap));
            t->cap = cap;
        }
        if (t->count * 2 >= t->seen_cap) return err_set(ERR_INVALID, "corpus larger than the bench's table");
        if (!seen_add(t, hash128(s, n))) continue; /* the baseline encodes unique texts */
        t->s[t->count] = mem_strndup(s, n);
        t->n[t->count++] = n;
        t->unique++;
    }
    return 0;
}

/* ingest_bench: the benchmark, over the shards given[0..n_given) or a generated
 * corpus when n_given is 0; the exit status. */
static int ingest_bench(const struct ingest_bench_options *bo, const char *const *given, size_t n_given)
{
    const char *model = bo->model ? bo->model : ENC_BUILTIN_NGRAM;
    long docs = bo->docs, n_shards = bo->shards, repeat = bo->repeat, batch = bo->batch_chunks;
    struct ingest_options o = INGEST_OPTIONS_INIT;
    if (bo->segment && seg_parse_mode(bo->segment, &o.seg.mode) < 0)
        return opts_error(&ingest_bench_cmd, "%s", err_msg());
    o.batch_chunks = (size_t)batch;
    o.batch_tokens = (size_t)1 << 30; /* batches by chunk count, like the baseline */

    char tmpl[] = "/tmp/semindex-bench-XXXXXX";
    const char *dir = mkdtemp(tmpl);
    if (!dir) return cli_fail("mkdtemp");
    char **gen = NULL;
    const char *const *shards;
    size_t n;
    if (n_given) {
        shards = given;
        n = n_given;
    } else {
        if (gen_shards(dir, (int)n_shards, (int)docs, &gen) < 0) return cli_fail(NULL);
        shards = (const char *const *)gen;
        n = (size_t)n_shards;
    }
    struct enc_options eo = ENC_OPTIONS_INIT;
    eo.n_threads = (int)bo->threads;
    struct enc *e = NULL;
    int rc = EXIT_FAIL;
    struct texts tx = { 0 };
    float *vec = NULL;
    if (enc_create(model, &eo, &e) < 0) { rc = cli_fail(NULL); goto out; }
    o.seg.tok = enc_tokenizer(e);
    tx.seg = &o.seg;
    tx.seen_cap = 1 << 24;
    tx.seen = mem_calloc(tx.seen_cap, sizeof *tx.seen);
    if (!tx.seen) { err_nomem(); rc = cli_fail(NULL); goto out; }
    uint64_t total_chunks = 0;
    for (size_t i = 0; i < n; i++) {
        struct src_stats ss = { 0 };
        if (src_read(shards[i], &o.src, on_doc, &tx, &ss) < 0) { rc = cli_fail(NULL); goto out; }
    }
    int dim = enc_dim(e);
    vec = mem_alloc_array((size_t)batch * (size_t)dim, sizeof *vec);
    if (!vec) { err_nomem(); rc = cli_fail(NULL); goto out; }

    double best_base = 1e30, best_ing = 1e30;
    struct ingest_stats best_st = { 0 };
    for (long r = 0; r < repeat; r++) {
        double t0 = now_sec();
        for (size_t i = 0; i < tx.count; i += (size_t)batch) {
            size_t k = tx.count - i < (size_t)batch ? tx.count - i : (size_t)batch;
            if (enc_encode(e, (const char *const *)tx.s + i, tx.n + i, k, vec, NULL) < 0) {
                rc = cli_fail("encode");
                goto out;
            }
        }
        double tb = now_sec() - t0;
        if (tb < best_base) best_base = tb;

        char sd[4200];
        snprintf(sd, sizeof sd, "%s/store", dir);
        fs_remove_tree(sd);
        struct store *s;
        if (store_open(sd, STORE_CREATE, &s) < 0) { rc = cli_fail(NULL); goto out; }
        struct ingest_stats st = { 0 };
        int ir = ingest_run(s, e, shards, n, &o, &st);
        store_close(s);
        if (ir < 0) { rc = cli_fail("ingest"); goto out; }
        if (st.t_total < best_ing) {
            best_ing = st.t_total;
            best_st = st;
        }
        total_chunks = st.chunks;
        fs_remove_tree(sd);
    }
    printf("model              %s (dim %d)\n", model, dim);
    printf("shards             %zu\n", n);
    printf("chunks             %llu (%zu unique, %llu duplicates)\n", (unsigned long long)total_chunks, tx.unique,
           (unsigned long long)best_st.duplicates);
    printf("encoder_alone      %.3f s  %.0f chunks/s (unique texts, in memory)\n", best_base,
           (double)tx.unique / best_base);
    printf("ingest             %.3f s  %.0f chunks/s (all chunks, end to end)\n", best_ing,
           (double)total_chunks / best_ing);
    printf("ingest_stages      prep %.3f s, encode %.3f s (waited %.3f s), write %.3f s\n", best_st.t_prep,
           best_st.t_encode, best_st.t_encode_wait, best_st.t_write);
    printf("overlap            %.3f (encoder-alone time / ingest time)\n", best_base / best_ing);
    printf("encoded            %llu (%s)\n", (unsigned long long)best_st.encoded,
           best_st.encoded == tx.unique ? "= unique texts: duplicates cost no encoder time" : "MISMATCH");
    rc = best_st.encoded == tx.unique ? EXIT_OK : EXIT_FAIL;
out:
    for (size_t i = 0; i < tx.count; i++) mem_free(tx.s[i]);
    mem_free(tx.s);
    mem_free(tx.n);
    mem_free(tx.seen);
    seg_spans_release(&tx.sp);
    mem_free(vec);
    enc_free(e);
    if (gen) {
        for (size_t i = 0; i < (size_t)n_shards; i++) {
            if (gen[i]) unlink(gen[i]);
            mem_free(gen[i]);
        }
        mem_free(gen);
    }
    rmdir(dir);
    return rc;
}

int bench_ingest(int argc, char **argv)
{
    struct ingest_bench_options bo = { .docs = 6000, .shards = 4, .repeat = 3, .batch_chunks = 1024 };
    int first, rc = opts_parse(&ingest_bench_cmd, &bo, argc, argv, &first);
    if (rc != OPTS_CONTINUE) return rc;
    rc = ingest_bench(&bo, (const char *const *)argv + first, (size_t)(argc - first));
    opts_release(&ingest_bench_cmd, &bo);
    return rc;
}
