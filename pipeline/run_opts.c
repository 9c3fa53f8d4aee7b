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

#define O(f) offsetof(struct run_options, f)
static const struct opt opts[] = {
    { "store", OPT_STR, O(store), 0, -1, "DIR", "store directory (created by the first run)" },
    { "model", OPT_STR, O(model), 0, -1, "DIR", "sentence-transformers model directory or builtin:ngram\n"
      "(default: the model the store was made with, else builtin:ngram)" },
    { "threads", OPT_INT, O(threads), 0, 4096, "N", "threads (default: all cores)" },
    { "precision", OPT_STR, O(precision), 0, 0, "P", "encoder precision f32|bf16|int8\n"
      "(default: the store's, else f32; another one needs --reembed)" },
    { "report", OPT_STR, O(report), 0, -1, "FILE", "run report JSON (default <store>/reports/run-<time>.json)" },
    { "root", OPT_STR, O(root), 0, -1, "DIR", "corpus root: shard keys are paths relative to it\n"
      "(default: the store's recorded root, else the deepest directory holding every shard)" },
    { "part", OPT_STR, O(part), 0, 0, "I/N", "ingest only part I of N (slurm: the array task's; see ingest --part)" },
    { "ingest-shards", OPT_LIST, O(shards), 0, -1, "GLOB", "shard files, globs or directories (repeatable)" },
    { "ingest-segment", OPT_STR, O(segment), 0, 0, "MODE", "doc|line|sentence|paragraph|window (default sentence)" },
    { "ingest-window", OPT_INT, O(window), 1, 1 << 20, "N", "tokens per window chunk (segment window)" },
    { "ingest-overlap", OPT_INT, O(overlap), 0, 1 << 20, "N", "tokens shared by consecutive windows" },
    { "ingest-text-field", OPT_STR, O(text_field), 0, 0, "NAME", "JSON field holding the text (default text)" },
    { "ingest-id-field", OPT_STR, O(id_field), 0, 0, "NAME", "JSON field holding the document id" },
    { "ingest-column", OPT_STR, O(column), 0, 0, "NAME|N", "TSV/CSV column holding the text" },
    { "ingest-strict", OPT_BOOL, O(strict), 0, 0, NULL, "a rejected input fails the run" },
    { "ingest-follow-symlinks", OPT_BOOL, O(follow_symlinks), 0, 0, NULL, "follow symbolic links in directories\n"
      "(loops are reported and skipped; default: links are not followed)" },
    { "ingest-max-entry", OPT_SIZE, O(max_entry), 0, 0, "SIZE", "cap on decompressed bytes per archive entry (default 4G)" },
    { "ingest-max-shard", OPT_SIZE, O(max_shard), 0, 0, "SIZE", "cap on decompressed bytes per shard (default 64G)" },
    { "ingest-max-record", OPT_SIZE, O(max_record), 0, 0, "SIZE", "longest record (line or document) kept (default 32M)" },
    { "ingest-batch-tokens", OPT_INT, O(batch_tokens), 1, 1 << 24, "N", "tokens per encoder batch (default 16384)" },
    { "ingest-reembed", OPT_BOOL, O(reembed), 0, 0, NULL, "re-embed everything when the model changed" },
    { "ingest-f16", OPT_BOOL, O(f16), 0, 0, NULL, "store vectors as float16 (new stores only)" },
    { "index-enabled", OPT_BOOL, O(index_enabled), 0, 0, NULL, "build or update the FAISS index (default yes)" },
    { "index-type", OPT_STR, O(index_type), 0, 0, "auto|FACTORY", "index type (default auto)" },
    { "index-memory-budget", OPT_SIZE, O(memory_budget), 0, 0, "SIZE", "memory the index may use (default: half the RAM)" },
    { "index-recall", OPT_NUM, O(recall), 0.01, 1.0, "R", "recall@10 target when tuning (default 0.95)" },
    { "index-grow-factor", OPT_NUM, O(grow_factor), 1.0, 1e9, "F", "add to a trained index until the corpus\n"
      "grew by this factor since training, then retrain (default 2)" },
    { "mine-enabled", OPT_BOOL, O(mine_enabled), 0, 0, NULL, "mine paraphrase pairs into a report (default no)" },
    { "mine-output", OPT_STR, O(mine_output), 0, -1, "FILE", "report: .html, .jsonl or .tsv\n"
      "(default <store>/reports/pairs.html)" },
    { "mine-threshold", OPT_NUM, O(mine_threshold), -1.0, 1.0, "S", "minimum cosine of a pair (default 0.8)" },
    { "mine-top-k", OPT_INT, O(mine_top_k), 1, 10000, "K", "neighbours considered per chunk (default 100)" },
    { "mine-max-pairs", OPT_INT, O(mine_max_pairs), 1, 1L << 40, "N", "most pairs reported (default 500000)" },
    { "mine-min-cluster", OPT_INT, O(mine_min_cluster), 2, 1L << 40, "N", "smallest cluster reported (default 3)" },
    { "mine-include-identical", OPT_BOOL, O(mine_include_identical), 0, 0, NULL, "keep pairs of identical texts\n"
      "(default no: left out, grouped in <output stem>.duplicates.jsonl)" },
    { "mine-lang", OPT_STR, O(mine_lang), 0, 0, "TAG", "html report language (default: ko for mostly\n"
      "Hangul texts, else en)" },
};
#undef O
#define N_OPTS (sizeof opts / sizeof opts[0])

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
    opt_release(o, opts, N_OPTS);
    mem_free(o->config);
    memset(o, 0, sizeof *o);
}

