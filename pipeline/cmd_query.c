/*
 * cmd_query.c - `semindex query`: nearest chunks of some query texts (or of
 * a stored chunk) through the store's index.
 *
 * Queries are encoded with the model the store records (refused when the
 * model directory no longer matches its fingerprint); the index is refused
 * when its manifest does not match the store (rebuild it). Queries read from
 * a file are encoded and searched as one batch.
 *
 * Output, one line per hit, rank 1 first:
 *   tsv    query rank score id doc text (a header line first; text escaped
 *          as in report.h: \\ \t \n \r)
 *   jsonl  {"query": i, "rank": r, "score": s, "id": chunk, "doc": doc, "text": "..."}
 */
#include <getopt.h>
#include <math.h>
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
#include "query/report.h"
#include "query/search.h"

static const char usage_str[] =
    "usage: semindex query --store DIR [-k N] [--threshold S] [--text T | --input FILE | --id CHUNK]\n"
    "                      [--input-format lines|jsonl] [--format tsv|jsonl] [--mmap]\n"
    "\n"
    "  --store DIR         the store (its index: run 'semindex build' first)\n"
    "  -k N                hits per query (default 10)\n"
    "  --threshold S       drop hits with a cosine score below S\n"
    "  --text T            one query text\n"
    "  --input FILE        query texts, one per line ('-' = stdin), searched as one batch\n"
    "  --input-format F    lines (default) or jsonl (field \"text\")\n"
    "  --id CHUNK          the stored chunk's own vector as the query (the chunk itself is skipped)\n"
    "  --format F          tsv (default) or jsonl\n"
    "  --mmap              map the index's inverted lists instead of reading them (IVF)\n"
    "  --threads N         encoder threads (default: all cores)\n"
    "  --precision P       encode queries at f32, bf16 or int8 (default: the store's precision)\n"
    "  -q, -v              quieter, more verbose\n";

