/*
 * discover.c - globs and directory walks into a sorted list of shard files.
 */
#include "discover.h"

#include <dirent.h>
#include <errno.h>
#include <glob.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "err.h"
#include "log.h"
#include "mem.h"

static const char *const shard_exts[] = {
    ".tar", ".tar.gz", ".tgz", ".tar.zst", ".tzst", ".tar.xz", ".txz", ".tar.bz2", ".zip", ".7z",
    ".zst", ".gz", ".xz", ".bz2", ".txt", ".md", ".jsonl", ".ndjson", ".tsv", ".csv", NULL,
};

int shard_ext_known(const char *name)
{
    size_t n = strlen(name);
    for (int i = 0; shard_exts[i]; i++) {
        size_t m = strlen(shard_exts[i]);
        if (n > m && !strcasecmp(name + n - m, shard_exts[i])) return 1;
    }
    return 0;
}

static int list_add(struct shard_list *l, const char *path)
{
    char *real = realpath(path, NULL);
    if (!real) {
        if (errno == ENOMEM) return err_set(ERR_NOMEM, "out of memory");
        real = mem_strdup(path);
        if (!real) return err_set(ERR_NOMEM, "out of memory");
    }
    if (l->n == l->cap) {
        size_t cap = l->cap ? 2 * l->cap : 64;
        char **p = mem_realloc(l->path, cap * sizeof *p);
        if (!p) {
            free(real);
            return err_set(ERR_NOMEM, "out of memory");
        }
        l->path = p;
        l->cap = cap;
    }
    l->path[l->n++] = real;
    return 0;
}

/* walk: add every shard file under dir (depth-first; order fixed by the final sort). */
static int walk(const char *dir, struct shard_list *l, struct discover_stats *st, size_t *found, int depth)
{
    if (depth > 64) {
        log_warn("not descending into '%s': deeper than 64 levels", dir);
        st->unreadable++;
        return 0;
    }
    DIR *d = opendir(dir);
    if (!d) {
        log_warn("cannot read directory '%s': %s", dir, strerror(errno));
        st->unreadable++;
        return 0;
    }
    int rc = 0;
    struct dirent *de;
    while (rc == 0 && (de = readdir(d))) {
        if (de->d_name[0] == '.') continue; /* ".", "..", hidden files and in-progress uploads */
        char *p = NULL;
        if (asprintf(&p, "%s/%s", dir, de->d_name) < 0) {
            rc = err_set(ERR_NOMEM, "out of memory");
            break;
        }
        struct stat sb;
        if (stat(p, &sb) < 0) {
            log_warn("cannot stat '%s': %s", p, strerror(errno));
            st->unreadable++;
        } else if (S_ISDIR(sb.st_mode)) {
            rc = walk(p, l, st, found, depth + 1);
        } else if (S_ISREG(sb.st_mode) && shard_ext_known(de->d_name)) {
            rc = list_add(l, p);
            if (rc == 0) (*found)++;
        } else {
            log_debug("skipping '%s': not a shard file", p);
            st->skipped_files++;
        }
        free(p);
    }
    closedir(d);
    return rc;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static int globerr(const char *path, int e)
{
    log_warn("cannot read '%s': %s", path, strerror(e));
    return 0; /* go on */
}

int discover_shards(const char *const *patterns, size_t n, struct shard_list *out,
                    struct discover_stats *st)
{
    struct discover_stats dummy = { 0 };
    if (!st) st = &dummy;
    int rc = 0;
    for (size_t i = 0; i < n && rc == 0; i++) {
        st->patterns++;
        glob_t g;
        memset(&g, 0, sizeof g);
        int gr = glob(patterns[i], GLOB_BRACE | GLOB_TILDE, globerr, &g);
        size_t found = 0;
        if (gr == GLOB_NOSPACE) {
            rc = err_set(ERR_NOMEM, "out of memory expanding '%s'", patterns[i]);
        } else if (gr == GLOB_ABORTED) {
            rc = err_set(ERR_IO, "cannot expand '%s': read error", patterns[i]);
        } else if (gr == 0) {
            for (size_t j = 0; j < g.gl_pathc && rc == 0; j++) {
                struct stat sb;
                const char *p = g.gl_pathv[j];
                if (stat(p, &sb) < 0) {
                    log_warn("cannot stat '%s': %s", p, strerror(errno));
                    st->unreadable++;
                } else if (S_ISDIR(sb.st_mode)) {
                    rc = walk(p, out, st, &found, 0);
                } else {
                    /* a file named explicitly (or by a glob) is taken whatever its
                     * extension: the reader decides and reports what it cannot read */
                    rc = list_add(out, p);
                    if (rc == 0) found++;
                }
            }
        }
        globfree(&g);
        if (rc == 0 && found == 0) {
            log_warn("'%s' matched no shard", patterns[i]);
            st->empty_patterns++;
        }
    }
    if (rc < 0) return rc;
    if (out->n > 1) qsort(out->path, out->n, sizeof *out->path, cmp_str);
    size_t w = 0;
    for (size_t i = 0; i < out->n; i++) {
        if (w > 0 && !strcmp(out->path[w - 1], out->path[i])) {
            free(out->path[i]);
            continue;
        }
        out->path[w++] = out->path[i];
    }
    out->n = w;
    return 0;
}

void shard_list_release(struct shard_list *l)
{
    for (size_t i = 0; i < l->n; i++) free(l->path[i]);
    free(l->path);
    memset(l, 0, sizeof *l);
}
