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
#include <stddef.h>
#include <stdio.h>

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
#include "query/search.h"

struct build_cmd_options {
    char *store;
    int rebuild;
    struct build_settings b;
};

#define O(f) offsetof(struct build_cmd_options, f)
static const struct opt build_cmd_opts[] = {
    OPT("store", 's', OPT_STR, O(store), "DIR", "the store; the index is written to DIR/index.faiss\n"
      "(+ .manifest.json)", .flags = OPT_REQUIRED),
    OPT("rebuild", 0, OPT_FLAG, O(rebuild), NULL, "rebuild from scratch even when new vectors could be added"),
};
static const struct opt_group build_groups[] = {
    OPT_GROUP(build_cmd_opts, 0, NULL),
    BUILD_GROUP(O(b), NULL),
};
#undef O
static const struct opts_cmd build_cmd = {
    .name = "build", .groups = build_groups, .n_groups = sizeof build_groups / sizeof build_groups[0],
};

/* build: the index of the store c->store; the exit status. */
static int build(const struct build_cmd_options *c)
{
    const char *dir = c->store;
    struct build_options o = BUILD_OPTIONS_INIT;
    build_settings_apply(&c->b, &o);
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
    int brc = c->rebuild ? build_index_stream(path.data, &src, in.dim, &meta, &o, &r)
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

int cmd_build(int argc, char **argv)
{
    struct build_cmd_options o = { 0 };
    build_settings_init(&o.b);
    int first, rc = opts_parse(&build_cmd, &o, argc, argv, &first);
    if (rc != OPTS_CONTINUE) return rc;
    rc = build(&o);
    opts_release(&build_cmd, &o);
    return rc;
}
