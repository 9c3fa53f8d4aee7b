/*
 * cmd_mine.c - `semindex mine`: paraphrase pairs of a store (the semantics
 * of sentence-transformers' paraphrase_mining, query/mine.h), optionally
 * clusters, written as tsv, jsonl or a self-contained html report
 * (query/report.h).
 *
 * Mode: --exact brute force in bounded blocks, the vectors streamed from
 * the store (one pass per query block, mine_exact_stream); --ann the
 * k-nearest neighbours from the store's index (semindex build), the query
 * vectors streamed from the store in batches; neither loads the store; by default
 * the faster by measured throughput (mine_auto_choose, query/mine.h): ANN when
 * there is an index and exact is estimated at over twice its time and 30 s.
 */
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "err.h"
#include "fsutil.h"
#include "index/ann/ann.h"
#include "index/build.h"
#include "index/store/store.h"
#include "log.h"
#include "mem.h"
#include "query/mine.h"
#include "query/report.h"
#include "query/search.h"

static const char usage_str[] =
    "usage: semindex mine --store DIR [--threshold S] [--top-k K] [--max-pairs N] [--exact|--ann]\n"
    "                     [--clusters|--communities] [--cluster-threshold S] [--min-cluster-size N]\n"
    "                     [--output FILE.tsv|.jsonl|.html] [--format tsv|jsonl|html]\n"
    "                     [--duplicates-output FILE.jsonl]\n"
    "                     [--include-identical] [--lang TAG]\n"
    "\n"
    "  -s, --store DIR          the store\n"
    "  --threshold S            keep pairs with cosine >= S (default: all)\n"
    "  --top-k K                neighbours looked at per chunk (default 100)\n"
    "  --max-pairs N            pairs kept at most, best first (default 500000)\n"
    "  --exact                  brute force in bounded blocks (default: unless measured 2x slower than --ann)\n"
    "  --ann                    neighbours from the store's index (run 'semindex build' first)\n"
    "  --clusters               connected components of the pairs at the cluster threshold\n"
    "  --communities            sentence-transformers' community detection (exact)\n"
    "  --cluster-threshold S    cosine for clusters (default: --threshold, else 0.75)\n"
    "  --min-cluster-size N     smallest cluster kept (default 2; communities 10)\n"
    "  --clusters-output FILE   clusters as jsonl: {\"cluster\", \"size\", \"ids\"}\n"
    "  -o, --output FILE        .tsv (default, stdout), .jsonl or .html (one self-contained report)\n"
    "  --format F               tsv, jsonl or html, whatever the output's name (default: by\n"
    "                           its extension; tsv on stdout)\n"
    "  --duplicates-output FILE texts stored more than once, one group per line (jsonl); default\n"
    "                           <output stem>.duplicates.jsonl beside --output, none on stdout\n"
    "  --include-identical      keep pairs of identical texts and repeats of a pair of texts\n"
    "                           (by default they are left out and the duplicates grouped)\n"
    "  --lang TAG               the html report's language (default: ko if the texts are\n"
    "                           mostly Hangul, else en)\n"
    "  -q, -v                   quieter, more verbose\n"
    CLI_OUTPUT_PATHS_HELP;

static int write_clusters(const char *path, const struct mine_clusters *cl)
{
    struct fs_atomic rf;
    FORWARD_ERR(fs_atomic_open(&rf, path));
    int rc = report_write_clusters_jsonl(rf.f, cl);
    if (rc < 0) {
        fs_atomic_abort(&rf);
        return rc;
    }
    return fs_atomic_commit(&rf);
}

