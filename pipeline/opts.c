/*
 * opts.c - option tables: values, the getopt_long driver and the --help text
 * (see opts.h). The driver flattens a command's groups into one array of
 * entries with their prefixed names, builds getopt_long's option array from
 * it, and runs getopt_long twice: a first pass only looks for --help and
 * --config (so help never depends on other values and a config file is read
 * before the flags that override it), the second applies everything else.
 */
#include "pipeline/opts.h"

#include <getopt.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common/buf.h"
#include "common/err.h"
#include "common/mem.h"
#include "pipeline/cli.h"

/* ---- values ------------------------------------------------------------ */

static void list_clear(struct opt_list *l)
{
    for (size_t i = 0; i < l->n; i++) mem_free(l->v[i]);
    mem_free(l->v);
    memset(l, 0, sizeof *l);
}

static int parse_bool(const char *s, int *out)
{
    static const char *yes[] = { "1", "yes", "true", "on" }, *no[] = { "0", "no", "false", "off" };
    for (int i = 0; i < 4; i++) {
        if (!strcasecmp(s, yes[i])) return *out = 1, 0;
        if (!strcasecmp(s, no[i])) return *out = 0, 0;
    }
    return err_set(ERR_INVALID, "'%s' is not yes or no", s);
}

static int parse_enum(const char *s, const char *const *choices, int *out)
{
    for (int i = 0; choices[i]; i++)
        if (!strcmp(s, choices[i])) return *out = i, 0;
    struct buf b = BUF_INIT;
    for (int i = 0; choices[i]; i++)
        buf_printf(&b, "%s%s", i ? (choices[i + 1] ? ", " : " or ") : "", choices[i]);
    int rc = err_set(ERR_INVALID, "'%s' is not %s", s, b.data ? b.data : "");
    buf_release(&b);
    return rc;
}

int opt_set(void *o, const struct opt *op, const char *value, int *replace_list)
{
    void *p = (char *)o + op->off;
    switch (op->type) {
    case OPT_STR: {
        char *s = mem_strdup(value);
        if (!s) return err_nomem();
        mem_free(*(char **)p);
        *(char **)p = s;
        return 0;
    }
    case OPT_LIST: {
        struct opt_list *l = p;
        if (replace_list && *replace_list) {
            list_clear(l);
            *replace_list = 0;
        }
        if (l->n == l->cap) {
            size_t cap = l->cap ? 2 * l->cap : 8;
            char **v = mem_realloc(l->v, cap * sizeof *v);
            if (!v) return err_nomem();
            l->v = v;
            l->cap = cap;
        }
        if (!(l->v[l->n] = mem_strdup(value))) return err_nomem();
        l->n++;
        return 0;
    }
    case OPT_INT: {
        long v;
        if (cli_parse_int(value, (long)op->lo, (long)op->hi, &v) < 0)
            return err_set(ERR_INVALID, "'%s' is not an integer in [%.0f, %.0f]", value, op->lo, op->hi);
        *(long *)p = v;
        return 0;
    }
    case OPT_NUM: {
        char *end;
        double v = strtod(value, &end);
        if (end == value || *end || !(v >= op->lo && v <= op->hi))
            return err_set(ERR_INVALID, "'%s' is not a number in [%g, %g]", value, op->lo, op->hi);
        *(double *)p = v;
        return 0;
    }
    case OPT_SIZE: {
        uint64_t v;
        if (cli_parse_size(value, &v) < 0)
            return err_set(ERR_INVALID, "'%s' is not a size (e.g. 512M, 4G)", value);
        if ((double)v < op->lo) return err_set(ERR_INVALID, "'%s' is too small (at least %.0f)", value, op->lo);
        *(uint64_t *)p = v;
        return 0;
    }
    case OPT_BOOL:
        return parse_bool(value, p);
    case OPT_FLAG:
        *(int *)p = 1;
        return 0;
    case OPT_ENUM:
        return parse_enum(value, op->choices, p);
    }
    return err_set(ERR_INVALID, "bad option type");
}

