/*
 * discover.c - globs and directory walks into a sorted list of shard files.
 */
#include "discover.h"

#include <errno.h>
#include <fts.h>
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

struct seen {
    struct { dev_t dev; ino_t ino; } *v;
    size_t n, cap;
};

/* seen_add: 1 if the file was listed before (same device and inode: a hard
 * link, a symlink, a second path), else remembers it: 0, or ERR_NOMEM. */
static int seen_add(struct seen *s, const struct stat *sb)
{
    for (size_t i = 0; i < s->n; i++)
        if (s->v[i].dev == sb->st_dev && s->v[i].ino == sb->st_ino) return 1;
    if (s->n == s->cap) {
        size_t cap = s->cap ? 2 * s->cap : 64;
        void *p = mem_realloc(s->v, cap * sizeof *s->v);
        if (!p) return err_set(ERR_NOMEM, "out of memory");
        s->v = p;
        s->cap = cap;
    }
    s->v[s->n].dev = sb->st_dev;
    s->v[s->n].ino = sb->st_ino;
    s->n++;
    return 0;
}

static int add_file(struct shard_list *l, struct seen *seen, const char *path, const struct stat *sb, size_t *found)
{
    int d = seen_add(seen, sb);
    if (d < 0) return d;
    if (d) {
        log_debug("'%s': the same file as one listed before, skipped", path);
        (*found)++;
        return 0;
    }
    int rc = list_add(l, path);
    if (rc == 0) (*found)++;
    return rc;
}

/* walk: add every shard file under dir with fts(3). Symbolic links are not
 * followed (FTS_PHYSICAL) unless follow (FTS_LOGICAL: a link back up the tree
 * is reported as a cycle, FTS_DC, and skipped); every file is listed once by
 * device and inode, so neither a loop nor a second path repeats or hangs. */
static int walk(const char *dir, int follow, struct shard_list *l, struct discover_stats *st, struct seen *seen,
                size_t *found)
{
    char *const roots[] = { (char *)dir, NULL };
    FTS *f = fts_open(roots, (follow ? FTS_LOGICAL : FTS_PHYSICAL | FTS_COMFOLLOW) | FTS_NOCHDIR, NULL);
    if (!f) {
        log_warn("cannot read directory '%s': %s", dir, strerror(errno));
        st->unreadable++;
        return 0;
    }
    int rc = 0;
    FTSENT *e;
    while (rc == 0 && (e = fts_read(f))) {
        if (e->fts_level > FTS_ROOTLEVEL && e->fts_name[0] == '.') {
            /* hidden files and directories, in-progress uploads */
            if (e->fts_info == FTS_D) fts_set(f, e, FTS_SKIP);
            continue;
        }
        switch (e->fts_info) {
        case FTS_DP:
            break;
        case FTS_D:
            if (e->fts_level > 64) {
                log_warn("not descending into '%s': deeper than 64 levels", e->fts_path);
                st->unreadable++;
                fts_set(f, e, FTS_SKIP);
            }
            break;
        case FTS_DC:
            log_warn("'%s': symbolic link loop back to '%s', not followed", e->fts_path, e->fts_cycle->fts_path);
            st->skipped_files++;
            break;
        case FTS_DNR: case FTS_ERR: case FTS_NS:
            log_warn("cannot read '%s': %s", e->fts_path, strerror(e->fts_errno));
            st->unreadable++;
            break;
        case FTS_F:
            if (shard_ext_known(e->fts_name)) {
                rc = add_file(l, seen, e->fts_path, e->fts_statp, found);
                break;
            }
            /* fall through */
        default:
            log_debug("skipping '%s': %s", e->fts_path,
                      e->fts_info == FTS_SL || e->fts_info == FTS_SLNONE ? "symbolic link (--follow-symlinks)"
                                                                       : "not a shard file");
            st->skipped_files++;
            break;
        }
    }
    fts_close(f);
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
    return discover_shards_ex(patterns, n, 0, out, st);
}

int discover_shards_ex(const char *const *patterns, size_t n, int follow_symlinks, struct shard_list *out,
                       struct discover_stats *st)
{
    struct discover_stats dummy = { 0 };
    if (!st) st = &dummy;
    struct seen seen = { 0 };
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
                    rc = walk(p, follow_symlinks, out, st, &seen, &found);
                } else {
                    /* a file named explicitly (or by a glob) is taken whatever its
                     * extension and type: the reader decides and reports what it
                     * cannot read (a FIFO or device is refused there, unblocked) */
                    rc = add_file(out, &seen, p, &sb, &found);
                }
            }
        }
        globfree(&g);
        if (rc == 0 && found == 0) {
            log_warn("'%s' matched no shard", patterns[i]);
            st->empty_patterns++;
        }
    }
    mem_free(seen.v);
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
