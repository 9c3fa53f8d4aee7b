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
 * table is an opts.h command of groups (top level, ingest-, index-, mine-)
 * with OPTS_SHORT_NAMES and OPTS_BOOL_VALUES; the ingest, index and mine
 * settings are the groups of the commands run stands for (stage_opts.h),
 * so each is declared once. The file is read through opts_apply's config
 * hook, so flags override it.
 */
#ifndef SEMINDEX_RUN_OPTS_H
#define SEMINDEX_RUN_OPTS_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "pipeline/opts.h"
#include "pipeline/stage_opts.h"


struct run_options {
    char *config;            /* the file the settings came from, or NULL */
    /* top level */
    char *store;             /* store directory */
    char *model;             /* model directory or builtin:ngram; default: the store's, else builtin:ngram */
    long threads;            /* 0 = all cores */
    char *precision;         /* f32|bf16|int8; default: the store's, else f32 */
    char *report;            /* run report JSON path; default <store>/reports/run-<time>.json */
    /* [ingest], and root and part at the top level (ingest --root, --part) */
    struct opt_list shards;  /* globs, directories, files */
    struct ingest_settings ingest;
    /* [index] */
    int index_enabled;
    struct build_settings index;
    /* [mine] */
    int mine_enabled;
    struct mine_settings mine; /* output NULL: <store>/reports/pairs.html */
};

/* run_options_init: the defaults, those of the commands run stands for
 * (stage_opts.h), except mining: threshold 0.8, clusters of 3 or more. */
void run_options_init(struct run_options *o);
void run_options_release(struct run_options *o);

/* run_options_parse: apply --config FILE (if any, wherever it appears) and
 * then the other flags of argv[1..argc); positional arguments are shards. A
 * flag is a setting's name ("--ingest-reembed") or that name without its
 * section ("--reembed", the spelling of the command run stands for) when no
 * other setting has that name. Returns 0, OPTS_HELP when --help was given
 * (nothing printed), or a negative error with the message naming the file
 * and line or the flag; the groups' checks (ingest_settings_check,
 * mine_settings_check) are applied after the flags. */
int run_options_parse(struct run_options *o, int argc, char **argv);

/* run_options_usage: the usage text with every setting (for --help); o as
 * run_options_init left it (its values are checked against the help). */
void run_options_usage(const struct run_options *o, FILE *f);

#endif
