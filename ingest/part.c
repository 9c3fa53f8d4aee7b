/*
 * part.c - shard keys relative to a corpus root; deterministic size-balanced
 * parts of a shard list (part.h).
 */
#include "ingest/part.h"

#include <limits.h>
#include <stdio.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "common/err.h"
#include "common/log.h"
#include "common/mem.h"

/* abs_path: realpath, or for a path that does not exist (an unreadable shard
 * is reported later, by the reader) the real path of its directory plus its
 * name. Owned by the caller; NULL when neither resolves. */
static char *abs_path(const char *path)
{
    char *rp = realpath(path, NULL);
    if (rp) return rp;
    const char *slash = strrchr(path, '/');
    char *dir = slash ? strndup(path, (size_t)(slash - path) + (slash == path)) : strdup(".");
    char *d = dir ? realpath(dir, NULL) : NULL;
    free(dir);
    if (!d) return NULL;
    const char *name = slash ? slash + 1 : path;
    size_t n = strlen(d) + strlen(name) + 2;
    char *out = malloc(n);
    if (out) snprintf(out, n, "%s%s%s", d, strcmp(d, "/") ? "/" : "", name);
    free(d);
    return out;
}

static int parse_num(const char *s, long lo, long hi, long *out)
{
    char *end;
    if (!s || !*s) return -1;
    long v = strtol(s, &end, 10);
    if (*end || v < lo || v > hi) return -1;
    *out = v;
    return 0;
}

int part_parse(const char *s, struct part_spec *out)
{
    long i, n;
    if (!strcmp(s, "slurm")) {
        const char *id = getenv("SLURM_ARRAY_TASK_ID");
        RETURN_ERR_IF(!id, ERR_INVALID, "--part slurm: SLURM_ARRAY_TASK_ID is not set (not an array task?)");
        RETURN_ERR_IF(parse_num(id, 0, 1 << 30, &i) < 0, ERR_INVALID, "--part slurm: bad SLURM_ARRAY_TASK_ID '%s'", id);
        const char *cnt = getenv("SLURM_ARRAY_TASK_COUNT");
        const char *mn = getenv("SLURM_ARRAY_TASK_MIN"), *mx = getenv("SLURM_ARRAY_TASK_MAX");
        long lo = 0, hi;
        if (mn && mx && parse_num(mn, 0, 1 << 30, &lo) == 0 && parse_num(mx, 0, 1 << 30, &hi) == 0 && hi >= lo) {
            n = hi - lo + 1;
            i -= lo;
        } else if (cnt && parse_num(cnt, 1, 65536, &n) == 0) {
        } else {
            return err_set(ERR_INVALID, "--part slurm: neither SLURM_ARRAY_TASK_MIN/MAX nor SLURM_ARRAY_TASK_COUNT "
                                        "is set");
        }
        if (cnt && parse_num(cnt, 1, 65536, &hi) == 0 && hi != n)
            return err_set(ERR_INVALID, "--part slurm: the array has gaps (%ld tasks between %s and %s): use --array=0-%ld",
                           hi, mn ? mn : "?", mx ? mx : "?", hi - 1);
    } else if (!strncmp(s, "k8s:", 4)) {
        const char *id = getenv("JOB_COMPLETION_INDEX");
        RETURN_ERR_IF(parse_num(s + 4, 1, 65536, &n) < 0, ERR_INVALID, "--part '%s': want k8s:N with N >= 1", s);
        RETURN_ERR_IF(!id || parse_num(id, 0, 1 << 30, &i) < 0, ERR_INVALID,
                      "--part %s: JOB_COMPLETION_INDEX is not set (not an Indexed Job?)", s);
    } else {
        const char *slash = strchr(s, '/');
        char a[32];
        size_t la = slash ? (size_t)(slash - s) : 0;
        RETURN_ERR_IF(!slash || la == 0 || la >= sizeof a, ERR_INVALID, "--part '%s': want I/N, slurm or k8s:N", s);
        memcpy(a, s, la);
        a[la] = 0;
        RETURN_ERR_IF(parse_num(a, 0, 65535, &i) < 0 || parse_num(slash + 1, 1, 65536, &n) < 0, ERR_INVALID,
                      "--part '%s': want I/N with 0 <= I < N", s);
    }
    RETURN_ERR_IF(i < 0 || i >= n, ERR_INVALID, "--part: part %ld of %ld does not exist (0 <= I < N)", i, n);
    out->index = (int)i;
    out->count = (int)n;
    return 0;
}

int part_common_root(const char *const *paths, size_t n, char *out, size_t cap)
{
    size_t len = 0;
    RETURN_ERR_IF(n == 0, ERR_INVALID, "no shards: no corpus root");
    for (size_t i = 0; i < n; i++) {
        char *rp = abs_path(paths[i]);
        RETURN_ERR_IF(!rp, ERR_NOTFOUND, "shard '%s': its directory does not exist", paths[i]);
        struct stat sb;
        size_t l = strlen(rp);
        if (stat(rp, &sb) == 0 && !S_ISDIR(sb.st_mode)) {
            while (l > 1 && rp[l - 1] != '/') l--;   /* a file: its directory */
            if (l > 1) l--;
        }
        rp[l] = 0;
        if (i == 0) {
            if (l + 1 > cap) {
                free(rp);
                return err_set(ERR_INVALID, "path too long: '%s'", paths[i]);
            }
            memcpy(out, rp, l + 1);
            len = l;
        } else {
            size_t k = 0;
            while (k < len && k < l && out[k] == rp[k]) k++;
            if (k == len && (k == l || rp[k] == '/')) {
                /* out is an ancestor of (or equal to) this directory */
            } else if (k == l && out[k] == '/') {
                len = l;   /* this directory is an ancestor of out */
            } else {
                while (k > 0 && out[k] != '/') k--;   /* back to a whole component */
                len = k ? k : 1;                      /* "/" at worst */
            }
            out[len] = 0;
        }
        free(rp);
    }
    return 0;
}

