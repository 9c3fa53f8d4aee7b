/*
 * cmd_query.c - `semindex query`: nearest chunks of some query texts (or of
 * a stored chunk) through the store's index.
 *
 * Queries are encoded with the model the store records (refused when the
 * model directory no longer matches its fingerprint). An index built at an
 * older generation of the store is used: chunks ingested since are not
 * found (their count is reported: a note on stderr and "newer_than_index" in
 * jsonl), hits whose chunks were deleted since are dropped; only another
 * model, dimension or a checksum mismatch refuse the index (rebuild it).
 * Queries read from a file are encoded and searched as one batch.
 *
 * Output, one line per hit, rank 1 first, with the hit's provenance
 * (query/report.h):
 *   tsv    query rank score id doc text shard entry record ext_id start end
 *          (a header line first; text fields escaped as in report.h: \\ \t
 *          \n \r)
 *   jsonl  {"query": i, "rank": r, "score": s, "id": chunk, "doc": doc, "text":
 *          "...", "shard", "entry", "record", "ext_id", "start", "end",
 *          "newer_than_index": n}   (n: search.h struct search_staleness .newer)
 */
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "err.h"
#include "index/ann/ann.h"
#include "index/store/store.h"
#include "ingest/encoder/encoder.h"
#include "log.h"
#include "mem.h"
#include "opts.h"
#include "query/report.h"
#include "query/search.h"
#include "jsonl.h"

struct query_options {
    char *store, *text, *id, *model;
    struct cli_input in;
    long top_k, threads;
    double threshold;
    int format;     /* enum query_format */
    int mmap;
    int precision;  /* enum enc_precision; -1: the store's */
};

enum query_format { QUERY_TSV, QUERY_JSONL };
static const char *const query_formats[] = { "tsv", "jsonl", NULL };

#define O(f) offsetof(struct query_options, f)
static const struct opt query_opts[] = {
    CLI_OPT_STORE(O(store)),
    OPT("top-k", 'k', OPT_INT, O(top_k), "N", "hits per query", .lo = 1, .hi = 10000, .def = "10"),
    OPT("threshold", 0, OPT_NUM, O(threshold), "S", "drop hits with a cosine score below S", .lo = -INFINITY,
        .hi = INFINITY),
    OPT("text", 0, OPT_STR, O(text), "T", "one query text"),
    OPT("id", 0, OPT_STR, O(id), "CHUNK", "the stored chunk's own vector as the query\n"
      "(the chunk itself is skipped)"),
    OPT("format", 0, OPT_ENUM, O(format), "tsv|jsonl", "each hit with its source (shard, entry, record,\n"
      "ext_id, byte span: docs/formats.md)", .def = "tsv", .choices = query_formats),
    OPT("mmap", 0, OPT_FLAG, O(mmap), NULL, "map the index's inverted lists instead of\nreading them (IVF)"),
    CLI_OPT_THREADS(O(threads)),
    OPT("precision", 0, OPT_ENUM, O(precision), "f32|bf16|int8", "encode the queries at this precision\n"
      "(default: the store's)", .choices = cli_precisions),
    OPT("model", 'm', OPT_STR, O(model), "DIR", "the store's model moved to DIR (checked\n"
      "against the store's fingerprint)"),
};
static const struct opt_group query_groups[] = {
    OPT_GROUP(query_opts, 0, NULL),
    CLI_INPUT_GROUP(O(in)),
};
#undef O
static const struct opts_cmd query_cmd = {
    .name = "query", .groups = query_groups, .n_groups = 2,
    .intro = "The nearest stored chunks of each query through the store's index (run\n"
             "'semindex build' first). The queries are one of --text, --input (searched as\n"
             "one batch) or --id; without any of them, texts are read from stdin.\n"
             "'semindex show' prints more about a hit.\n",
};

/* check_sources: at most one of --text, --input and --id, and --id a chunk
 * id (into *qid); OPTS_CONTINUE, or the status of the usage error printed. */
static int check_sources(const struct query_options *o, uint64_t *qid)
{
    if ((o->text != NULL) + (o->in.path != NULL) + (o->id != NULL) > 1)
        return opts_error(&query_cmd, "give at most one of --text, --input and --id");
    if (!o->id) return OPTS_CONTINUE;
    char *end;
    *qid = strtoull(o->id, &end, 10);
    if (end == o->id || *end || o->id[0] == '-') return opts_error(&query_cmd, "bad --id '%s'", o->id);
    return OPTS_CONTINUE;
}