static const struct opt *find(const char *name) { return opt_find(opts, N_OPTS, name); }

/* find_flag: a setting by its name, else by its name without the section
 * ("reembed" for "ingest-reembed") when exactly one setting ends so. */
static const struct opt *find_flag(const char *name)
{
    const struct opt *op = find(name), *hit = NULL;
    if (op) return op;
    static const char *sections[] = { "ingest-", "index-", "mine-" };
    size_t n = strlen(name);
    for (size_t i = 0; i < N_OPTS; i++)
        for (size_t j = 0; j < sizeof sections / sizeof *sections; j++) {
            size_t k = strlen(sections[j]);
            if (strncmp(opts[i].name, sections[j], k) || strlen(opts[i].name) != k + n ||
                strcmp(opts[i].name + k, name))
                continue;
            if (hit) return NULL; /* ambiguous: "enabled" */
            hit = &opts[i];
        }
    return hit;
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

static int apply_config(struct run_options *o, const char *path)
{
    struct config c = { 0 };
    struct buf v = BUF_INIT;
    int rc = config_load(&c, path);
    for (size_t i = 0; rc == 0 && i < c.n; i++) {
        const struct opt *op = find(c.e[i].key);
        if (!op) {
            rc = err_set(ERR_INVALID, "%s:%d: unknown setting '%s' (see 'semindex run --help')", path,
                         c.e[i].line, c.e[i].key);
        } else if (op->hi < 0 && (rc = config_path(path, c.e[i].value, &v)) < 0) {
            break;
        } else if ((rc = opt_set(o, op, op->hi < 0 ? v.data : c.e[i].value, NULL)) < 0) {
            rc = err_prefix(rc, "%s:%d: %s", path, c.e[i].line, c.e[i].key);
        }
    }
    config_release(&c);
    buf_release(&v);
    if (rc == 0 && !(o->config = mem_strdup(path))) rc = err_set(ERR_NOMEM, "out of memory");
    return rc;
}

int run_options_parse(struct run_options *o, int argc, char **argv)
{
    /* the file first, wherever --config appears, so flags override it */
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) return 1;
        const char *path = NULL;
        if (!strcmp(argv[i], "--config") || !strcmp(argv[i], "-c")) {
            if (i + 1 >= argc) return err_set(ERR_INVALID, "%s needs a file", argv[i]);
            path = argv[++i];
        } else if (!strncmp(argv[i], "--config=", 9)) {
            path = argv[i] + 9;
        }
        if (path && o->config) return err_set(ERR_INVALID, "--config given twice");
        if (path) FORWARD_ERR(apply_config(o, path));
    }
    int replace_shards = 1;
    for (int i = 1; i < argc; i++) {
        char *a = argv[i];
        if (!strcmp(a, "--config") || !strcmp(a, "-c")) {
            i++;
            continue;
        }
        if (!strncmp(a, "--config=", 9)) continue;
        if (!strcmp(a, "-q") || !strcmp(a, "-v")) {
            cli_common_opt(a[1]);
            continue;
        }
        if (!strcmp(a, "-s") || !strcmp(a, "-m") || !strcmp(a, "-t")) { /* as in every command */
            const char *name = a[1] == 's' ? "store" : a[1] == 'm' ? "model" : "threads";
            if (i + 1 >= argc) return err_set(ERR_INVALID, "option '%s' needs a value", a);
            int rc = opt_set(o, find(name), argv[++i], NULL);
            if (rc < 0) return err_prefix(rc, "%s", a);
            continue;
        }
        if (a[0] != '-' || !a[1]) { /* a positional argument is a shard pattern */
            FORWARD_ERR(opt_set(o, find("ingest-shards"), a, &replace_shards));
            continue;
        }
        if (strncmp(a, "--", 2)) return err_set(ERR_INVALID, "unknown option '%s'", a);
        char name[128];
        const char *eq = strchr(a + 2, '=');
        size_t len = eq ? (size_t)(eq - a - 2) : strlen(a + 2);
        if (len >= sizeof name) return err_set(ERR_INVALID, "unknown option '%.*s'", (int)len + 2, a);
        memcpy(name, a + 2, len);
        name[len] = 0;
        const struct opt *op = find_flag(name);
        int negated = 0;
        if (!op && !strncmp(name, "no-", 3) && (op = find_flag(name + 3)) && op->type == OPT_BOOL) negated = 1;
        else if (op && negated) op = NULL;
        if (!op) return err_set(ERR_INVALID, "unknown option '--%s'", name);
        const char *value;
        if (op->type == OPT_BOOL && !eq) {
            value = negated ? "no" : "yes";
        } else if (eq) {
            if (negated) return err_set(ERR_INVALID, "option '--%s' takes no value", name);
            value = eq + 1;
        } else {
            if (i + 1 >= argc) return err_set(ERR_INVALID, "option '--%s' needs a value (%s)", name, op->arg);
            value = argv[++i];
        }
        int rc = opt_set(o, op, value, op->type == OPT_LIST ? &replace_shards : NULL);
        if (rc < 0) return err_prefix(rc, "--%s", name);
    }
    return 0;
}

void run_options_usage(FILE *f)
{
    fprintf(f, "usage: semindex run [--config FILE] [--SETTING VALUE]... [SHARD...]\n\n"
               "The nightly job: find the shards, ingest the new and changed ones, build or\n"
               "update the index, optionally mine paraphrases, and write a run report.\n"
               "Every setting may be written in the config file (key 'name' in section\n"
               "[section] for 'section-name') or given as a flag; flags win. A flag may\n"
               "drop its section when no other setting has that name, as the commands run\n"
               "stands for spell it: --reembed, --top-k, --memory-budget. docs/run.md\n"
               "explains each one. -s, -m and -t are --store, --model and --threads.\n\n"
               "  -c, --config FILE\n");
    opt_usage(f, opts, N_OPTS, 34);
    fprintf(f, "\nExit status: 0 all good; 3 finished, but some inputs were rejected (see the\n"
               "report); 1 failure (nothing committed after the failing stage); 2 usage error.\n"
               "%s", CLI_OUTPUT_PATHS_HELP);
}