void opt_release(void *base, const struct opt *t, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        void *p = (char *)base + t[i].off;
        if (t[i].type == OPT_STR) {
            mem_free(*(char **)p);
            *(char **)p = NULL;
        } else if (t[i].type == OPT_LIST) {
            list_clear(p);
        }
    }
}

void opts_release(const struct opts_cmd *cmd, void *base)
{
    for (size_t g = 0; g < cmd->n_groups; g++)
        opt_release((char *)base + cmd->groups[g].base_off, cmd->groups[g].t, cmd->groups[g].n);
}

/* base_name: the entry's name in g before the prefix: its key under a prefix. */
static const char *base_name(const struct opt_group *g, const struct opt *op)
{
    return g->prefix && op->key ? op->key : op->name;
}

/* full_name: the entry's prefixed name into out. */
static const char *full_name(const struct opt_group *g, const struct opt *op, char *out, size_t size)
{
    snprintf(out, size, "%s%s", g->prefix ? g->prefix : "", base_name(g, op));
    return out;
}

/* short_of: the entry's short flag in g: none under a prefix (a group is a
 * section of a larger command there, whose letters are its own). */
static int short_of(const struct opt_group *g, const struct opt *op)
{
    return g->prefix ? 0 : op->short_flag;
}

/* def_of: the default g shows for op: its defs' override, else op->def. */
static const char *def_of(const struct opt_group *g, const struct opt *op)
{
    for (const struct opt_def *d = g->defs; d && d->name; d++)
        if (!strcmp(d->name, op->name)) return d->def;
    return op->def;
}

const struct opt *opts_find(const struct opts_cmd *cmd, void *base, const char *name, void **field_base)
{
    char full[128];
    for (size_t g = 0; g < cmd->n_groups; g++)
        for (size_t i = 0; i < cmd->groups[g].n; i++) {
            const struct opt *op = &cmd->groups[g].t[i];
            full_name(&cmd->groups[g], op, full, sizeof full);
            if (strcmp(full, name) || (op->flags & OPT_CLI_ONLY)) continue;
            *field_base = (char *)base + cmd->groups[g].base_off;
            return op;
        }
    return NULL;
}

/* ---- the driver --------------------------------------------------------- */

enum { VAL_SET = 0x1000, VAL_NEG = 0x2000 }; /* getopt val: VAL_SET + entry index */

struct ent {
    const struct opt *op;
    void *field_base;
    char *name;        /* prefixed, owned */
    const char *alias; /* the name without its prefix (OPTS_SHORT_NAMES), or NULL */
    int short_flag;    /* op->short_flag in an unprefixed group, else 0 */
    int alias_dropped; /* another entry has that name: the alias is not a flag */
};

struct parser {
    struct ent *e;
    size_t n;
    struct option *lo; /* getopt_long's array, NULL-terminated */
    char **strs;       /* the "no-NAME" strings lo points to */
    size_t n_strs;
    char shorts[160];  /* ":s:m:hqv" */
};

static void parser_release(struct parser *p)
{
    for (size_t i = 0; i < p->n; i++) mem_free(p->e[i].name);
    for (size_t i = 0; i < p->n_strs; i++) mem_free(p->strs[i]);
    mem_free(p->e);
    mem_free(p->lo);
    mem_free(p->strs);
    memset(p, 0, sizeof *p);
}

static size_t cmd_count(const struct opts_cmd *cmd)
{
    size_t n = 0;
    for (size_t g = 0; g < cmd->n_groups; g++) n += cmd->groups[g].n;
    return n;
}

static int takes_value(const struct opt *op) { return op->type != OPT_BOOL && op->type != OPT_FLAG; }

static int add_long(struct parser *p, size_t *k, const char *name, int neg, int has_arg, int val)
{
    const char *s = name;
    if (neg) {
        char *t = mem_alloc(strlen(name) + 4);
        if (!t) return err_nomem();
        sprintf(t, "no-%s", name);
        p->strs[p->n_strs++] = t;
        s = t;
    }
    p->lo[(*k)++] = (struct option){ s, has_arg, NULL, val };
    return 0;
}

