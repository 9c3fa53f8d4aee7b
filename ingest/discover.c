/*
 * discover.c - globs and directory walks into a sorted list of shard files.
 */
#include "ingest/discover.h"

#include <errno.h>
#include <glob.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "common/err.h"
#include "common/fswalk.h"
#include "common/log.h"
#include "common/mem.h"

enum { MAX_DEPTH = 64 }; /* directory levels walked under a pattern */

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
        if (errno == ENOMEM) return err_nomem();
        real = mem_strdup(path);
        if (!real) return err_nomem();
    }
    if (MEM_GROW(l->path, l->n + 1, l->cap) < 0) {
        free(real);
        return ERR_NOMEM;
    }
    l->path[l->n++] = real;
    return 0;
}

static int add_file(struct shard_list *l, struct fs_seen *seen, const char *path, const struct stat *sb,
                    size_t *found)
{
    int d = fs_seen_add(seen, sb);
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

struct walk {
    struct shard_list *l;
    struct fs_seen *seen;   /* the files listed so far, over every pattern */
    struct discover_stats *st;
    size_t *found;
};

/* on_entry: one entry of a directory walk (fs_walk: links not followed
 * unless asked, loops reported, hidden names skipped): every shard file is
 * listed once (by device and inode, across patterns), everything else
 * counted */
static int on_entry(void *ctx, const struct fs_walk_entry *e)
{
    struct walk *w = ctx;
    switch (e->kind) {
    case FS_WALK_FILE:
        if (!shard_ext_known(e->name)) break;
        return add_file(w->l, w->seen, e->path, e->sb, w->found);
    case FS_WALK_ERROR:
        log_warn("cannot read '%s': %s", e->path, strerror(e->err));
        /* fall through */
    case FS_WALK_DEEP:
        w->st->unreadable++;
        return 0;
    case FS_WALK_LOOP:
        w->st->skipped_files++;
        return 0;
    default:
        break;
    }
    log_debug("skipping '%s': %s", e->path,
              e->kind == FS_WALK_SYMLINK || e->kind == FS_WALK_DANGLING ? "symbolic link (--follow-symlinks)"
                                                                        : "not a shard file");
    w->st->skipped_files++;
    return 0;
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

int discover_shards(const char *const *patterns, size_t n, int follow_symlinks, struct shard_list *out,
                       struct discover_stats *st)
{
    struct discover_stats dummy = { 0 };
    if (!st) st = &dummy;
    struct fs_seen seen = FS_SEEN_INIT;
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
                    struct walk w = { out, &seen, st, &found };
                    rc = fs_walk(p, follow_symlinks, MAX_DEPTH, NULL, on_entry, &w);
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
    fs_seen_release(&seen);
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