int part_key(const char *path, const char *root, struct buf *out)
{
    buf_reset(out);
    char *rp = abs_path(path);
    const char *p = rp ? rp : path;
    size_t rl = strlen(root);
    while (rl > 1 && root[rl - 1] == '/') rl--;
    int rc;
    if (rl == 1 && root[0] == '/' && p[0] == '/' && p[1]) {
        rc = buf_puts(out, p + 1);
    } else if (strncmp(p, root, rl) == 0 && p[rl] == '/' && p[rl + 1]) {
        rc = buf_puts(out, p + rl + 1);
    } else if (strncmp(p, root, rl) == 0 && p[rl] == 0) {
        /* the root itself (a directory shard): its own name */
        const char *b = strrchr(p, '/');
        rc = buf_puts(out, b && b[1] ? b + 1 : p);
    } else {
        rc = err_set(ERR_INVALID, "shard '%s' is not under the corpus root '%.*s' (--root)", p, (int)rl, root);
        free(rp);
        return rc;
    }
    free(rp);
    return rc < 0 ? err_nomem() : 0;
}

struct ent {
    size_t i;
    char *key;
    uint64_t size;
};

static int by_size_then_key(const void *a, const void *b)
{
    const struct ent *x = a, *y = b;
    if (x->size != y->size) return x->size > y->size ? -1 : 1;
    return strcmp(x->key, y->key);
}

static const struct ent *g_ents;
static int idx_by_key(const void *a, const void *b)
{
    return strcmp(g_ents[*(const size_t *)a].key, g_ents[*(const size_t *)b].key);
}

int part_select(const char *const *paths, size_t n, const char *root, const struct part_spec *p, size_t **idx,
                size_t *k)
{
    *idx = NULL;
    *k = 0;
    struct ent *e = mem_calloc(n ? n : 1, sizeof *e);
    uint64_t *load = mem_calloc((size_t)p->count, sizeof *load);
    size_t *out = mem_calloc(n ? n : 1, sizeof *out);
    int rc = e && load && out ? 0 : err_nomem();
    struct buf kb = BUF_INIT;
    for (size_t i = 0; i < n && rc == 0; i++) {
        e[i].i = i;
        struct stat sb;
        e[i].size = stat(paths[i], &sb) == 0 ? (uint64_t)sb.st_size : 0;
        if ((rc = part_key(paths[i], root, &kb)) == 0 && !(e[i].key = mem_strdup(kb.data)))
            rc = err_nomem();
    }
    buf_release(&kb);
    if (rc == 0) {
        qsort(e, n, sizeof *e, by_size_then_key);
        size_t m = 0;
        for (size_t j = 0; j < n; j++) {
            int best = 0;
            for (int q = 1; q < p->count; q++)
                if (load[q] < load[best]) best = q;
            load[best] += e[j].size ? e[j].size : 1;
            if (best == p->index) out[m++] = j;
        }
        g_ents = e;
        qsort(out, m, sizeof *out, idx_by_key);
        g_ents = NULL;
        for (size_t j = 0; j < m; j++) out[j] = e[out[j]].i;
        *k = m;
        *idx = out;
        out = NULL;
    }
    if (e)
        for (size_t i = 0; i < n; i++) mem_free(e[i].key);
    mem_free(e);
    mem_free(load);
    mem_free(out);
    return rc;
}

int part_filter(struct shard_list *l, const struct part_spec *p, const char *root, char *root_out,
                size_t root_cap)
{
    const char *const *paths = (const char *const *)l->path;
    RETURN_ERR_IF(root_cap == 0, ERR_INVALID, "part_filter: no room for the root");
    root_out[0] = '\0';
    if (root) RETURN_ERR_IF((size_t)snprintf(root_out, root_cap, "%s", root) >= root_cap, ERR_INVALID,
                            "root '%s' is too long", root);
    else if (l->n) FORWARD_ERR(part_common_root(paths, l->n, root_out, root_cap));
    size_t *idx = NULL, k = 0;
    FORWARD_ERR(part_select(paths, l->n, root_out, p, &idx, &k));
    char **keep = mem_calloc(k ? k : 1, sizeof *keep);
    if (!keep) {
        mem_free(idx);
        return err_nomem();
    }
    for (size_t i = 0; i < k; i++) {
        keep[i] = l->path[idx[i]];
        l->path[idx[i]] = NULL;
    }
    for (size_t i = 0; i < l->n; i++) free(l->path[i]);
    free(l->path);
    log_info("part %d of %d: %zu of %zu shards (root '%s')", p->index, p->count, k, l->n, root_out);
    l->path = keep;
    l->n = l->cap = k;
    mem_free(idx);
    return 0;
}
