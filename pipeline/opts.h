/*
 * opts.h - option tables: a command declares each setting once (name, type,
 * where it lives in the command's options struct, range, argument name,
 * help) and parsing, defaults checking, config-file keys and the --help
 * lines are derived from that one declaration.
 *
 * Contract: a table is an array of struct opt describing fields of one
 * options struct (offsetof). OPT_STR values are owned copies (mem_strdup),
 * OPT_LIST values a struct opt_list of owned copies; opt_release frees both.
 * opt_set returns 0 or ERR_INVALID / ERR_NOMEM with an err_set message
 * naming the bad value and the accepted range; the caller prefixes the flag
 * or the config file and line. Only pipeline/ uses it (run_opts.c today;
 * the getopt_long commands are to follow).
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
    OPT_SIZE,  /* uint64_t, "512M", "4G" (cli_parse_size) */
    OPT_BOOL,  /* int: yes/no, true/false, on/off, 1/0; --[no-]NAME */
};

struct opt_list {
    char **v;
    size_t n, cap;
};

struct opt {
    const char *name;   /* flag name without "--"; the config key */
    enum opt_type type;
    size_t off;         /* offsetof the field in the options struct */
    double lo, hi;      /* range of OPT_INT / OPT_NUM; hi < 0 marks a path (OPT_STR, OPT_LIST) */
    const char *arg, *help; /* "DIR" (NULL for OPT_BOOL); help lines separated by '\n' */
};

/* opt_find: the entry named name, or NULL. */
const struct opt *opt_find(const struct opt *t, size_t n, const char *name);

/* opt_set: parse value into base's field; for OPT_LIST, *replace_list (if
 * not NULL and set) first empties the list and is cleared. */
int opt_set(void *base, const struct opt *op, const char *value, int *replace_list);

/* opt_release: free the OPT_STR and OPT_LIST fields of base. */
void opt_release(void *base, const struct opt *t, size_t n);

/* opt_usage: one "  --name ARG   help" line (continuation lines indented)
 * per entry, the option column width wide. */
void opt_usage(FILE *f, const struct opt *t, size_t n, int width);

#endif
