/*
 * run_opts.c - the settings table of `semindex run`: config keys and flags.
 */
#include "run_opts.h"
#include "opts.h"

#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "config.h"
#include "buf.h"
#include "err.h"
#include "mem.h"
#include "query/mine.h"

/* The groups are flat in struct run_options for now (base_off 0); the
 * prefix gives the section: "ingest-" + "segment". */
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
    OPT("root", 0, OPT_STR, O(root), "DIR", "corpus root: shard keys are paths relative to it\n"
      "(default: the store's recorded root, else the deepest directory holding every shard)", .flags = OPT_PATH),
    OPT("part", 0, OPT_STR, O(part), "I/N", "ingest only part I of N (slurm: the array task's; see ingest --part)"),
};
static const struct opt ingest_opts[] = {
    OPT("shards", 0, OPT_LIST, O(shards), "GLOB", "shard files, globs or directories (repeatable)",
        .flags = OPT_PATH),
    OPT("segment", 0, OPT_STR, O(segment), "MODE", "doc|line|sentence|paragraph|window",
        .def = "sentence"),
    OPT("window", 0, OPT_INT, O(window), "N", "tokens per window chunk (segment window)",
        .lo = 1, .hi = 1 << 20, .def = "256"),
    OPT("overlap", 0, OPT_INT, O(overlap), "N", "tokens shared by consecutive windows", .hi = 1 << 20, .def = "32"),
    OPT("text-field", 0, OPT_STR, O(text_field), "NAME", "JSON field holding the text", .def = "text"),
    OPT("id-field", 0, OPT_STR, O(id_field), "NAME", "JSON field holding the document id"),
    OPT("column", 0, OPT_STR, O(column), "NAME|N", "TSV/CSV column holding the text"),
    OPT("strict", 0, OPT_BOOL, O(strict), NULL, "a rejected input fails the run"),
    OPT("follow-symlinks", 0, OPT_BOOL, O(follow_symlinks), NULL, "follow symbolic links in directories\n"
      "(loops are reported and skipped; default: links are not followed)"),
    OPT("max-entry", 0, OPT_SIZE, O(max_entry), "SIZE", "cap on decompressed bytes per archive entry",
        .def = "4G"),
    OPT("max-shard", 0, OPT_SIZE, O(max_shard), "SIZE", "cap on decompressed bytes per shard",
        .def = "64G"),
    OPT("max-record", 0, OPT_SIZE, O(max_record), "SIZE", "longest record (line or document) kept",
        .def = "32M"),
    OPT("batch-tokens", 0, OPT_INT, O(batch_tokens), "N", "tokens per encoder batch",
        .lo = 1, .hi = 1 << 24, .def = "16384"),
    OPT("reembed", 0, OPT_BOOL, O(reembed), NULL, "re-embed everything when the model changed"),
    OPT("f16", 0, OPT_BOOL, O(f16), NULL, "store vectors as float16 (new stores only)"),
};
static const struct opt index_opts[] = {
    OPT("enabled", 0, OPT_BOOL, O(index_enabled), NULL, "build or update the FAISS index", .def = "yes"),
    OPT("type", 0, OPT_STR, O(index_type), "auto|FACTORY", "index type", .def = "auto"),
    OPT("memory-budget", 0, OPT_SIZE, O(memory_budget), "SIZE", "memory the index may use (default: half the RAM)"),
    OPT("recall", 0, OPT_NUM, O(recall), "R", "recall@10 target when tuning",
        .lo = 0.01, .hi = 1.0, .def = "0.95"),
    OPT("grow-factor", 0, OPT_NUM, O(grow_factor), "F", "add to a trained index until the corpus\n"
      "grew by this factor since training, then retrain", .lo = 1.0, .hi = 1e9, .def = "2"),
};
static const struct opt mine_opts[] = {
    OPT("enabled", 0, OPT_BOOL, O(mine_enabled), NULL, "mine paraphrase pairs into a report",
        .def = "no"),
    OPT("output", 0, OPT_STR, O(mine_output), "FILE", "report: .html, .jsonl or .tsv\n"
      "(default <store>/reports/pairs.html)", .flags = OPT_PATH),
    OPT("threshold", 0, OPT_NUM, O(mine_threshold), "S", "minimum cosine of a pair",
        .lo = -1.0, .hi = 1.0, .def = "0.8"),
    OPT("top-k", 0, OPT_INT, O(mine_top_k), "K", "neighbours considered per chunk",
        .lo = 1, .hi = 10000, .def = "100"),
    OPT("max-pairs", 0, OPT_INT, O(mine_max_pairs), "N", "most pairs reported",
        .lo = 1, .hi = 1L << 40, .def = "500000"),
    OPT("min-cluster", 0, OPT_INT, O(mine_min_cluster), "N", "smallest cluster reported",
        .lo = 2, .hi = 1L << 40, .def = "3"),
    OPT("include-identical", 0, OPT_BOOL, O(mine_include_identical), NULL, "keep pairs of identical texts\n"
      "(default no: left out, grouped in <output stem>.duplicates.jsonl)"),
    OPT("lang", 0, OPT_STR, O(mine_lang), "TAG", "html report language (default: ko for mostly\n"
      "Hangul texts, else en)"),
};
#undef O
static const struct opt_group run_groups[] = {
    OPT_GROUP(top_opts, 0, NULL),
    OPT_GROUP(ingest_opts, 0, "ingest-"),
    OPT_GROUP(index_opts, 0, "index-"),
    OPT_GROUP(mine_opts, 0, "mine-"),
};
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
    o->index_enabled = 1;
    o->memory_budget = cli_default_memory_budget();
    o->recall = 0.95;
    o->grow_factor = 2.0;
    o->window = 256;
    o->overlap = 32;
    o->mine_threshold = 0.8;
    struct mine_options mo = MINE_OPTIONS_INIT;
    o->mine_top_k = mo.top_k;
    o->mine_max_pairs = (long)mo.max_pairs;
    o->mine_min_cluster = 3;
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
        if (!(o->config = mem_strdup(path))) rc = err_set(ERR_NOMEM, "out of memory");
    }
    return rc;
}

int run_options_parse(struct run_options *o, int argc, char **argv)
{
    int first;
    return opts_apply(&run_cmd, o, argc, argv, &first, apply_config);
}

void run_options_usage(const struct run_options *o, FILE *f)
{
    opts_check_defaults(&run_cmd, o);
    opts_usage(&run_cmd, f);
}
