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
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "err.h"
#include "index/ann/ann.h"
#include "ingest/encoder/encoder.h"
#include "log.h"
#include "mem.h"
#include "query/report.h"
#include "query/search.h"
#include "jsonl.h"

static const char usage_str[] =
    "usage: semindex query --store DIR [-k N] [--threshold S] [--text T | --input FILE | --id CHUNK]\n"
    "                      [--input-format lines|jsonl] [--format tsv|jsonl] [--mmap] [--model DIR]\n"
    "\n"
    "  -s, --store DIR     the store (its index: run 'semindex build' first)\n"
    "  -k N                hits per query (default 10)\n"
    "  --threshold S       drop hits with a cosine score below S\n"
    "  --text T            one query text\n"
    "  -i, --input FILE    query texts, one per line ('-' = stdin), searched as one batch;\n"
    "                      without --text, --input or --id the texts are read from stdin\n"
    "  --input-format F    lines (default) or jsonl (field \"text\")\n"
    "  --id CHUNK          the stored chunk's own vector as the query (the chunk itself is skipped)\n"
    "  --format F          tsv (default) or jsonl; each hit with its source (shard, entry,\n"
    "                      record, ext_id, byte span: docs/formats.md); 'semindex show' for more\n"
    "  --mmap              map the index's inverted lists instead of reading them (IVF)\n"
    "  -t, --threads N     encoder threads (default: all cores)\n"
    "  --precision P       encode queries at f32, bf16 or int8 (default: the store's precision)\n"
    "  -m, --model DIR     the store's model moved to DIR (checked against the store's fingerprint)\n"
    "  -q, -v              quieter, more verbose\n";

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

int cmd_query(int argc, char **argv)
{
    static const struct option longopts[] = {
        { "store", required_argument, NULL, 's' },
        { "threshold", required_argument, NULL, 'T' },
        { "text", required_argument, NULL, 'x' },
        { "input", required_argument, NULL, 'i' },
        { "input-format", required_argument, NULL, 'F' },
        { "id", required_argument, NULL, 'I' },
        { "format", required_argument, NULL, 'f' },
        { "mmap", no_argument, NULL, 'M' },
        { "threads", required_argument, NULL, 't' },
        { "precision", required_argument, NULL, 'P' },
        { "model", required_argument, NULL, 'm' },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    const char *dir = NULL, *text = NULL, *input = NULL, *idstr = NULL, *model = NULL;
    enum cli_input_format infmt = CLI_IN_LINES;
    long k = 10, threads = 0;
    double threshold = -INFINITY;
    int jsonl = 0, mmap = 0, c, n_src = 0, prec = -1;
    optind = 1;
    while ((c = getopt_long(argc, argv, ":s:i:t:m:hqvk:", longopts, NULL)) != -1) {
        char *end;
        switch (c) {
        case 's': dir = optarg; break;
        case 'k':
            if (cli_parse_int(optarg, 1, 10000, &k) < 0) return cli_usage_error(usage_str, "-k: %s", err_msg());
            break;
        case 'T':
            threshold = strtod(optarg, &end);
            if (end == optarg || *end || isnan(threshold))
                return cli_usage_error(usage_str, "bad --threshold '%s'", optarg);
            break;
        case 'x': text = optarg; n_src++; break;
        case 'm': model = optarg; break;
        case 'i': input = optarg; n_src++; break;
        case 'I': idstr = optarg; n_src++; break;
        case 'F':
            if (cli_parse_input_format(optarg, &infmt) < 0) return cli_usage_error(usage_str, "%s", err_msg());
            break;
        case 'f':
            if (!strcmp(optarg, "jsonl")) jsonl = 1;
            else if (!strcmp(optarg, "tsv")) jsonl = 0;
            else return cli_usage_error(usage_str, "unknown --format '%s' (use tsv or jsonl)", optarg);
            break;
        case 'M': mmap = 1; break;
        case 't':
            if (cli_parse_int(optarg, 0, 4096, &threads) < 0)
                return cli_usage_error(usage_str, "--threads: %s", err_msg());
            break;
        case 'P':
            if (cli_precision(optarg, &prec) < 0) return cli_usage_error(usage_str, "--precision: %s", err_msg());
            break;
        case 'h': fputs(usage_str, stdout); return EXIT_OK;
        case 'q': case 'v': cli_common_opt(c); break;
        default: return cli_bad_option(usage_str, c, argv);
        }
    }
    if (optind < argc) return cli_usage_error(usage_str, "unexpected argument '%s'", argv[optind]);
    if (!dir) return cli_usage_error(usage_str, "--store is required");
    if (n_src == 0) input = "-", n_src = 1; /* like the other commands: texts from stdin */
    if (n_src != 1) return cli_usage_error(usage_str, "give at most one of --text, --input and --id");
    uint64_t qid = 0;
    if (idstr) {
        char *end;
        qid = strtoull(idstr, &end, 10);
        if (end == idstr || *end || idstr[0] == '-') return cli_usage_error(usage_str, "bad --id '%s'", idstr);
    }

    struct search_options so = SEARCH_OPTIONS_INIT;
    so.flags = mmap ? ANN_READ_MMAP : 0;
    so.model = model;
    so.n_threads = (int)threads;
    so.precision = prec;
    struct search_request rq = SEARCH_REQUEST_INIT;
    rq.k = (int)k;
    rq.threshold = threshold;
    rq.by_id = idstr != NULL;
    rq.id = qid;
    struct search *se = NULL;
    struct cli_texts q = { 0 };
    struct query_out qo = { jsonl, 0, BUF_INIT, 0 };
    int rc = EXIT_FAIL;
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
        } else if (cli_read_texts(input, infmt, "text", &q) < 0) {
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
    return rc;
}
