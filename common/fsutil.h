/*
 * fsutil.h - files: read whole, map read-only, write atomically, lock.
 *
 * Atomic replace follows git's lockfile.h: write "<path>.tmp", fsync it,
 * rename over <path>, fsync the directory. A reader sees the old file or the
 * new one, never a torn one, even after kill -9 or power loss.
 *
 * Locks are flock(2) locks on a lock file that is created once and never
 * unlinked: the kernel releases a lock when its holder exits or is killed, so
 * there is no stale lock to take over and no pid to be reused. The holder
 * writes its pid into the file only so that a refused process can name it.
 * All functions return 0 or a negative err_code with a message naming the
 * path.
 */
#ifndef SEMINDEX_FSUTIL_H
#define SEMINDEX_FSUTIL_H

#include <stddef.h>
#include <stdio.h>

#include "common/buf.h"

/* fs_read_file: read all of path into out (appended; NUL-terminated). max
 * bounds the size (0 = no bound): a larger file is ERR_FORMAT. */
int fs_read_file(const char *path, struct buf *out, size_t max);

struct fs_map {
    void *data;   /* read-only mapping, NULL for an empty file */
    size_t size;
};
/* fs_map_open: map path read-only. fs_map_close accepts a zeroed struct. */
int fs_map_open(struct fs_map *m, const char *path);
void fs_map_close(struct fs_map *m);

/* fs_atomic: every output file semindex writes (reports, exports, vectors,
 * run JSON, the FAISS index) goes through this one writer, and what it does
 * depends on what the path is (issue 18):
 *
 *   absent or a regular file  "<path>.tmp" is created (O_EXCL|O_NOFOLLOW; a
 *                             leftover .tmp is removed first, never followed),
 *                             written, fsynced and renamed over path, and the
 *                             directory fsynced: readers see the old file or
 *                             the whole new one. The new file keeps the old
 *                             one's mode (and owner, when run as root).
 *   a symlink                 resolved (to its final target, which may not
 *                             exist yet); the target is replaced atomically in
 *                             its own directory and the link is kept.
 *   NULL, "-", /dev/stdout,   that descriptor, written straight through.
 *   /dev/stderr, /dev/fd/N
 *   a character device, a     opened and written straight through: no temp,
 *   FIFO or a socket          no rename (/dev/null stays /dev/null).
 *   a directory, a block      ERR_INVALID naming the path, nothing written.
 *   device
 *
 * In the streaming cases tmp is NULL and stream is 1; abort cannot take back
 * what was already written there. path is the resolved target.
 *
 *     struct fs_atomic a;
 *     if (fs_atomic_open(&a, "index.faiss") < 0) return ...;
 *     write(a.f) ... ? fs_atomic_commit(&a) : fs_atomic_abort(&a);
 */
struct fs_atomic {
    FILE *f;
    char *path, *tmp;
    int stream;
};
int fs_atomic_open(struct fs_atomic *a, const char *path);
int fs_atomic_commit(struct fs_atomic *a);
void fs_atomic_abort(struct fs_atomic *a);

/* fs_is_stream: 1 if an output to path is written straight through (see
 * fs_atomic: "-", /dev/stdout, /dev/fd/N, a character device, FIFO, socket,
 * or a symlink to one), so there is no file beside it to rename or pair. */
int fs_is_stream(const char *path);

/* fs_check_output: 0 if an output can be written to path later (before the
 * work that produces it): NULL, "-" and streams are fine; otherwise the
 * directory that holds path must exist and be writable and path must not be
 * a directory. ERR_NOTFOUND / ERR_IO naming path and the directory. */
int fs_check_output(const char *path);

/* fs_write_atomic: replace path with data[0..n) atomically (fs_atomic). */
int fs_write_atomic(const char *path, const void *data, size_t n);

/* fs_fsync_dir: fsync the directory that holds path. */
int fs_fsync_dir(const char *path);

/* fs_mkdir_p: create dir and its parents (mode 0755); existing is fine. */
int fs_mkdir_p(const char *dir);

/* fs_remove_tree: remove dir and everything under it, depth first, symbolic
 * links removed and never followed (a store directory, a test's scratch
 * tree). A missing dir is fine. ERR_IO naming the first path that could not
 * be removed (the rest is left). */
int fs_remove_tree(const char *dir);

/* fs_exists: 1 if path exists, 0 otherwise. fs_is_dir: 1 if a directory. */
int fs_exists(const char *path);
int fs_is_dir(const char *path);

/* fs_join: "dir/name" into out (reset first). */
int fs_join(struct buf *out, const char *dir, const char *name);

struct fs_lock {
    int fd;
    char *path;
};
/* fs_lock_acquire: open (create) path and take an exclusive flock on it
 * without waiting; ERR_BUSY naming the holder's pid when another process (or
 * another open file description) holds it. The file's content is ignored
 * ("echo 1 > lock" blocks nothing). A second acquire of the same file in the
 * same process succeeds and shares the lock (counted): nested holders, such
 * as `run` and the ingest it calls. fs_lock_release drops one count; the last
 * closes the file, which releases the lock. The file is never unlinked. */
int fs_lock_acquire(struct fs_lock *l, const char *path);
void fs_lock_release(struct fs_lock *l);

#endif
