/*
 * opts.c - option tables (see opts.h).
 */
#include "opts.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cli.h"
#include "err.h"
#include "mem.h"

static void list_clear(struct opt_list *l)
{
    for (size_t i = 0; i < l->n; i++) mem_free(l->v[i]);
    mem_free(l->v);
    memset(l, 0, sizeof *l);
}

const struct opt *opt_find(const struct opt *t, size_t n, const char *name)
{
    for (size_t i = 0; i < n; i++)
        if (!strcmp(t[i].name, name)) return &t[i];
    return NULL;
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

int opt_set(void *o, const struct opt *op, const char *value, int *replace_list)
{
    void *p = (char *)o + op->off;
    switch (op->type) {
    case OPT_STR: {
        char *s = mem_strdup(value);
        if (!s) return err_set(ERR_NOMEM, "out of memory");
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
            if (!v) return err_set(ERR_NOMEM, "out of memory");
            l->v = v;
            l->cap = cap;
        }
        if (!(l->v[l->n] = mem_strdup(value))) return err_set(ERR_NOMEM, "out of memory");
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
    case OPT_SIZE:
        if (cli_parse_size(value, p) < 0) return err_set(ERR_INVALID, "'%s' is not a size (e.g. 512M, 4G)", value);
        return 0;
    case OPT_BOOL:
        return parse_bool(value, p);
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

void opt_usage(FILE *f, const struct opt *t, size_t n, int width)
{
    for (size_t i = 0; i < n; i++) {
        char left[80];
        if (t[i].type == OPT_BOOL) snprintf(left, sizeof left, "--[no-]%s", t[i].name);
        else snprintf(left, sizeof left, "--%s %s", t[i].name, t[i].arg);
        fprintf(f, "  %-*s ", width, left);
        for (const char *h = t[i].help; *h; h++) {
            fputc(*h, f);
            if (*h == '\n') fprintf(f, "  %-*s ", width, "");
        }
        fputc('\n', f);
    }
}
