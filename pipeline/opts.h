/*
 * opts.h - option tables: a command declares each option once and one
 * driver parses the command line (getopt_long), checks values, prints
 * --help and names the config-file keys from that declaration.
 *
 * A struct opt describes one field of an options struct (offsetof): its
 * long name, short flag, type, range, argument name, help and the default
 * shown in the help. Entries are grouped: a struct opt_group is a table plus
 * where its struct sits in the command's options struct (base_off) and an
 * optional name prefix, so a group declared once next to the struct it fills
 * (struct ingest_options) serves `ingest` as --segment and `run` as
 * --ingest-segment / config key "segment" in section [ingest]. A struct
 * opts_cmd is one command: its groups, synopsis and help prose.
 *
 * Calling sequence of a command:
 *
 *     struct stats_options o = { 0 };               (defaults set here)
 *     int first, rc = opts_parse(&stats_cmd, &o, argc, argv, &first);
 *     if (rc != OPTS_CONTINUE) return rc;          (--help printed: 0; error printed: 2)
 *     ... argv[first .. argc) are the positional arguments ...
 *     opts_release(&stats_cmd, &o);                (at the out: label)
 *
 * Rules the driver applies, so every command behaves the same:
 * - flags: --NAME (with the group prefix), -X when short_flag is set
 *   (in unprefixed groups only: a prefixed group is a section of a larger
 *   command, whose letters are its own: run has no -o for --mine-output),
 *   --no-NAME for OPT_BOOL; getopt_long's unique abbreviations; -q, -v
 *   (cli_common_opt) and -h/--help are added to every command. With
 *   OPTS_SHORT_NAMES a prefixed name may also be given without its prefix
 *   when no other entry has that name (run: --reembed for --ingest-reembed;
 *   --enabled, both index- and mine-, is unknown).
 * - values: opt_set below; a bad one is "--NAME: <why>". The first time a
 *   command line sets an OPT_LIST, it replaces the list (a config file's);
 *   later uses append. Positional arguments go to the OPT_LIST named by
 *   opts_cmd.args_into if set, are refused when opts_cmd.args is NULL, else
 *   are left to the caller at argv[*first .. argc).
 * - errors: one line "semindex CMD: <msg> (see 'semindex CMD --help')" on
 *   stderr (cli_usage_error), exit 2: unknown option, missing value, value
 *   given to a flag, bad value, unexpected argument, "--NAME is required"
 *   (OPT_REQUIRED, checked after parsing).
 * - --help: the usage text on stdout, exit 0, before any value is checked
 *   or a config file read (the defaults in the help are checked against the
 *   struct: opts_check_defaults); on --help and on an error the fields are
 *   released (opts_release).
 * - the help: "usage: semindex CMD " + the synopsis (generated from the
 *   table when opts_cmd.synopsis is NULL: required options bare, others in
 *   brackets, then args, wrapped at 79 columns), the intro, one line per
 *   option ("  -s, --store DIR   help (default DEF)"), args_help, -q/-v/-h,
 *   then the outro.
 * - config keys (run): the entry's prefixed name ("ingest-segment", written
 *   "segment" in section [ingest]); OPT_CLI_ONLY entries have none.
 * - shared groups (pipeline/stage_opts.h): one table serves a command
 *   unprefixed and run prefixed. Where the two spell a setting differently,
 *   the entry's key is its name under a prefix (build --index, run
 *   --index-type); where their defaults differ, the group's defs give the
 *   command's default for the help (and opts_check_defaults).
 *
 * Ownership: OPT_STR values are owned copies (mem_strdup), OPT_LIST values a
 * struct opt_list of owned copies; opts_release / opt_release free them, so
 * string defaults must be NULL (the command applies its default after
 * parsing) or an owned copy. Not thread-safe (getopt's globals). Only
 * pipeline/ and bench/ use this file.
 *
 * How to give a command its options (every command has a table; cmd_stats.c
 * is the smallest):
 * 1. Put the settings in a struct <cmd>_options; STR fields become char *
 *    (owned), switches int (OPT_FLAG when there is no --no-X today, else
 *    OPT_BOOL), counts long, sizes uint64_t, reals double, word lists int
 *    (OPT_ENUM; cli_input_formats for --input-format).
 * 2. Write `static const struct opt <cmd>_opts[]` of OPT(...) entries with
 *    O(f) = offsetof, one per flag; the help without its "(default X)" tail,
 *    which goes to .def; .flags = OPT_REQUIRED for mandatory ones. Settings
 *    shared with run: a group declared next to their struct, added with
 *    OPT_GROUP(table, offsetof, prefix). Options other commands have too:
 *    cli.h's entries (CLI_OPT_STORE, CLI_OPT_THREADS, ...) and groups
 *    (CLI_ENCODER_GROUP, CLI_INPUT_GROUP), so they read the same everywhere.
 * 3. Write `static const struct opts_cmd <cmd>_cmd` (name, groups, args,
 *    intro, outro) and delete usage_str, the longopts array and the switch.
 * 4. Set the defaults, call opts_parse as above, keep the checks the table
 *    cannot express (positional ids, combinations) with opts_error, call
 *    opts_release at the end.
 * 5. `sh docs/gen-manual.sh build/semindex > docs/semindex.1.md`, read the
 *    diff of the --help text, run tests/cli/usage and the command's tests.
 */