int cmd_mine(int argc, char **argv)
{
    static const struct option longopts[] = {
        { "store", required_argument, NULL, 's' },
        { "threshold", required_argument, NULL, 'T' },
        { "top-k", required_argument, NULL, 'k' },
        { "max-pairs", required_argument, NULL, 'n' },
        { "exact", no_argument, NULL, 'E' },
        { "ann", no_argument, NULL, 'A' },
        { "clusters", no_argument, NULL, 'c' },
        { "communities", no_argument, NULL, 'C' },
        { "cluster-threshold", required_argument, NULL, 'x' },
        { "min-cluster-size", required_argument, NULL, 'z' },
        { "clusters-output", required_argument, NULL, 'O' },
        { "output", required_argument, NULL, 'o' },
        { "format", required_argument, NULL, 'f' },
        { "duplicates-output", required_argument, NULL, 'D' },
        { "include-identical", no_argument, NULL, 'I' },
        { "lang", required_argument, NULL, 'L' },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    const char *dir = NULL, *output = NULL, *cl_output = NULL, *dups_output = NULL, *lang = NULL;
    int include_identical = 0, format = 0; /* 1 + enum report_format, 0 = by extension */
    struct mine_options mo = MINE_OPTIONS_INIT;
    int mode = 0 /* 0 auto, 1 exact, 2 ann */, clusters = 0 /* 1 components, 2 communities */, c;
    double thr = NAN, cthr = NAN;
    long v, min_size = -1;
    optind = 1;
    while ((c = getopt_long(argc, argv, ":s:o:hqv", longopts, NULL)) != -1) {
        char *end;
        switch (c) {
        case 's': dir = optarg; break;
        case 'T': case 'x': {
            double d = strtod(optarg, &end);
            if (end == optarg || *end || !(d >= -1 && d <= 1))
                return cli_usage_error(usage_str, "a threshold must be in [-1, 1], got '%s'", optarg);
            if (c == 'T') thr = d;
            else cthr = d;
            break;
        }
        case 'k':
            if (cli_parse_int(optarg, 1, 100000, &v) < 0) return cli_usage_error(usage_str, "--top-k: %s", err_msg());
            mo.top_k = (int)v;
            break;
        case 'n':
            if (cli_parse_int(optarg, 1, 1000000000, &v) < 0)
                return cli_usage_error(usage_str, "--max-pairs: %s", err_msg());
            mo.max_pairs = (size_t)v;
            break;
        case 'E': case 'A':
            if (mode && mode != (c == 'E' ? 1 : 2)) return cli_usage_error(usage_str, "--exact and --ann exclude each other");
            mode = c == 'E' ? 1 : 2;
            break;
        case 'c': case 'C':
            if (clusters && clusters != (c == 'c' ? 1 : 2))
                return cli_usage_error(usage_str, "--clusters and --communities exclude each other");
            clusters = c == 'c' ? 1 : 2;
            break;
        case 'z':
            if (cli_parse_int(optarg, 1, 1000000000, &min_size) < 0)
                return cli_usage_error(usage_str, "--min-cluster-size: %s", err_msg());
            break;
        case 'O': cl_output = optarg; break;
        case 'o': output = optarg; break;
        case 'f':
            if (!strcmp(optarg, "tsv")) format = 1 + REPORT_TSV;
            else if (!strcmp(optarg, "jsonl")) format = 1 + REPORT_JSONL;
            else if (!strcmp(optarg, "html")) format = 1 + REPORT_HTML;
            else return cli_usage_error(usage_str, "unknown --format '%s' (use tsv, jsonl or html)", optarg);
            break;
        case 'D': dups_output = optarg; break;
        case 'I': include_identical = 1; break;
        case 'L':
            if (!*optarg || strspn(optarg, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-") !=
                strlen(optarg))
                return cli_usage_error(usage_str, "bad --lang '%s' (a language tag such as ko or en)", optarg);
            lang = optarg;
            break;
        case 'h': fputs(usage_str, stdout); return EXIT_OK;
        case 'q': case 'v': cli_common_opt(c); break;
        default: return cli_bad_option(usage_str, c, argv);
        }
    }
    if (optind < argc) return cli_usage_error(usage_str, "unexpected argument '%s'", argv[optind]);
    if (!dir) return cli_usage_error(usage_str, "--store is required");
    enum report_format fmt;
    if (!format && report_format_of(output, &fmt) < 0) return cli_usage_error(usage_str, "%s", err_msg());
    if (dups_output && include_identical)
        return cli_usage_error(usage_str, "--duplicates-output and --include-identical exclude each other");
    if (dups_output && (!strcmp(dups_output, "-") || (output && !strcmp(dups_output, output))))
        return cli_usage_error(usage_str, "--duplicates-output needs a file of its own");
    if (cl_output && !clusters) return cli_usage_error(usage_str, "--clusters-output needs --clusters or --communities");
    /* the outputs are checked before the mining, not after it */
    if (fs_check_output(output) < 0 || fs_check_output(dups_output) < 0 || fs_check_output(cl_output) < 0)
        return cli_fail(NULL);
    if (!isnan(thr)) mo.threshold = (float)thr;
    if (isnan(cthr)) cthr = isnan(thr) ? 0.75 : thr;
    if (min_size < 0) min_size = clusters == 2 ? 10 : 2;

    int rc = EXIT_FAIL;
    struct store *s = NULL;
    struct store_txn *t = NULL;
    struct ann *a = NULL;
    int64_t *ids = NULL;
    float *x = NULL;
    size_t n = 0, np = 0;
    struct mine_pair *pairs = NULL;
    struct mine_clusters cl = { 0 }, dups = { 0 };
    struct store_info in;
    if (store_open(dir, STORE_RDONLY, &s) < 0 || store_read_begin(s, &t) < 0 || store_txn_info(t, &in) < 0) {
        rc = cli_fail(NULL);
        goto out;
    }
    n = (size_t)in.n_vectors;
    if (mode != 1) {
        int orc = search_open_index(dir, &in, 0, &a);
        if (orc < 0 && mode == 2) { rc = cli_fail(NULL); goto out; }
        if (orc < 0 && mode == 0) log_info("mine: %s; mining exactly", err_msg());
    }
    /* both paths stream the vectors from the store (exact: a pass per
     * query block); only community detection needs them all in memory */
    if (clusters == 2 && search_load_vectors(t, &in, &ids, &x, &n) < 0) {
        rc = cli_fail(NULL);
        goto out;
    }
    /* the duplicate groups first: mining then keeps room for the pairs of
     * copies that the report drops */
    struct search_report ro = { output, dups_output, include_identical, mo.max_pairs, format };
    if (search_report_prepare(t, &ro, mo.top_k, &mo.max_pairs, &dups) < 0) { rc = cli_fail(NULL); goto out; }
    /* the store's vectors, normalized, streamed and by id (query/search.h) */
    struct search_src ss = { NULL, NULL, 0 };
    struct build_source src;
    int mrc = search_source(&ss, t, &in, &src);
    if (mrc == 0 && mode == 0 && clusters != 2) {
        /* auto: exact or ANN by measured throughput (query/mine.h) */
        struct mine_auto au;
        mrc = mine_auto_choose(a, &src, n, in.dim, &mo, &au);
        if (mrc == 0 && a)
            log_info("mine: estimated exact %.0fs, ann %.0fs: %s", au.exact_seconds, au.ann_seconds,
                     au.use_ann ? "ann" : "exact");
        else if (mrc == 0 && au.exact_seconds > 600)
            log_warn("mine: exact mining estimated at %.0fs; 'semindex build' makes an index for ANN mining",
                     au.exact_seconds);
        if (mrc == 0 && !au.use_ann) { ann_free(a); a = NULL; }
    }
    if (mrc == 0 && mode == 0 && clusters == 2) { ann_free(a); a = NULL; }
    const char *mode_name = a ? "ann" : "exact";
    log_info("mine: %zu vectors of dim %d, %s, top_k %d, max_pairs %zu", n, in.dim, mode_name, mo.top_k,
             mo.max_pairs);
    double t0 = now_sec();
    if (mrc == 0 && a) mrc = mine_ann_stream(a, in.dim, &src, &mo, &pairs, &np);
    else if (mrc == 0 && x) mrc = mine_exact(x, ids, n, in.dim, &mo, &pairs, &np);
    else if (mrc == 0) mrc = mine_exact_stream(&src, in.dim, &mo, &pairs, &np);
    search_source_release(&ss);
    if (mrc < 0) { rc = cli_fail(NULL); goto out; }
    if (clusters == 1 && mine_components(pairs, np, (float)cthr, (size_t)min_size, &cl) < 0) { rc = cli_fail(NULL); goto out; }
    if (clusters == 2 && mine_communities(x, ids, n, in.dim, (float)cthr, (size_t)min_size, &cl) < 0) {
        rc = cli_fail(NULL);
        goto out;
    }
    double secs = now_sec() - t0;
    log_info("mine: %zu pairs%s in %.2fs", np, clusters ? "" : "", secs);
    if (clusters) log_info("mine: %zu clusters at %.3f (min size %ld)", cl.n, cthr, min_size);
    struct report_summary sm = { .title = dir, .model = in.model, .mode = mode_name, .n_vectors = n,
                                 .top_k = mo.top_k, .max_pairs = ro.max_pairs, .threshold = mo.threshold,
                                 .seconds = secs, .lang = lang };
    if (search_write_pairs(t, &ro, &sm, pairs, &np, clusters ? &cl : NULL, &dups) < 0) {
        rc = cli_fail(NULL);
        goto out;
    }
    if (!include_identical)
        log_info("mine: %zu pairs of distinct texts reported (%zu identical-text and %zu repeated pairs left "
                 "out), %zu duplicate groups", np, sm.identical_dropped, sm.repeated_dropped, dups.n);
    if (cl_output && write_clusters(cl_output, &cl) < 0) { rc = cli_fail(NULL); goto out; }
    rc = EXIT_OK;
out:
    store_read_end(t);
    store_close(s);
    ann_free(a);
    mem_free(ids);
    mem_free(x);
    mem_free(pairs);
    mine_clusters_release(&cl);
    mine_clusters_release(&dups);
    return rc;
}