int cmd_query(int argc, char **argv)
{
    static const struct option longopts[] = {
        { "store", required_argument, NULL, 's' },
        { "threshold", required_argument, NULL, 'T' },
        { "text", required_argument, NULL, 't' },
        { "input", required_argument, NULL, 'i' },
        { "input-format", required_argument, NULL, 'F' },
        { "id", required_argument, NULL, 'I' },
        { "format", required_argument, NULL, 'f' },
        { "mmap", no_argument, NULL, 'M' },
        { "threads", required_argument, NULL, 'j' },
        { "precision", required_argument, NULL, 'P' },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    const char *dir = NULL, *text = NULL, *input = NULL, *idstr = NULL;
    enum cli_input_format infmt = CLI_IN_LINES;
    long k = 10, threads = 0;
    double threshold = -INFINITY;
    int jsonl = 0, mmap = 0, c, n_src = 0, prec = -1;
    optind = 1;
    while ((c = getopt_long(argc, argv, "hqvk:", longopts, NULL)) != -1) {
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
        case 't': text = optarg; n_src++; break;
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
        case 'j':
            if (cli_parse_int(optarg, 0, 4096, &threads) < 0)
                return cli_usage_error(usage_str, "--threads: %s", err_msg());
            break;
        case 'P':
            if (cli_precision(optarg, &prec) < 0) return cli_usage_error(usage_str, "--precision: %s", err_msg());
            break;
        case 'h': fputs(usage_str, stdout); return EXIT_OK;
        case 'q': case 'v': cli_common_opt(c); break;
        default: return cli_usage_error(usage_str, "bad option");
        }
    }
    if (optind < argc) return cli_usage_error(usage_str, "unexpected argument '%s'", argv[optind]);
    if (!dir) return cli_usage_error(usage_str, "--store is required");
    if (n_src != 1) return cli_usage_error(usage_str, "give exactly one of --text, --input and --id");
    uint64_t qid = 0;
    if (idstr) {
        char *end;
        qid = strtoull(idstr, &end, 10);
        if (end == idstr || *end || idstr[0] == '-') return cli_usage_error(usage_str, "bad --id '%s'", idstr);
    }

    int rc = EXIT_FAIL;
    struct store *s = NULL;
    struct store_txn *t = NULL;
    struct ann *a = NULL;
    struct enc *e = NULL;
    struct cli_texts q = { 0 };
    float *qv = NULL, *sc = NULL;
    int64_t *lab = NULL;
    struct buf chunk_text = BUF_INIT;
    struct store_info in;
    size_t nq = 0;
    int kk = (int)k + (idstr ? 1 : 0); /* room to skip the query chunk itself */
    if (store_open(dir, STORE_RDONLY, &s) < 0 || store_read_begin(s, &t) < 0 || store_txn_info(t, &in) < 0 ||
        search_open_index(dir, &in, mmap ? ANN_READ_MMAP : 0, &a) < 0) {
        rc = cli_fail(NULL);
        goto out;
    }
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
        } else if (cli_read_texts(input, infmt, "text", &q) < 0) {
            rc = cli_fail(NULL);
            goto out;
        }
        nq = q.n;
        if (prec < 0) {
            int sp = ENC_F32;
            if (enc_precision_parse(in.precision, &sp) == 0) cli_precision_warn(sp);
        }
        if (search_open_encoder(&in, (int)threads, prec, &e) < 0) { rc = cli_fail(NULL); goto out; }
        qv = mem_alloc_array(nq ? nq : 1, (size_t)in.dim * sizeof *qv);
        if (!qv) { err_set(ERR_NOMEM, "out of memory for %zu queries", nq); rc = cli_fail(NULL); goto out; }
        if (nq && enc_encode(e, (const char *const *)q.text, q.len, nq, qv, NULL) < 0) {
            rc = cli_fail("cannot encode the queries");
            goto out;
        }
    }
    ann_normalize(qv, (int64_t)nq, in.dim);
    sc = mem_alloc_array(nq ? nq : 1, (size_t)kk * sizeof *sc);
    lab = mem_alloc_array(nq ? nq : 1, (size_t)kk * sizeof *lab);
    if (!sc || !lab) { err_set(ERR_NOMEM, "out of memory for results"); rc = cli_fail(NULL); goto out; }
    if (nq && ann_search(a, qv, (int64_t)nq, kk, sc, lab) < 0) { rc = cli_fail(NULL); goto out; }
    if (!jsonl) printf("query\trank\tscore\tid\tdoc\ttext\n");
    struct buf line = BUF_INIT;
    for (size_t i = 0; i < nq; i++) {
        int rank = 0;
        for (int r = 0; r < kk && rank < k; r++) {
            int64_t id = lab[i * kk + r];
            if (id < 0 || sc[i * kk + r] < threshold) continue;
            if (idstr && (uint64_t)id == qid) continue;
            struct store_chunk ch;
            if (store_get_chunk(t, (uint64_t)id, &ch, &chunk_text) < 0) {
                buf_release(&line);
                rc = cli_fail("index and store disagree");
                goto out;
            }
            rank++;
            if (jsonl) {
                buf_reset(&line);
                buf_printf(&line, "{\"query\": %zu, \"rank\": %d, \"score\": %.6f, \"id\": %lld, \"doc\": %llu, \"text\": ",
                           i, rank, sc[i * kk + r], (long long)id, (unsigned long long)ch.doc);
                buf_json_str(&line, chunk_text.data ? chunk_text.data : "", chunk_text.len);
                buf_puts(&line, "}\n");
                fwrite(line.data, 1, line.len, stdout);
            } else {
                printf("%zu\t%d\t%.6f\t%lld\t%llu\t", i, rank, sc[i * kk + r], (long long)id,
                       (unsigned long long)ch.doc);
                report_tsv_field(stdout, chunk_text.data ? chunk_text.data : "", chunk_text.len);
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
    buf_release(&chunk_text);
    return rc;
}
