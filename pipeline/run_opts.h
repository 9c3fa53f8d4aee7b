/*
 * run_opts.h - the settings of `semindex run`, one table for the config file
 * and the command line.
 *
 * Every setting has one name. In the config file it is written as a key in
 * a section ("[index] recall = 0.95" is "index-recall"); on the command line
 * as a flag of the same name (--index-recall 0.95). The command line wins
 * over the file; a list setting (ingest-shards) given on the command line
 * replaces the file's list. docs/run.md is the commented reference and
 * demo/demo.ini an example; `semindex run --help` prints the table. The
 * table is an opts.h command of four groups (top level, ingest-, index-,
 * mine-) with OPTS_SHORT_NAMES and OPTS_BOOL_VALUES; the file is read
 * through opts_apply's config hook, so flags override it.
 */
#ifndef SEMINDEX_RUN_OPTS_H
#define SEMINDEX_RUN_OPTS_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "opts.h"


struct run_options {
    char *config;            /* the file the settings came from, or NULL */
    /* top level */
    char *store;             /* store directory */
    char *model;             /* model directory or builtin:ngram; default: the store's, else builtin:ngram */
    long threads;            /* 0 = all cores */
    char *precision;         /* f32|bf16|int8; default: the store's, else f32 */
    char *report;            /* run report JSON path; default <store>/reports/run-<time>.json */
    char *root;              /* corpus root of the shard keys (ingest --root) */
    char *part;              /* I/N, slurm or k8s:N: ingest only that part (ingest --part) */
    /* [ingest] */
    struct opt_list shards;  /* globs, directories, files */
    char *segment;           /* doc|line|sentence|paragraph|window */
    long window, overlap;
    char *text_field, *id_field, *column;
    int strict, reembed, f16;
    int follow_symlinks;
    uint64_t max_entry, max_shard, max_record; /* ingest --max-*; 0 = ingest's default */
    long batch_tokens;       /* tokens per encoder batch; 0 = ingest's default */
    /* [index] */
    int index_enabled;
    char *index_type;        /* auto or a FAISS factory string */
    uint64_t memory_budget;
    double recall;
    double grow_factor;      /* retrain when the corpus grew beyond this factor */
    /* [mine] */
    int mine_enabled;
    char *mine_output;       /* .html, .jsonl or .tsv */
    double mine_threshold;
    long mine_top_k, mine_max_pairs, mine_min_cluster;
    int mine_include_identical;
    char *mine_lang;         /* html lang; NULL = guessed from the texts */
};

/* run_options_init: the defaults, the same as the commands run stands for
 * (mine's top-k and max-pairs from MINE_OPTIONS_INIT, build's memory budget
 * from cli_default_memory_budget). */
void run_options_init(struct run_options *o);
void run_options_release(struct run_options *o);

/* run_options_parse: apply --config FILE (if any, wherever it appears) and
 * then the other flags of argv[1..argc); positional arguments are shards. A
 * flag is a setting's name ("--ingest-reembed") or that name without its
 * section ("--reembed", the spelling of the command run stands for) when no
 * other setting has that name. Returns 0, OPTS_HELP when --help was given
 * (nothing printed), or a negative error with the message naming the file
 * and line or the flag. */
int run_options_parse(struct run_options *o, int argc, char **argv);

/* run_options_usage: the usage text with every setting (for --help); o as
 * run_options_init left it (its values are checked against the help). */
void run_options_usage(const struct run_options *o, FILE *f);

#endif