int cmd_query(int argc, char **argv)
{
    struct query_options o = { .in = CLI_INPUT_INIT, .top_k = 10, .threshold = -INFINITY, .precision = -1 };
    int first, rc = opts_parse(&query_cmd, &o, argc, argv, &first);
    if (rc != OPTS_CONTINUE) return rc;
    const char *dir = o.store, *text = o.text, *idstr = o.id, *model = o.model;
    long k = o.top_k, threads = o.threads;
    double threshold = o.threshold;
    int jsonl = o.format == QUERY_JSONL, mmap = o.mmap, prec = o.precision;
    uint64_t qid = 0;
    if ((rc = check_sources(&o, &qid)) != OPTS_CONTINUE) {
        opts_release(&query_cmd, &o);
        return rc;
    }
    if (prec >= 0) cli_precision_warn(prec);

    rc = EXIT_FAIL;
    struct store *s = NULL;
    struct store_txn *t = NULL;
    struct ann *a = NULL;
    struct enc *e = NULL;
    struct cli_texts q = { 0 };
    float *qv = NULL, *sc = NULL;
    int64_t *lab = NULL;
    struct report_src hit = REPORT_SRC_INIT;
    struct store_info in;
    size_t nq = 0;
    struct search_staleness stale;
    if (store_open(dir, STORE_RDONLY, &s) < 0 || store_read_begin(s, &t) < 0 || store_txn_info(t, &in) < 0 ||
        search_open_index_stale(dir, t, &in, mmap ? ANN_READ_MMAP : 0, &a, &stale) < 0) {
        rc = cli_fail(NULL);
        goto out;
    }
    if (stale.newer || stale.gone)
        fprintf(stderr, "note: the index of '%s' was built at store generation %llu, the store is at %llu: %lld "
                "chunks are newer than the index and not searched, %lld indexed chunks are gone (run 'semindex "
                "build --store %s')\n", dir, (unsigned long long)stale.index_generation,
                (unsigned long long)stale.store_generation, (long long)stale.newer, (long long)stale.gone, dir);
    /* room to skip the query chunk itself and the hits of deleted chunks */
    int kk = (int)k + (idstr ? 1 : 0) + (int)(stale.gone < 1000 ? stale.gone : 1000);
    if (idstr) {
        nq = 1;
        qv = mem_alloc_array((size_t)in.dim, sizeof *qv);
        if (!qv) { err_set(ERR_NOMEM, "out of memory"); rc = cli_fail(NULL); goto out; }
        if (store_get_vector(t, qid, qv) < 0) { rc = cli_fail(NULL); goto out; }
    } else {
        if (text) {
            q.text = mem_calloc(1, sizeof *q.text);
            q.len = mem_calloc(1, sizeof *q.len);
            if (!q.text || !q.len || !(q.text[0] = mem_strdup(text))) {
                err_set(ERR_NOMEM, "out of memory");
                rc = cli_fail(NULL);
                goto out;
            }
            q.len[0] = strlen(text);
            q.n = q.cap = 1;
        } else if (cli_input_read(&o.in, &q) < 0) {
            rc = cli_fail(NULL);
            goto out;
        }
        nq = q.n;
        if (prec < 0) {
            int sp = ENC_F32;
            if (enc_precision_parse(in.precision, &sp) == 0) cli_precision_warn(sp);
        }
        if (search_open_encoder(&in, model, (int)threads, prec, &e) < 0) { rc = cli_fail(NULL); goto out; }
        qv = mem_alloc_array(nq ? nq : 1, (size_t)in.dim * sizeof *qv);
        if (!qv) { err_set(ERR_NOMEM, "out of memory for %zu queries", nq); rc = cli_fail(NULL); goto out; }
        if (nq && enc_encode(e, (const char *const *)q.text, q.len, nq, qv, NULL) < 0) {
            rc = cli_fail("cannot encode the queries");
            goto out;
        }
    }
    ann_normalize(qv, (int64_t)nq, in.dim);
    /* every hit's score is mine_score with the stored vector (the same on
     * every index type); compressed codes (SQ8, PQ): 4 kk candidates */
    int kc = ann_compressed(a) ? 4 * kk : kk;
    sc = mem_alloc_array(nq ? nq : 1, (size_t)kc * sizeof *sc);
    lab = mem_alloc_array(nq ? nq : 1, (size_t)kc * sizeof *lab);
    if (!sc || !lab) { err_set(ERR_NOMEM, "out of memory for results"); rc = cli_fail(NULL); goto out; }
    if (nq && ann_search(a, qv, (int64_t)nq, kc, sc, lab) < 0) { rc = cli_fail(NULL); goto out; }
    if (nq && search_rescore(t, in.dim, qv, nq, kc, kk, sc, lab) < 0) { rc = cli_fail(NULL); goto out; }
    if (!jsonl) printf("query\trank\tscore\tid\tdoc\ttext\tshard\tentry\trecord\text_id\tstart\tend\n");
    struct buf line = BUF_INIT;
    for (size_t i = 0; i < nq; i++) {
        int rank = 0;
        for (int r = 0; r < kk && rank < k; r++) {
            int64_t id = lab[i * kk + r];
            if (id < 0 || sc[i * kk + r] < threshold) continue;
            if (idstr && (uint64_t)id == qid) continue;
            report_src_reset(&hit);
            int grc = search_src(t, id, &hit);
            if (grc == ERR_NOTFOUND && stale.gone) continue; /* deleted since the build */
            if (grc < 0) {
                buf_release(&line);
                rc = cli_fail("index and store disagree");
                goto out;
            }
            rank++;
            if (jsonl) {
                buf_reset(&line);
                buf_printf(&line, "{\"query\": %zu, \"rank\": %d, \"score\": %.6f, \"id\": %lld, \"doc\": %llu, \"text\": ",
                           i, rank, sc[i * kk + r], (long long)id, (unsigned long long)hit.doc);
                jsonl_str(&line, hit.text.data ? hit.text.data : "", hit.text.len);
                report_json_prov(&line, &hit, "", 0);
                buf_printf(&line, ", \"newer_than_index\": %lld}\n", (long long)stale.newer);
                fwrite(line.data, 1, line.len, stdout);
            } else {
                printf("%zu\t%d\t%.6f\t%lld\t%llu\t", i, rank, sc[i * kk + r], (long long)id,
                       (unsigned long long)hit.doc);
                report_tsv_field(stdout, hit.text.data ? hit.text.data : "", hit.text.len);
                putchar('\t');
                report_tsv_prov(stdout, &hit);
                putchar('\n');
            }
        }
    }
    buf_release(&line);
    rc = EXIT_OK;
out:
    store_read_end(t);
    store_close(s);
    ann_free(a);
    enc_free(e);
    if (q.text) cli_texts_release(&q);
    mem_free(qv);
    mem_free(sc);
    mem_free(lab);
    report_src_release(&hit);
    opts_release(&query_cmd, &o);
    return rc;
}