#ifndef SEMINDEX_OPTS_H
#define SEMINDEX_OPTS_H

#include <stddef.h>
#include <stdio.h>

enum opt_type {
    OPT_STR,   /* char *, owned */
    OPT_LIST,  /* struct opt_list, repeatable */
    OPT_INT,   /* long in [lo, hi] */
    OPT_NUM,   /* double in [lo, hi] */
    OPT_SIZE,  /* uint64_t, "512M", "4G" (cli_parse_size); at least lo */
    OPT_BOOL,  /* int: --NAME / --no-NAME; as a value yes/no, true/false, on/off, 1/0 */
    OPT_FLAG,  /* int set to 1 by --NAME; takes no value, has no --no-NAME */
    OPT_ENUM,  /* int: the index of the value in choices (a NULL-terminated list) */
};

enum opt_flags {
    OPT_REQUIRED = 1 << 0, /* "--NAME is required" when not given */
    OPT_PATH = 1 << 1,     /* a file name: relative to a config file's directory */
    OPT_CLI_ONLY = 1 << 2, /* no config key */
};

struct opt_list {
    char **v;
    size_t n, cap;
};

struct opt {
    const char *name;   /* long flag without "--" and without the group prefix */
    int short_flag;     /* 's' for -s, or 0 */
    enum opt_type type;
    size_t off;         /* offsetof the field in the group's struct */
    double lo, hi;      /* range of OPT_INT / OPT_NUM */
    const char *arg;    /* "DIR" in "--store DIR"; NULL for OPT_BOOL and OPT_FLAG */
    const char *help;   /* help lines separated by '\n' */
    const char *def;    /* shown as " (default DEF)" after the help, or NULL */
    unsigned flags;     /* enum opt_flags */
    const char *const *choices; /* OPT_ENUM's values, NULL-terminated */
    const char *key;    /* in a prefixed group, the name instead of name (flag, short name, config
                           key): build's --index is run's index-type; NULL: name */
};

/* OPT: one entry; the rest by designation: .lo/.hi (range), .def, .flags,
 * .choices. OPT("top-k", 'k', OPT_INT, O(top_k), "K", "neighbours", .lo = 1,
 * .hi = 10000, .def = "100"). */
#define OPT(name_, short_, type_, off_, arg_, help_, ...) \
    { .name = name_, .short_flag = short_, .type = type_, .off = off_, .arg = arg_, .help = help_, __VA_ARGS__ }

/* opt_def: a group's default shown for one entry (by name) in one command,
 * instead of the entry's def: run mines at threshold 0.8, mine keeps all. */
struct opt_def {
    const char *name, *def;
};

struct opt_group {
    const struct opt *t;
    size_t n;
    size_t base_off;    /* offsetof the group's struct in the command's options struct */
    const char *prefix; /* "ingest-" before every name (flags and config keys), or NULL */
    const struct opt_def *defs; /* NULL, or overrides of def ending with { NULL } */
};
#define OPT_GROUP(table, base_off, prefix) { table, sizeof table / sizeof table[0], base_off, prefix, NULL }

