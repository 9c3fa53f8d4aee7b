/*
 * cmd_build.c - `semindex build`: the FAISS index of a store, at
 * DIR/index.faiss with its manifest (index/build.h). By default an existing
 * index is updated in place when the store only grew a little since it was
 * trained (build_update), and rebuilt otherwise; --rebuild always rebuilds.
 * The vectors are streamed from the store in batches (index/build.h,
 * build_source), so the build needs the index, the training sample and one
 * batch in memory, not the corpus; the planner fits all three into
 * --memory-budget. Besides the index facts it prints the plan's estimates,
 * the time per stage and the peak resident memory (VmHWM).
 */
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "err.h"
#include "fsutil.h"
#include "index/ann/ann.h"
#include "index/build.h"
#include "index/store/store.h"
#include "log.h"
#include "mem.h"
#include "query/search.h"

static const char usage_str[] =
    "usage: semindex build --store DIR [--index auto|FACTORY] [--memory-budget SIZE] [--recall R]\n"
    "                      [--rebuild] [--growth F]\n"
    "\n"
    "  -s, --store DIR       the store; the index is written to DIR/index.faiss (+ .manifest.json)\n"
    "  --index auto|FACTORY  auto (default): Flat, HNSW, IVF or IVF-PQ by size and budget;\n"
    "                        or a FAISS factory string such as IVF1024,Flat or IDMap,HNSW32\n"
    "  --memory-budget SIZE  memory the build may use: index + training sample + one batch of\n"
    "                        vectors (read from the store in batches), e.g. 8G (default: half the RAM)\n"
    "  --recall R            recall@10 target for tuning nprobe / efSearch (default 0.95)\n"
    "  --rebuild             rebuild from scratch even when new vectors could be added\n"
    "  --growth F            add to the trained index while the store is at most F times\n"
    "                        the size it was trained at, retrain beyond (default 2)\n"
    "  -q, -v                quieter, more verbose\n";

int cmd_build(int argc, char **argv)
{
    static const struct option longopts[] = {
        { "store", required_argument, NULL, 's' },
        { "index", required_argument, NULL, 'i' },
        { "memory-budget", required_argument, NULL, 'm' },
        { "recall", required_argument, NULL, 'r' },
        { "rebuild", no_argument, NULL, 'R' },
        { "growth", required_argument, NULL, 'g' },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    const char *dir = NULL;
    struct build_options o = BUILD_OPTIONS_INIT;
    int rebuild = 0, c;
    o.memory_budget = cli_default_memory_budget();
    optind = 1;
    while ((c = getopt_long(argc, argv, ":s:hqv", longopts, NULL)) != -1) {
        char *end;
        switch (c) {
        case 's': dir = optarg; break;
        case 'i': o.factory = optarg; break;
        case 'm':
            if (cli_parse_size(optarg, &o.memory_budget) < 0 || o.memory_budget == 0)
                return cli_usage_error(usage_str, "bad --memory-budget '%s'", optarg);
            break;
        case 'r':
            o.recall_target = strtod(optarg, &end);
            if (end == optarg || *end || !(o.recall_target > 0 && o.recall_target <= 1))
                return cli_usage_error(usage_str, "--recall must be in (0, 1], got '%s'", optarg);
            break;
        case 'g':
            o.growth_factor = strtod(optarg, &end);
            if (end == optarg || *end || !(o.growth_factor >= 1) || !isfinite(o.growth_factor))
                return cli_usage_error(usage_str, "--growth must be a number >= 1, got '%s'", optarg);
            break;
        case 'R': rebuild = 1; break;
        case 'h': fputs(usage_str, stdout); return EXIT_OK;
        case 'q': case 'v': cli_common_opt(c); break;
        default: return cli_bad_option(usage_str, c, argv);
        }
    }
    if (optind < argc) return cli_usage_error(usage_str, "unexpected argument '%s'", argv[optind]);
    if (!dir) return cli_usage_error(usage_str, "--store is required");

    int rc = EXIT_FAIL;
    struct store *s = NULL;
    struct store_txn *t = NULL;
    struct search_src ss = { NULL, NULL, 0 };
    struct build_source src;
    struct buf path = BUF_INIT;
    struct store_info in;
    struct fs_lock lock = { -1, NULL };
    /* the vectors are streamed from one snapshot, in batches, in several
     * passes (sample, add, tuning): never all in memory */
    if (store_open(dir, STORE_RDONLY, &s) < 0 || store_lock_writer(dir, &lock) < 0 ||
        store_read_begin(s, &t) < 0 || store_txn_info(t, &in) < 0 || search_source(&ss, t, &in, &src) < 0) {
        rc = cli_fail(NULL);
        goto out;
    }
    if (in.n_vectors == 0) {
        fprintf(stderr, "error: store '%s' has no vectors\n", dir);
        goto out;
    }
    search_index_path(&path, dir);
    struct build_meta meta = { in.fingerprint, in.generation };
    struct build_result r;
    int brc = rebuild ? build_index_stream(path.data, &src, in.dim, &meta, &o, &r)
                      : build_update_stream(path.data, &src, in.dim, &meta, &o, &r);
    if (brc < 0) { rc = cli_fail(NULL); goto out; }
    printf("index %s\nfactory %s\nntotal %lld\ndim %d\nrecall_at_10 %.4f\n", path.data, r.plan.factory,
           (long long)r.ntotal, in.dim, r.recall);
    if (r.nprobe) printf("nprobe %d\n", r.nprobe);
    if (r.ef_search) printf("efSearch %d\n", r.ef_search);
    printf("rebuilt %s\nseconds %.2f\n", r.rebuilt ? "yes" : "no", r.seconds);
    printf("input streamed\nbatch %lld\nn_train %lld\nest_index_mb %.1f\nest_work_mb %.1f\n",
           (long long)r.plan.batch, (long long)r.plan.n_train, (double)r.plan.est_bytes / 1048576.0,
           (double)r.plan.work_bytes / 1048576.0);
    printf("train_seconds %.2f\nadd_seconds %.2f\ntune_seconds %.2f\npeak_rss_mb %.1f\n", r.train_seconds,
           r.add_seconds, r.tune_seconds, cli_peak_rss_mb());
    rc = EXIT_OK;
out:
    search_source_release(&ss);
    store_read_end(t);
    fs_lock_release(&lock);
    store_close(s);
    buf_release(&path);
    return rc;
}
