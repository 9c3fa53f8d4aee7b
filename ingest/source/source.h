/*
 * source.h - shard readers: turn one shard (an archive, a compressed file, a
 * plain file or a directory) into documents, through libarchive.
 *
 * Shards, by name (case-insensitive):
 *   .tar .tar.gz .tgz .tar.zst .tzst .tar.xz .txz .tar.bz2 .zip .7z
 *                                    archives: every regular entry is read
 *   .gz .zst .xz .bz2               one compressed file; the entry is the name
 *                                    without that suffix ("a.jsonl.zst" -> "a.jsonl")
 *   a directory                      walked recursively (fs_walk) in byte order of names,
 *                                    hidden names skipped; each file is read as a shard
 *                                    of its own and its entries are "rel/path[/inner]";
 *                                    symbolic links are skipped unless follow_symlinks
 *                                    (a loop is then a warning), FIFOs and devices always,
 *                                    a file reached twice (same device+inode) is read once
 *   a FIFO, device or socket         rejected without blocking (O_NONBLOCK open + fstat)
 *                                    unless allow_streams
 *   anything else                    a plain file, one entry named like the file
 *
 * Records, by entry name:
 *   .txt .md          the whole entry is one document (record 0, offset 0)
 *   .jsonl .ndjson    one JSON object per line; the document text is the string
 *                     field text_field ("text"); id_field (optional) a string or
 *                     integer kept as the document's external id; blank lines skipped
 *   .tsv              tab-separated, first line a header, no quoting
 *   .csv              RFC 4180 (quotes, "" escapes, newlines inside quotes), header
 *                     line first; for both, the text is the column named `column`
 *                     ("text"), or the 1-based column number when it is a number
 *   other names       skipped and counted (n_skipped), named at debug level
 *
 * Error policy. Every problem is a message (log_warn) that names the shard,
 * the entry and the line or byte offset, and is counted; the reader goes on
 * with the next record, entry or (for a corrupt archive) stops the shard:
 *   rejected (n_rejected; with opt.strict the read stops with ERR_FORMAT):
 *     corrupt or truncated archives and compressed streams, unreadable files,
 *     binary entries (a NUL byte, or more than 30% of bytes in invalid UTF-8, in the first
 *     8 KiB), malformed JSON lines, a missing text field or column, a record
 *     longer than max_record bytes (default 32 MiB; it is skipped without
 *     being held in memory), an entry past max_entry decompressed bytes or a
 *     shard past max_shard (archive bombs: the rest is skipped)
 *   repaired and counted, not rejected: invalid UTF-8 (each maximal invalid
 *     subpart -> U+FFFD, n_replaced), NUL bytes after the first 8 KiB (-> U+FFFD,
 *     n_nul), empty entries and empty texts (n_empty)
 *
 *     struct src_options o = SRC_OPTIONS_INIT;
 *     struct src_stats st = { 0 };
 *     rc = src_read("corpus/night-01.tar.zst", &o, on_doc, ctx, &st);
 *
 * on_doc gets each document in reading order; its text is valid UTF-8 without
 * NUL, borrowed for the duration of the call. Returning < 0 from on_doc stops
 * the read and src_read returns that value. Threading: no shared state; one
 * src_read per thread.
 */
#ifndef SEMINDEX_SOURCE_H
#define SEMINDEX_SOURCE_H

#include <stddef.h>
#include <stdint.h>

#include "common/hash.h"

struct src_options {
    const char *text_field;   /* jsonl: "text" */
    const char *id_field;     /* jsonl: NULL = none */
    const char *column;       /* tsv/csv: "text", or a 1-based number */
    uint64_t max_entry;       /* decompressed bytes per entry; 0 = 4 GiB */
    uint64_t max_shard;       /* decompressed bytes per shard; 0 = 64 GiB */
    size_t max_record;        /* bytes per record (line or txt entry); 0 = 32 MiB */
    int strict;               /* the first rejected input stops the read with ERR_FORMAT */
    int allow_streams;        /* read a FIFO, device or socket given as a shard (else rejected) */
    int follow_symlinks;      /* directory shards: follow symbolic links (loops reported, skipped) */
    size_t big_record;        /* jsonl lines of at least this many bytes have their text decoded
                               * in place instead of copied by the JSON parser (0 = 1 MiB; tests
                               * and fuzzing lower it: both paths give the same results) */
    /* on_reject: NULL or called for every rejected input, shown or beyond the
     * warning cap: the shard, the entry (NULL = the shard itself), the record's
     * 1-based line (0 = not a record) and the message; from the reading thread */
    void (*on_reject)(void *ctx, const char *shard, const char *entry, uint64_t record, const char *reason);
    void *reject_ctx;
};
#define SRC_OPTIONS_INIT { "text", NULL, "text", 0, 0, 0, 0, 0, 0, 0, NULL, NULL }

struct src_doc {
    const char *entry;        /* entry path ("" never: a plain file is its base name) */
    uint64_t record;          /* 1-based line where the record starts; 0 = whole entry */
    uint64_t offset;          /* byte offset of the record in the (decompressed) entry */
    const char *text;
    size_t len;
    const char *ext_id;       /* NULL or the id field's value */
    size_t ext_id_len;
};

struct src_stats {
    uint64_t entries;         /* entries looked at */
    uint64_t docs;            /* documents handed to on_doc */
    uint64_t bytes;           /* decompressed bytes read */
    uint64_t n_rejected;      /* see the error policy */
    uint64_t n_skipped;       /* entries of no record format, non-regular entries */
    uint64_t n_binary;        /* of n_rejected: binary entries */
    uint64_t n_empty;         /* empty entries and empty texts */
    uint64_t n_replaced;      /* invalid UTF-8 subparts replaced */
    uint64_t n_nul;           /* NUL bytes replaced */
    uint64_t n_unread;        /* of n_rejected: a file, archive or entry that could not be
                                 read to its end (cannot open, corrupt, truncated, read error) */
    uint64_t n_formatted;     /* entries of a record format that were read */
};

typedef int (*src_doc_fn)(void *ctx, const struct src_doc *d);

/* src_read: read the shard at path, calling on_doc for each document. Returns
 * 0 when the shard was read (rejected parts counted in st), ERR_FORMAT with
 * strict on the first rejection, or on_doc's error. st is added to. */
int src_read(const char *path, const struct src_options *opt, src_doc_fn on_doc, void *ctx,
             struct src_stats *st);

/* src_read_mem: the same for a shard image in memory whose name (an archive,
 * compressed or record-format name) says how to read it; plain entries are
 * fed in blocks of `block` bytes (0 = 64 KiB). The fuzz entry point. */
int src_read_mem(const char *name, const void *data, size_t size, size_t block, const struct src_options *opt,
                 src_doc_fn on_doc, void *ctx, struct src_stats *st);

/* src_hash: the content hash of a shard: xxh3-128 of the file's bytes, or for
 * a directory of every (relative name, size, bytes) in walk order. *bytes gets
 * the size read. ERR_IO naming the path when it cannot be read. */
int src_hash(const char *path, struct hash128 *out, uint64_t *bytes);
/* src_hash_opt: the same with opt's allow_streams and follow_symlinks (opt may
 * be NULL). Not a regular file nor a directory: ERR_IO naming what it is, or
 * with allow_streams a hash that differs on every call (a stream is read
 * again every run). */
int src_hash_opt(const char *path, const struct src_options *opt, struct hash128 *out, uint64_t *bytes);

#endif