enum opts_cmd_flags {
    OPTS_SHORT_NAMES = 1 << 0, /* a prefixed name also without its prefix when unique */
    OPTS_BOOL_VALUES = 1 << 1, /* --BOOL=VALUE accepted (run: as in the config file) */
};

struct opts_cmd {
    const char *name;       /* "stats"; "bench mine" */
    const struct opt_group *groups;
    size_t n_groups;
    const char *synopsis;   /* after "usage: semindex NAME "; NULL: generated */
    const char *args;       /* positional arguments in the synopsis ("ID..."), NULL: none accepted */
    const char *args_into;  /* the OPT_LIST (prefixed name) positional arguments are added to */
    const char *args_help;  /* lines printed after the options ("  ID   a chunk id"), or NULL */
    const char *intro;      /* paragraph between the synopsis and the options, or NULL */
    const char *outro;      /* text after the options, or NULL */
    unsigned flags;         /* enum opts_cmd_flags */
};

/* OPTS_CONTINUE: opts_parse's "go on"; any other value is an exit status. */
#define OPTS_CONTINUE (-1)

/* opts_parse: parse argv[1..argc) into base (see the rules above). Returns
 * OPTS_CONTINUE with *first the index of the first positional argument
 * (argv is permuted by getopt_long), or the exit status to return at once:
 * EXIT_OK after --help (usage on stdout), EXIT_USAGE after an error line on
 * stderr; base's owned fields are released then. */
int opts_parse(const struct opts_cmd *cmd, void *base, int argc, char **argv, int *first);

/* opts_apply: opts_parse without printing: 0 (*first set), OPTS_HELP when
 * -h/--help was given, or ERR_INVALID / ERR_NOMEM with err_msg() the line
 * opts_parse would print ("unknown option '--x'", "--top-k: ..."). Fields
 * are not released. config, if not NULL, is called once, before any other
 * value is set, with the value of the entry named "config" (-c/--config
 * FILE; given twice is an error), so that the other flags override the
 * file; its error is returned as is. Without config, "config" is an
 * ordinary entry. */
#define OPTS_HELP 1
int opts_apply(const struct opts_cmd *cmd, void *base, int argc, char **argv, int *first,
               int (*config)(void *base, const char *path));

/* opts_error: a usage error of cmd found after parsing (a bad positional
 * argument): the one line opts_parse prints; returns EXIT_USAGE. */
int opts_error(const struct opts_cmd *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* opts_check_defaults: abort naming the option when a def shown in the help
 * differs from base, the options as the command initializes them (a bug,
 * not a usage error). Comparable: OPT_INT, OPT_NUM, OPT_SIZE, OPT_BOOL and
 * OPT_ENUM fields that are not zero (zero means "decided downstream").
 * opts_parse runs it before printing --help, so tests/cli/help/ fails when
 * a default in the help drifts from the code. */
void opts_check_defaults(const struct opts_cmd *cmd, const void *base);

/* opts_usage: the whole --help text of cmd. */
void opts_usage(const struct opts_cmd *cmd, FILE *f);

/* opts_find: the entry whose prefixed name is name (a config key), with
 * *field_base set to the struct its off is relative to; NULL when none or
 * OPT_CLI_ONLY. */
const struct opt *opts_find(const struct opts_cmd *cmd, void *base, const char *name, void **field_base);

/* opts_release: free the OPT_STR and OPT_LIST fields of every group. */
void opts_release(const struct opts_cmd *cmd, void *base);

/* opt_set: parse value into field_base's field; for OPT_LIST, *replace_list
 * (if not NULL and set) first empties the list and is cleared. Returns 0 or
 * ERR_INVALID / ERR_NOMEM with an err_set message naming the bad value and
 * the accepted range; the caller prefixes the flag or the file and line. */
int opt_set(void *field_base, const struct opt *op, const char *value, int *replace_list);

/* opt_release: free the OPT_STR and OPT_LIST fields of one table. */
void opt_release(void *field_base, const struct opt *t, size_t n);

#endif
