/*
 * discover.h - find the shards a nightly run should look at.
 *
 * Each pattern is a path, a glob (glob(3) with braces: "/data/night-*.tar.zst",
 * "/data/{news,web}/"), or a directory, walked recursively (fs_walk, common/fswalk.h):
 * symbolic links under it are not followed unless follow_symlinks (then a
 * loop is a warning, FTS_DC), and a file reached twice (same device and
 * inode) is listed once, so no tree repeats a file or hangs. Every regular file
 * whose name ends in a shard extension (shard_ext_known) becomes one shard;
 * hidden files and directories (".name") and other files are skipped and
 * counted. The result is sorted by path and each file appears once (two
 * patterns naming the same file through different paths are resolved with
 * realpath), so runs over the same tree are deterministic.
 *
 *     struct shard_list l = { 0 };
 *     struct discover_stats st = { 0 };
 *     if (discover_shards(patterns, n, follow_symlinks, &l, &st) < 0) die(err_msg());
 *     for (size_t i = 0; i < l.n; i++) ingest(l.path[i]);
 *     shard_list_release(&l);
 *
 * A pattern that matches nothing is not an error (a nightly drop may be
 * empty); it is counted in st.empty_patterns and named in a warning.
 */
#ifndef SEMINDEX_DISCOVER_H
#define SEMINDEX_DISCOVER_H

#include <stddef.h>

struct shard_list {
    char **path;   /* owned, absolute (realpath) */
    size_t n, cap;
};

struct discover_stats {
    size_t patterns;        /* patterns given */
    size_t empty_patterns;  /* patterns that matched no shard */
    size_t skipped_files;   /* files under directories with no shard extension */
    size_t unreadable;      /* directories or files that could not be read */
};

/* shard_ext_known: 1 if name ends in an extension a shard reader handles
 * (.tar .tar.gz .tgz .tar.zst .tzst .tar.xz .txz .tar.bz2 .zip .7z .zst .gz
 * .xz .bz2 .txt .md .jsonl .ndjson .tsv .csv). */
int shard_ext_known(const char *name);

/* discover_shards: expand patterns[0..n) into out (appended, then sorted and
 * deduplicated), following symbolic links under directories when
 * follow_symlinks. st may be NULL. Returns 0, ERR_NOMEM, ERR_IO for a glob
 * read error, or ERR_INVALID for a malformed glob. */
int discover_shards(const char *const *patterns, size_t n, int follow_symlinks, struct shard_list *out,
                    struct discover_stats *st);
void shard_list_release(struct shard_list *l);

#endif