static int parser_init(struct parser *p, const struct opts_cmd *cmd, void *base)
{
    memset(p, 0, sizeof *p);
    size_t n = cmd_count(cmd);
    p->e = mem_calloc(n ? n : 1, sizeof *p->e);
    p->lo = mem_calloc(4 * n + 2, sizeof *p->lo);
    p->strs = mem_calloc(2 * n + 1, sizeof *p->strs);
    if (!p->e || !p->lo || !p->strs) return err_nomem();
    char full[128];
    for (size_t g = 0; g < cmd->n_groups; g++)
        for (size_t i = 0; i < cmd->groups[g].n; i++) {
            struct ent *e = &p->e[p->n++];
            e->op = &cmd->groups[g].t[i];
            e->field_base = (char *)base + cmd->groups[g].base_off;
            if (!(e->name = mem_strdup(full_name(&cmd->groups[g], e->op, full, sizeof full))))
                return err_nomem();
            if ((cmd->flags & OPTS_SHORT_NAMES) && cmd->groups[g].prefix)
                e->alias = base_name(&cmd->groups[g], e->op);
            e->short_flag = short_of(&cmd->groups[g], e->op);
        }
    /* a short name is dropped when it is another entry's name or short name */
    for (size_t i = 0; i < p->n; i++)
        for (size_t j = 0; p->e[i].alias && j < p->n; j++)
            if (j != i && (!strcmp(p->e[j].name, p->e[i].alias) ||
                           (p->e[j].alias && !strcmp(p->e[j].alias, p->e[i].alias))))
                p->e[i].alias_dropped = 1;
    size_t k = 0, ns = 1;
    p->shorts[0] = ':';
    for (size_t i = 0; i < p->n; i++) {
        const struct opt *op = p->e[i].op;
        int has = takes_value(op) ? required_argument : no_argument;
        if (op->type == OPT_BOOL && (cmd->flags & OPTS_BOOL_VALUES)) has = optional_argument;
        const char *names[2] = { p->e[i].name, p->e[i].alias_dropped ? NULL : p->e[i].alias };
        for (int a = 0; a < 2 && names[a]; a++) {
            FORWARD_ERR(add_long(p, &k, names[a], 0, has, VAL_SET + (int)i));
            if (op->type == OPT_BOOL)
                FORWARD_ERR(add_long(p, &k, names[a], 1, no_argument, VAL_NEG + (int)i));
        }
        CHECK(!op->short_flag || !strchr("hqv", op->short_flag)); /* the driver's own */
        if (p->e[i].short_flag && ns + 3 < sizeof p->shorts) {
            p->shorts[ns++] = (char)p->e[i].short_flag;
            if (takes_value(op)) p->shorts[ns++] = ':';
        }
    }
    p->lo[k++] = (struct option){ "help", no_argument, NULL, 'h' };
    memcpy(p->shorts + ns, "hqv", 4);
    return 0;
}

/* ent_of: the entry of a getopt return value c, or NULL; *neg for --no-NAME. */
static struct ent *ent_of(struct parser *p, int c, int *neg)
{
    *neg = c >= VAL_NEG;
    if (c >= VAL_SET) return &p->e[c - (*neg ? VAL_NEG : VAL_SET)];
    for (size_t i = 0; i < p->n; i++)
        if (p->e[i].short_flag == c) return &p->e[i];
    return NULL;
}

