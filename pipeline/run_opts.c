/*
 * run_opts.c - the settings table of `semindex run`: config keys and flags.
 */
#include "pipeline/run_opts.h"
#include "pipeline/opts.h"

#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "common/buf.h"
#include "common/err.h"
#include "common/mem.h"
#include "pipeline/cli.h"
#include "pipeline/config.h"

#define O(f) offsetof(struct run_options, f)
static const struct opt top_opts[] = {
    OPT("config", 'c', OPT_STR, O(config), "FILE", "the settings file (docs/run.md); flags override it",
        .flags = OPT_CLI_ONLY),
    OPT("store", 's', OPT_STR, O(store), "DIR", "store directory (created by the first run)",
        .flags = OPT_PATH),
    OPT("model", 'm', OPT_STR, O(model), "DIR", "sentence-transformers model directory or builtin:ngram\n"
      "(default: the model the store was made with, else builtin:ngram)", .flags = OPT_PATH),
    OPT("threads", 't', OPT_INT, O(threads), "N", "threads (default: all cores)", .hi = 4096),
    OPT("precision", 0, OPT_STR, O(precision), "P", "encoder precision f32|bf16|int8\n"
      "(default: the store's, else f32; another one needs --reembed)"),
    OPT("report", 0, OPT_STR, O(report), "FILE", "run report JSON (default <store>/reports/run-<time>.json)",
        .flags = OPT_PATH),
};
static const struct opt shards_opts[] = {
    OPT("shards", 0, OPT_LIST, O(shards), "GLOB", "shard files, globs or directories (repeatable)",
        .flags = OPT_PATH),
};
static const struct opt index_opts[] = {
    OPT("enabled", 0, OPT_BOOL, O(index_enabled), NULL, "build or update the FAISS index", .def = "yes"),
};
static const struct opt mine_on_opts[] = {
    OPT("enabled", 0, OPT_BOOL, O(mine_enabled), NULL, "mine paraphrase pairs into a report",
        .def = "no"),
};
/* where run mines otherwise than `mine`: a nightly html report of close pairs */
static const struct opt_def run_mine_defs[] = {
    { "output", "<store>/reports/pairs.html" },
    { "threshold", "0.8" },
    { "min-cluster-size", "3" },
    { NULL, NULL },
};
static const struct opt_group run_groups[] = {
    OPT_GROUP(top_opts, 0, NULL),
    INGEST_SCOPE_GROUP(O(ingest)),
    OPT_GROUP(shards_opts, 0, "ingest-"),
    INGEST_GROUP(O(ingest), "ingest-"),
    OPT_GROUP(index_opts, 0, "index-"),
    BUILD_GROUP(O(index), "index-"),
    OPT_GROUP(mine_on_opts, 0, "mine-"),
    MINE_GROUP(O(mine), "mine-", run_mine_defs),
};
#undef O
static const struct opts_cmd run_cmd = {
    .name = "run",
    .groups = run_groups,
    .n_groups = sizeof run_groups / sizeof run_groups[0],
    .synopsis = "[--config FILE] [--SETTING VALUE]... [SHARD...]",
    .args = "SHARD...",
    .args_into = "ingest-shards",
    .flags = OPTS_SHORT_NAMES | OPTS_BOOL_VALUES,
    .intro = "The nightly job: find the shards, ingest the new and changed ones, build or\n"
             "update the index, optionally mine paraphrases, and write a run report.\n"
             "Every setting may be written in the config file (key 'name' in section\n"
             "[section] for 'section-name') or given as a flag; flags win. A flag may\n"
             "drop its section when no other setting has that name, as the commands run\n"
             "stands for spell it: --reembed, --top-k, --memory-budget. docs/run.md\n"
             "explains each one.\n",
    .outro = "Exit status: 0 all good; 3 finished, but some inputs were rejected (see the\n"
             "report); 1 failure (nothing committed after the failing stage); 2 usage error.\n"
             CLI_OUTPUT_PATHS_HELP,
};

void run_options_init(struct run_options *o)
{
    memset(o, 0, sizeof *o);
    ingest_settings_init(&o->ingest);
    o->index_enabled = 1;
    build_settings_init(&o->index);
    mine_settings_init(&o->mine);
    o->mine.threshold = 0.8;
    o->mine.min_cluster = 3;
}

void run_options_release(struct run_options *o)
{
    opts_release(&run_cmd, o);
    memset(o, 0, sizeof *o);
}

/* A relative path in a config file is relative to the file's directory (so
 * a scheduler may start the run from anywhere); "builtin:" names are kept. */
static int config_path(const char *config, const char *value, struct buf *out)
{
    buf_reset(out);
    const char *slash = strrchr(config, '/');
    if (value[0] == '/' || !strncmp(value, "builtin:", 8) || !slash) return buf_puts(out, value);
    FORWARD_ERR(buf_append(out, config, (size_t)(slash - config + 1)));
    return buf_puts(out, value);
}

/* apply_config: opts_apply's config hook: the file's settings into o. */
static int apply_config(void *base, const char *path)
{
    struct run_options *o = base;
    struct config c = { 0 };
    struct buf v = BUF_INIT;
    int rc = config_load(&c, path);
    for (size_t i = 0; rc == 0 && i < c.n; i++) {
        void *fb;
        const struct opt *op = opts_find(&run_cmd, o, c.e[i].key, &fb);
        int path_value = op && (op->flags & OPT_PATH);
        if (!op) {
            rc = err_set(ERR_INVALID, "%s:%d: unknown setting '%s' (see 'semindex run --help')", path,
                         c.e[i].line, c.e[i].key);
        } else if (path_value && (rc = config_path(path, c.e[i].value, &v)) < 0) {
            break;
        } else if ((rc = opt_set(fb, op, path_value ? v.data : c.e[i].value, NULL)) < 0) {
            rc = err_prefix(rc, "%s:%d: %s", path, c.e[i].line, c.e[i].key);
        }
    }
    config_release(&c);
    buf_release(&v);
    if (rc == 0) {
        mem_free(o->config);
        if (!(o->config = mem_strdup(path))) rc = err_nomem();
    }
    return rc;
}

int run_options_parse(struct run_options *o, int argc, char **argv)
{
    int first, rc = opts_apply(&run_cmd, o, argc, argv, &first, apply_config);
    if (rc == 0) rc = ingest_settings_check(&o->ingest, "ingest-");
    if (rc == 0) rc = mine_settings_check(&o->mine, "mine-");
    return rc;
}

void run_options_usage(const struct run_options *o, FILE *f)
{
    opts_check_defaults(&run_cmd, o);
    opts_usage(&run_cmd, f);
}
