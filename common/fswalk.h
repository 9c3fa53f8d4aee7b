/*
 * fswalk.h - one recursive directory walk (fts(3)) for every caller that
 * turns a directory into files: shard discovery (ingest/discover.c) and
 * directory shards (ingest/source/source.c).
 *
 * What the walk guarantees, so that no tree can loop, repeat or hang:
 *   - names are visited in byte order within each directory;
 *   - hidden names (".name") below the root are skipped, directories with
 *     everything under them (in-progress uploads, .git);
 *   - symbolic links are not followed (FTS_PHYSICAL; the root itself is, as
 *     a path given by the user) unless follow, and then a link back up the
 *     tree is reported as a loop (a warning) and not entered;
 *   - a regular file reached twice (a hard link, two links, a second path)
 *     is reported as FS_WALK_SAME after the first time, by device and inode
 *     in a struct fs_seen the caller owns (and may share between walks);
 *   - max_depth > 0 stops descending below that level (a warning).
 * The walk reports; it decides nothing about extensions or error policy.
 *
 *     struct fs_seen seen = FS_SEEN_INIT;
 *     int rc = fs_walk(dir, follow, 0, &seen, on_entry, ctx);  // on_entry < 0 stops
 *     fs_seen_release(&seen);
 *
 * Not thread-safe on a shared fs_seen; separate walks are independent.
 */
#ifndef SEMINDEX_FSWALK_H
#define SEMINDEX_FSWALK_H

#include <stddef.h>
#include <sys/stat.h>

/* fs_seen: a set of (device, inode) pairs, open addressing, O(1) expected
 * per add. Zero-initialised is empty. */
struct fs_seen {
    struct fs_devino { dev_t dev; ino_t ino; int used; } *slot;
    size_t n, cap;   /* cap is 0 or a power of two; n <= cap / 2 */
};
#define FS_SEEN_INIT { NULL, 0, 0 }

/* fs_seen_add: 1 if sb's (device, inode) is in s, else adds it: 0, or
 * ERR_NOMEM (s unchanged). */
int fs_seen_add(struct fs_seen *s, const struct stat *sb);
void fs_seen_release(struct fs_seen *s);

enum fs_walk_kind {
    FS_WALK_FILE,     /* a regular file, first reached */
    FS_WALK_SAME,     /* a regular file reached before (same device and inode) */
    FS_WALK_SYMLINK,  /* a symbolic link, not followed */
    FS_WALK_DANGLING, /* following links: a link whose target does not exist */
    FS_WALK_OTHER,    /* FIFO, device, socket: never opened by the walk */
    FS_WALK_LOOP,     /* following links: a directory link back up the tree (warned) */
    FS_WALK_DEEP,     /* a directory below max_depth, not entered (warned) */
    FS_WALK_ERROR,    /* unreadable (the root itself: rel is "."); err is the errno */
};

struct fs_walk_entry {
    enum fs_walk_kind kind;
    const char *path;       /* dir + "/" + rel, as fts spells it */
    const char *rel;        /* relative to dir */
    const char *name;       /* last component */
    const struct stat *sb;  /* FS_WALK_FILE and FS_WALK_SAME, else NULL */
    int err;                /* FS_WALK_ERROR: errno (> 0) */
};

/* fs_walk_fn: called for every entry except directories themselves; a
 * negative return stops the walk and is returned by fs_walk. Entries are
 * borrowed for the call. */
typedef int (*fs_walk_fn)(void *ctx, const struct fs_walk_entry *e);

/* fs_walk: walk dir (see the top). seen may be NULL (no repetition check).
 * Returns 0, a negative value of visit, or ERR_NOMEM. A root that cannot be
 * opened or read is one FS_WALK_ERROR entry, not an error of fs_walk. */
int fs_walk(const char *dir, int follow, int max_depth, struct fs_seen *seen, fs_walk_fn visit, void *ctx);

#endif