int opts_apply(const struct opts_cmd *cmd, void *base, int argc, char **argv, int *first,
               int (*config)(void *base, const char *path))
{
    struct parser p;
    int rc = parser_init(&p, cmd, base), c, neg, n_config = 0;
    unsigned char *given = mem_calloc(p.n ? p.n : 1, 1);
    if (rc == 0 && !given) rc = err_nomem();
    /* pass 1: --help, then the config file before the flags that override it */
    const char *config_path = NULL;
    for (optind = 0; rc == 0 && (c = getopt_long(argc, argv, p.shorts, p.lo, NULL)) != -1;) {
        struct ent *e = ent_of(&p, c, &neg);
        if (c == 'h') rc = OPTS_HELP;
        else if (config && e && !strcmp(e->name, "config")) config_path = optarg, n_config++;
    }
    if (rc == 0 && n_config > 1) rc = err_set(ERR_INVALID, "--config given twice");
    else if (rc == 0 && config_path) rc = config(base, config_path);
    /* pass 2: everything else, in order */
    for (optind = 0; rc == 0 && (c = getopt_long(argc, argv, p.shorts, p.lo, NULL)) != -1;) {
        struct ent *e = ent_of(&p, c, &neg);
        if (cli_common_opt(c)) continue;
        if (!e) {
            rc = cli_option_error(c, argv);
            break;
        }
        if (config && !strcmp(e->name, "config")) continue;
        int replace = !given[e - p.e];
        given[e - p.e] = 1;
        const char *v = e->op->type == OPT_BOOL && !optarg ? (neg ? "no" : "yes") : optarg;
        if ((rc = opt_set(e->field_base, e->op, v, &replace)) < 0) rc = err_prefix(rc, "--%s", e->name);
    }
    int i = optind;
    if (rc == 0 && cmd->args_into) { /* positional arguments are values of that list */
        size_t k = 0;
        while (k < p.n && strcmp(p.e[k].name, cmd->args_into)) k++;
        CHECK(k < p.n && p.e[k].op->type == OPT_LIST);
        for (; rc == 0 && i < argc; i++) {
            int replace = !given[k];
            given[k] = 1;
            rc = opt_set(p.e[k].field_base, p.e[k].op, argv[i], &replace);
        }
    }
    if (rc == 0 && !cmd->args && i < argc)
        rc = err_set(ERR_INVALID, "unexpected argument '%s'", argv[i]);
    for (size_t k = 0; rc == 0 && k < p.n; k++)
        if ((p.e[k].op->flags & OPT_REQUIRED) && !given[k])
            rc = err_set(ERR_INVALID, "--%s is required", p.e[k].name);
    if (rc == 0) *first = i;
    mem_free(given);
    parser_release(&p);
    return rc;
}

int opts_parse(const struct opts_cmd *cmd, void *base, int argc, char **argv, int *first)
{
    int rc = opts_apply(cmd, base, argc, argv, first, NULL);
    if (rc == 0) return OPTS_CONTINUE;
    opts_release(cmd, base);
    if (rc == OPTS_HELP) {
        opts_check_defaults(cmd, base);
        opts_usage(cmd, stdout);
        return EXIT_OK;
    }
    return opts_error(cmd, "%s", err_msg());
}

int opts_error(const struct opts_cmd *cmd, const char *fmt, ...)
{
    char usage[96], msg[1024];
    snprintf(usage, sizeof usage, "usage: semindex %s", cmd->name);
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    return cli_usage_error(usage, "%s", msg);
}

/* ---- the help text ------------------------------------------------------ */

/* def_differs: 1 when the field differs from op->def read as a value; 0
 * when equal or not comparable: no def, a string, list or flag (their
 * defaults are applied later), or a zero field ("0 = the default of the
 * stage", as run's ingest caps). */
static int def_differs(const void *field_base, const struct opt *op)
{
    if (!op->def || op->type == OPT_STR || op->type == OPT_LIST || op->type == OPT_FLAG) return 0;
    static const char zero[sizeof(uint64_t) + sizeof(double)];
    union { long l; double d; uint64_t u; int i; } v;
    memset(&v, 0, sizeof v);
    size_t size = op->type == OPT_INT ? sizeof v.l : op->type == OPT_NUM ? sizeof v.d
                : op->type == OPT_SIZE ? sizeof v.u : sizeof v.i;
    const char *p = (const char *)field_base + op->off;
    if (!memcmp(p, zero, size)) return 0;
    struct opt at0 = *op;
    at0.off = 0;
    return opt_set(&v, &at0, op->def, NULL) < 0 || memcmp(&v, p, size) != 0;
}

void opts_check_defaults(const struct opts_cmd *cmd, const void *base)
{
    char full[128];
    for (size_t g = 0; g < cmd->n_groups; g++)
        for (size_t i = 0; i < cmd->groups[g].n; i++) {
            struct opt op = cmd->groups[g].t[i];
            op.def = def_of(&cmd->groups[g], &op);
            if (!def_differs((const char *)base + cmd->groups[g].base_off, &op)) continue;
            fprintf(stderr, "semindex %s: bug: --%s: the help says default %s, the command sets another\n",
                    cmd->name, full_name(&cmd->groups[g], &op, full, sizeof full), op.def);
            abort();
        }
}

