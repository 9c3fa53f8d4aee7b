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
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/err.h"
#include "common/fsutil.h"
#include "common/log.h"
#include "common/mem.h"
#include "index/ann/ann.h"
#include "index/build.h"
#include "index/store/store.h"
#include "pipeline/cli.h"
#include "pipeline/opts.h"
#include "pipeline/stage_opts.h"
#include "query/mine.h"
#include "query/report.h"
#include "query/search.h"

struct mine_cmd_options {
    char *store;
    int exact, ann, clusters, communities;
    double cluster_threshold;   /* NAN: --threshold if above -1, else 0.75 */
    char *clusters_output, *duplicates_output;
    int format;                 /* enum report_format; -1: by the output's extension */
    struct mine_settings m;
};

static const char *const formats[] = { "tsv", "jsonl", "html", NULL }; /* enum report_format */

#define O(f) offsetof(struct mine_cmd_options, f)
static const struct opt mine_store_opts[] = {
    OPT("store", 's', OPT_STR, O(store), "DIR", "the store", .flags = OPT_REQUIRED),
};
static const struct opt mine_cmd_opts[] = {
    OPT("exact", 0, OPT_FLAG, O(exact), NULL, "brute force in bounded blocks\n"
      "(default: unless measured 2x slower than --ann)"),
    OPT("ann", 0, OPT_FLAG, O(ann), NULL, "neighbours from the store's index\n(run 'semindex build' first)"),
    OPT("clusters", 0, OPT_FLAG, O(clusters), NULL, "connected components of the pairs at the\ncluster threshold"),
    OPT("communities", 0, OPT_FLAG, O(communities), NULL, "sentence-transformers' community detection (exact)"),
    OPT("cluster-threshold", 0, OPT_NUM, O(cluster_threshold), "S", "cosine for clusters (default:\n"
      "--threshold if above -1, else 0.75)", .lo = -1.0, .hi = 1.0),
    OPT("clusters-output", 0, OPT_STR, O(clusters_output), "FILE", "clusters as jsonl: {\"cluster\", \"size\", \"ids\"}"),
    OPT("format", 0, OPT_ENUM, O(format), "F", "tsv, jsonl or html, whatever the output's name\n"
      "(default: by its extension; tsv on stdout)", .choices = formats),
    OPT("duplicates-output", 0, OPT_STR, O(duplicates_output), "FILE", "texts stored more than once, one group\n"
      "per line (jsonl); default <output stem>.duplicates.jsonl\n"
      "beside --output, none on stdout"),
};
static const struct opt_group mine_groups[] = {
    OPT_GROUP(mine_store_opts, 0, NULL),
    MINE_GROUP(O(m), NULL, NULL),
    OPT_GROUP(mine_cmd_opts, 0, NULL),
};
#undef O
static const struct opts_cmd mine_cmd = {
    .name = "mine", .groups = mine_groups, .n_groups = sizeof mine_groups / sizeof mine_groups[0],
    .outro = CLI_OUTPUT_PATHS_HELP + 1, /* the paragraph without its leading blank line */
};

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

/* mine: the command once its options are parsed; the exit status. */
static int mine(const struct mine_cmd_options *c)
{
    const char *dir = c->store, *output = c->m.output, *cl_output = c->clusters_output;
    const char *dups_output = c->duplicates_output;
    int include_identical = c->m.include_identical, format = c->format < 0 ? 0 : 1 + c->format;
    if (c->exact && c->ann) return opts_error(&mine_cmd, "--exact and --ann exclude each other");
    if (c->clusters && c->communities) return opts_error(&mine_cmd, "--clusters and --communities exclude each other");
    int mode = c->exact ? 1 : c->ann ? 2 : 0; /* 0 auto, 1 exact, 2 ann */
    int clusters = c->clusters ? 1 : c->communities ? 2 : 0; /* 1 components, 2 communities */
    if (mine_settings_check(&c->m, "") < 0) return opts_error(&mine_cmd, "%s", err_msg());
    enum report_format fmt;
    if (!format && report_format_of(output, &fmt) < 0) return opts_error(&mine_cmd, "%s", err_msg());
    if (dups_output && include_identical)
        return opts_error(&mine_cmd, "--duplicates-output and --include-identical exclude each other");
    if (dups_output && (!strcmp(dups_output, "-") || (output && !strcmp(dups_output, output))))
        return opts_error(&mine_cmd, "--duplicates-output needs a file of its own");
    if (cl_output && !clusters) return opts_error(&mine_cmd, "--clusters-output needs --clusters or --communities");
    /* the outputs are checked before the mining, not after it */
    if (fs_check_output(output) < 0 || fs_check_output(dups_output) < 0 || fs_check_output(cl_output) < 0)
        return cli_fail(NULL);
    struct mine_options mo = MINE_OPTIONS_INIT;
    mine_settings_apply(&c->m, &mo);
    double cthr = c->cluster_threshold;
    if (isnan(cthr)) cthr = c->m.threshold > -1 ? c->m.threshold : 0.75;
    long min_size = c->m.min_cluster ? c->m.min_cluster : clusters == 2 ? 10 : 2;
    const char *lang = c->m.lang;

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
        /* the inverted lists mapped: list-wise mining (query/mine.h) reads
         * only their ids and the quantizer, so the codes stay on disk */
        int orc = search_open_index(dir, &in, ANN_READ_MMAP, &a);
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

int cmd_mine(int argc, char **argv)
{
    struct mine_cmd_options o = { .cluster_threshold = NAN, .format = -1 };
    mine_settings_init(&o.m);
    int first, rc = opts_parse(&mine_cmd, &o, argc, argv, &first);
    if (rc != OPTS_CONTINUE) return rc;
    rc = mine(&o);
    opts_release(&mine_cmd, &o);
    return rc;
}
