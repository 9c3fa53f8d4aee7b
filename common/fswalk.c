/*
 * fswalk.c - the recursive directory walk (fts(3)) and its (device, inode)
 * set (fswalk.h).
 *
 * The set is open addressing with linear probing, kept at most half full, so
 * a walk over n files costs O(n) expected set work (the two walkers it
 * replaced scanned a list: n^2/2 comparisons, 5e11 for a million files).
 */
#include "common/fswalk.h"

#include <errno.h>
#include <fts.h>
#include <stdint.h>
#include <string.h>

#include "common/err.h"
#include "common/log.h"
#include "common/mem.h"

/* ---- the (device, inode) set ------------------------------------------- */

static size_t devino_hash(dev_t dev, ino_t ino)
{
    uint64_t h = (uint64_t)ino * 0x9E3779B97F4A7C15ull ^ (uint64_t)dev * 0xC2B2AE3D27D4EB4Full;
    h ^= h >> 29;
    h *= 0xBF58476D1CE4E5B9ull;
    return (size_t)(h ^ h >> 32);
}

/* slot_find: the slot holding (dev, ino), or the empty slot where it goes */
static struct fs_devino *slot_find(struct fs_devino *slot, size_t cap, dev_t dev, ino_t ino)
{
    size_t i = devino_hash(dev, ino) & (cap - 1);
    while (slot[i].used && (slot[i].dev != dev || slot[i].ino != ino)) i = (i + 1) & (cap - 1);
    return &slot[i];
}

static int seen_grow(struct fs_seen *s)
{
    size_t cap = s->cap ? 2 * s->cap : 256;
    struct fs_devino *slot = mem_calloc(cap, sizeof *slot);
    if (!slot) return err_nomem();
    for (size_t i = 0; i < s->cap; i++)
        if (s->slot[i].used) *slot_find(slot, cap, s->slot[i].dev, s->slot[i].ino) = s->slot[i];
    mem_free(s->slot);
    s->slot = slot;
    s->cap = cap;
    return 0;
}

int fs_seen_add(struct fs_seen *s, const struct stat *sb)
{
    if (s->cap && slot_find(s->slot, s->cap, sb->st_dev, sb->st_ino)->used) return 1;
    if (2 * (s->n + 1) > s->cap) FORWARD_ERR(seen_grow(s));
    *slot_find(s->slot, s->cap, sb->st_dev, sb->st_ino) = (struct fs_devino){ sb->st_dev, sb->st_ino, 1 };
    s->n++;
    return 0;
}

void fs_seen_release(struct fs_seen *s)
{
    mem_free(s->slot);
    memset(s, 0, sizeof *s);
}

/* ---- the walk ------------------------------------------------------------ */

static int cmp_name(const FTSENT **a, const FTSENT **b)
{
    return strcmp((*a)->fts_name, (*b)->fts_name);
}

/* entry_kind: what e is for the caller into *kind: 1, or 0 for nothing to
 * report (a directory entered or left), or ERR_NOMEM. Warns about loops and
 * too deep directories, and skips them. */
static int entry_kind(FTS *f, FTSENT *e, int follow, int max_depth, struct fs_seen *seen,
                      enum fs_walk_kind *kind)
{
    int d;
    switch (e->fts_info) {
    case FTS_D:
        if (max_depth > 0 && e->fts_level > max_depth) {
            log_warn("not descending into '%s': deeper than %d levels", e->fts_path, max_depth);
            fts_set(f, e, FTS_SKIP);
            *kind = FS_WALK_DEEP;
            return 1;
        }
        return 0;
    case FTS_DP:
        return 0;
    case FTS_DC:
        log_warn("'%s': symbolic link loop back to '%s', not followed", e->fts_path, e->fts_cycle->fts_path);
        *kind = FS_WALK_LOOP;
        return 1;
    case FTS_DNR: case FTS_ERR: case FTS_NS:
        *kind = FS_WALK_ERROR;
        return 1;
    case FTS_F:
        d = seen ? fs_seen_add(seen, e->fts_statp) : 0;
        *kind = d ? FS_WALK_SAME : FS_WALK_FILE;
        return d < 0 ? d : 1;
    case FTS_SLNONE:
        *kind = follow ? FS_WALK_DANGLING : FS_WALK_SYMLINK;
        return 1;
    case FTS_SL:
        *kind = FS_WALK_SYMLINK;
        return 1;
    default:
        *kind = FS_WALK_OTHER;
        return 1;
    }
}

int fs_walk(const char *dir, int follow, int max_depth, struct fs_seen *seen, fs_walk_fn visit, void *ctx)
{
    char *const roots[] = { (char *)dir, NULL };
    FTS *f = fts_open(roots, (follow ? FTS_LOGICAL : FTS_PHYSICAL | FTS_COMFOLLOW) | FTS_NOCHDIR, cmp_name);
    if (!f) {
        struct fs_walk_entry e = { FS_WALK_ERROR, dir, ".", dir, NULL, errno ? errno : EIO };
        int rc = visit(ctx, &e);
        return rc < 0 ? rc : 0;
    }
    int rc = 0;
    size_t base = 0;
    FTSENT *e;
    while (rc >= 0 && (e = fts_read(f))) {
        struct fs_walk_entry w = { 0, e->fts_path, ".", e->fts_name, NULL, e->fts_errno ? e->fts_errno : EIO };
        if (e->fts_level == FTS_ROOTLEVEL) {
            /* the root: only whether it can be read */
            base = e->fts_pathlen;
            if (base && e->fts_path[base - 1] == '/') base--;
            if (e->fts_info == FTS_DNR || e->fts_info == FTS_ERR || e->fts_info == FTS_NS) {
                w.kind = FS_WALK_ERROR;
                rc = visit(ctx, &w);
            }
            continue;
        }
        if (e->fts_name[0] == '.') {
            /* hidden files and directories, in-progress uploads */
            if (e->fts_info == FTS_D) fts_set(f, e, FTS_SKIP);
            continue;
        }
        int k = entry_kind(f, e, follow, max_depth, seen, &w.kind);
        if (k < 0) {
            rc = k;
            break;
        }
        if (k == 0) continue;
        w.rel = e->fts_path + base + 1;
        if (w.kind == FS_WALK_FILE || w.kind == FS_WALK_SAME) w.sb = e->fts_statp;
        rc = visit(ctx, &w);
    }
    fts_close(f);
    return rc < 0 ? rc : 0;
}