/* put_synopsis_item: " word", or the word on a new line indented to indent
 * when it would pass column 79. */
static void put_synopsis_item(FILE *f, const char *word, size_t *col, size_t indent)
{
    size_t n = strlen(word);
    if (*col + 1 + n > 79 && *col > indent) {
        fprintf(f, "\n%*s", (int)indent, "");
        *col = indent;
    } else {
        fputc(' ', f);
        (*col)++;
    }
    fputs(word, f);
    *col += n;
}

static void left_column(const struct opt_group *g, const struct opt *op, char *out, size_t size)
{
    char sh[8] = "    ", name[128];
    full_name(g, op, name, sizeof name);
    if (short_of(g, op)) snprintf(sh, sizeof sh, "-%c, ", short_of(g, op));
    if (op->type == OPT_BOOL) snprintf(out, size, "%s--[no-]%s", sh, name);
    else if (op->type == OPT_FLAG) snprintf(out, size, "%s--%s", sh, name);
    else snprintf(out, size, "%s--%s %s", sh, name, op->arg ? op->arg : "VALUE");
}

static void put_help_line(FILE *f, const char *left, const char *help, const char *def, int width)
{
    fprintf(f, "  %-*s ", width, left);
    if ((int)strlen(left) > width) fprintf(f, "\n  %-*s ", width, "");
    for (const char *h = help; *h; h++) {
        fputc(*h, f);
        if (*h == '\n') fprintf(f, "  %-*s ", width, "");
    }
    if (def) fprintf(f, " (default %s)", def);
    fputc('\n', f);
}

void opts_usage(const struct opts_cmd *cmd, FILE *f)
{
    char full[128], left[160];
    size_t col = (size_t)fprintf(f, "usage: semindex %s", cmd->name), indent = col + 1;
    if (cmd->synopsis) {
        fprintf(f, " %s", cmd->synopsis);
    } else {
        for (size_t g = 0; g < cmd->n_groups; g++)
            for (size_t i = 0; i < cmd->groups[g].n; i++) {
                const struct opt *op = &cmd->groups[g].t[i];
                full_name(&cmd->groups[g], op, full, sizeof full);
                const char *o = op->flags & OPT_REQUIRED ? "" : "[", *c = *o ? "]" : "";
                if (op->type == OPT_BOOL) snprintf(left, sizeof left, "%s--[no-]%s%s", o, full, c);
                else if (op->type == OPT_FLAG) snprintf(left, sizeof left, "%s--%s%s", o, full, c);
                else snprintf(left, sizeof left, "%s--%s %s%s", o, full, op->arg, c);
                put_synopsis_item(f, left, &col, indent);
            }
        if (cmd->args) put_synopsis_item(f, cmd->args, &col, indent);
    }
    fputs("\n\n", f);
    if (cmd->intro) fprintf(f, "%s\n", cmd->intro);
    int width = 6;
    for (size_t g = 0; g < cmd->n_groups; g++)
        for (size_t i = 0; i < cmd->groups[g].n; i++) {
            const struct opt *op = &cmd->groups[g].t[i];
            left_column(&cmd->groups[g], op, left, sizeof left);
            if ((int)strlen(left) > width) width = (int)strlen(left);
        }
    if (width > 34) width = 34;
    width++;
    for (size_t g = 0; g < cmd->n_groups; g++)
        for (size_t i = 0; i < cmd->groups[g].n; i++) {
            const struct opt *op = &cmd->groups[g].t[i];
            left_column(&cmd->groups[g], op, left, sizeof left);
            put_help_line(f, left, op->help, def_of(&cmd->groups[g], op), width);
        }
    if (cmd->args_help) fputs(cmd->args_help, f);
    put_help_line(f, "-q, -v", "quieter, more verbose", NULL, width);
    put_help_line(f, "-h, --help", "this help", NULL, width);
    if (cmd->outro) fprintf(f, "\n%s", cmd->outro);
}
