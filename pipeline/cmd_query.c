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
 *          "...", "shard", "entry", "record", "offset", "ext_id", "start",
 *          "end", "newer_than_index": n}   (n: search.h struct
 *          search_staleness .newer)
 */
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/err.h"
#include "common/jsonl.h"
#include "common/log.h"
#include "common/mem.h"
#include "index/ann/ann.h"
#include "ingest/encoder/encoder.h"
#include "pipeline/cli.h"
#include "pipeline/opts.h"
#include "query/report.h"
#include "query/search.h"

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

struct query_out {
    int jsonl;
    long long newer;    /* chunks newer than the index ("newer_than_index") */
    struct buf line;
    int started;        /* the tsv header is out */
};

/* start: the tsv header, once, when the first hit or the end of a search
 * that failed nowhere comes */
static void start(struct query_out *o)
{
    if (!o->jsonl && !o->started)
        printf("query\trank\tscore\tid\tdoc\ttext\tshard\tentry\trecord\text_id\tstart\tend\n");
    o->started = 1;
}

static int print_hit(void *ctx, const struct search_hit *h)
{
    struct query_out *o = ctx;
    const struct report_src *s = h->src;
    start(o);
    if (o->jsonl) {
        buf_reset(&o->line);
        struct jsonl_row r;
        jsonl_begin(&r, &o->line);
        jsonl_u64(&r, "query", h->query);
        jsonl_i64(&r, "rank", h->rank);
        jsonl_num(&r, "score", h->score, 6);
        jsonl_i64(&r, "id", h->id);
        jsonl_u64(&r, "doc", s->doc);
        jsonl_buf(&r, "text", &s->text);
        report_json_prov(&r, s, "", 0);
        jsonl_i64(&r, "newer_than_index", o->newer);
        if (jsonl_end(&r) < 0) return r.rc;
        fwrite(o->line.data, 1, o->line.len, stdout);
    } else {
        printf("%zu\t%d\t%.6f\t%lld\t%llu\t", h->query, h->rank, h->score, (long long)h->id,
               (unsigned long long)s->doc);
        report_tsv_field(stdout, s->text.data ? s->text.data : "", s->text.len);
        putchar('\t');
        report_tsv_prov(stdout, s, 0);
        putchar('\n');
    }
    return 0;
}

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
    const char *dir = o.store, *text = o.text, *idstr = o.id;
    int prec = o.precision;
    uint64_t qid = 0;
    if ((rc = check_sources(&o, &qid)) != OPTS_CONTINUE) {
        opts_release(&query_cmd, &o);
        return rc;
    }
    if (prec >= 0) cli_precision_warn(prec);

    struct search_options so = SEARCH_OPTIONS_INIT;
    so.flags = o.mmap ? ANN_READ_MMAP : 0;
    so.model = o.model;
    so.n_threads = (int)o.threads;
    so.precision = prec;
    struct search_request rq = SEARCH_REQUEST_INIT;
    rq.k = (int)o.top_k;
    rq.threshold = o.threshold;
    rq.by_id = idstr != NULL;
    rq.id = qid;
    struct search *se = NULL;
    struct cli_texts q = { 0 };
    struct query_out qo = { o.format == QUERY_JSONL, 0, BUF_INIT, 0 };
    rc = EXIT_FAIL;
    if (search_open(dir, &so, &se) < 0) {
        rc = cli_fail(NULL);
        goto out;
    }
    const struct search_staleness *stale = search_stale(se);
    qo.newer = stale->newer;
    if (stale->newer || stale->gone)
        fprintf(stderr, "note: the index of '%s' was built at store generation %llu, the store is at %llu: %lld "
                "chunks are newer than the index and not searched, %lld indexed chunks are gone (run 'semindex "
                "build --store %s')\n", dir, (unsigned long long)stale->index_generation,
                (unsigned long long)stale->store_generation, (long long)stale->newer, (long long)stale->gone, dir);
    if (!idstr) {
        if (text) {
            q.text = mem_calloc(1, sizeof *q.text);
            q.len = mem_calloc(1, sizeof *q.len);
            if (!q.text || !q.len || !(q.text[0] = mem_strdup(text))) {
                err_nomem();
                rc = cli_fail(NULL);
                goto out;
            }
            q.len[0] = strlen(text);
            q.n = q.cap = 1;
        } else if (cli_input_read(&o.in, &q) < 0) {
            rc = cli_fail(NULL);
            goto out;
        }
        if (prec < 0) {
            int sp = ENC_F32;
            if (enc_precision_parse(search_info(se)->precision, &sp) == 0) cli_precision_warn(sp);
        }
        rq.text = (const char *const *)q.text;
        rq.len = q.len;
        rq.n = q.n;
    }
    if (search_query(se, &rq, print_hit, &qo) < 0) {
        rc = cli_fail(NULL);
        goto out;
    }
    start(&qo);
    rc = EXIT_OK;
out:
    search_close(se);
    if (q.text) cli_texts_release(&q);
    buf_release(&qo.line);
    opts_release(&query_cmd, &o);
    return rc;
}
