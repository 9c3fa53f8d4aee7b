/*
 * stage_opts.h - the option groups a command shares with `run`: the
 * settings of ingest, build and mine, each declared once (an opts.h table
 * beside the struct it fills) and turned into the library's options by one
 * function.
 *
 *   group                struct            command           run (run_opts.c)
 *   ingest_opts          ingest_settings   ingest --segment  [ingest] segment, --ingest-segment
 *   ingest_scope_opts    ingest_settings   ingest --root     root (top level), --root
 *   build_opts           build_settings    build --index     [index] type, --index-type
 *   mine_opts            mine_settings     mine --top-k      [mine] top-k, --mine-top-k
 *
 * struct run_options embeds the three structs, so run's stages hand them to
 * the same _apply functions as the commands. Calling sequence:
 *
 *     struct ingest_settings s;
 *     ingest_settings_init(&s);                (the defaults: the library's)
 *     ... opts_parse(cmd with INGEST_GROUP(offsetof(.., s), NULL), ...) ...
 *     if (ingest_settings_check(&s, "") < 0) ... usage error: err_msg() ...
 *     struct ingest_options io = INGEST_OPTIONS_INIT;
 *     ingest_settings_apply(&s, &io);          (io borrows s's strings)
 *
 * Zero in a size or count field means "the library's default" (the caps of
 * source.h, ingest's batch): the library records the settings that shape
 * chunks as given, so 0 must stay 0 for a store's shards not to look
 * changed. Where run's default differs from the command's (mine's threshold
 * and smallest cluster), run's group overrides the help's default
 * (RUN_MINE_DEFS) and run_options_init sets the value. The strings are
 * owned (opts_release of the command releases them).
 */
#ifndef SEMINDEX_STAGE_OPTS_H
#define SEMINDEX_STAGE_OPTS_H

#include <stdint.h>

#include "pipeline/opts.h"

struct ingest_options;
struct build_options;
struct mine_options;

/* ---- ingest ------------------------------------------------------------- */

struct ingest_settings {
    int segment;                /* enum seg_mode */
    long window, overlap;       /* tokens (builtin:ngram: words) */
    char *text_field, *id_field, *column; /* NULL: the source's defaults */
    uint64_t max_entry, max_shard, max_record; /* 0: the source's caps */
    long batch_tokens;          /* 0: ingest's batch */
    int strict, allow_streams, follow_symlinks, reembed, f16;
    char *root;                 /* ingest_scope_opts: top level in run */
    char *part;                 /* I/N, slurm, k8s:N (ingest/part.h); NULL: everything */
};

extern const struct opt ingest_opts[], ingest_scope_opts[];
#define INGEST_N_OPTS 15
#define INGEST_SCOPE_N_OPTS 2
#define INGEST_GROUP(base_off, prefix) { ingest_opts, INGEST_N_OPTS, base_off, prefix, NULL }
#define INGEST_SCOPE_GROUP(base_off) { ingest_scope_opts, INGEST_SCOPE_N_OPTS, base_off, NULL, NULL }

void ingest_settings_init(struct ingest_settings *s);
/* ingest_settings_check: what the table cannot say (overlap < window for
 * window chunks); 0 or ERR_INVALID naming the flags with prefix ("" or
 * "ingest-"). */
int ingest_settings_check(const struct ingest_settings *s, const char *prefix);
/* ingest_settings_apply: s into io (as INGEST_OPTIONS_INIT left it); io's
 * strings point into s. part is not applied (the caller selects shards). */
void ingest_settings_apply(const struct ingest_settings *s, struct ingest_options *io);

/* ---- build (run's [index]) ----------------------------------------------- */

struct build_settings {
    char *type;                 /* "auto" (NULL) or a FAISS factory string */
    uint64_t memory_budget;     /* bytes */
    double recall;              /* recall@10 target */
    double grow_factor;         /* retrain beyond this growth */
};

extern const struct opt build_opts[];
#define BUILD_N_OPTS 4
#define BUILD_GROUP(base_off, prefix) { build_opts, BUILD_N_OPTS, base_off, prefix, NULL }

void build_settings_init(struct build_settings *s);
void build_settings_apply(const struct build_settings *s, struct build_options *bo);

/* ---- mine ---------------------------------------------------------------- */

struct mine_settings {
    char *output;               /* .tsv, .jsonl or .html; NULL: the command's default */
    double threshold;           /* minimum cosine of a pair; -1 = all */
    long top_k, max_pairs;
    long min_cluster;           /* smallest cluster; 0: the command's default */
    int include_identical;
    char *lang;                 /* html lang; NULL: guessed from the texts */
};

extern const struct opt mine_opts[];
#define MINE_N_OPTS 7
#define MINE_GROUP(base_off, prefix, defs) { mine_opts, MINE_N_OPTS, base_off, prefix, defs }

void mine_settings_init(struct mine_settings *s);
/* mine_settings_check: the language tag; 0 or ERR_INVALID naming the flag. */
int mine_settings_check(const struct mine_settings *s, const char *prefix);
void mine_settings_apply(const struct mine_settings *s, struct mine_options *mo);

#endif
