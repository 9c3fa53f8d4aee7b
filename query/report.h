/*
 * report.h - writers for mined pairs and clusters: tsv, jsonl and one
 * self-contained html file.
 *
 * Output contract (scripts rely on it; fields may be added at the end):
 *   tsv    a header line "score\ta\tb\ttext_a\ttext_b", then one pair per
 *          line; the score with 6 decimals; in texts a backslash, TAB, LF
 *          and CR are written as \\, \t, \n and \r so a line is one pair;
 *   jsonl  one object per pair: {"score": s, "a": id, "b": id, "text_a":
 *          "...", "text_b": "..."}; invalid UTF-8 becomes U+FFFD;
 *   html   one file, no external resources (inline CSS, inline SVG): the
 *          summary numbers, a histogram of the pair scores, the top pairs
 *          side by side and the largest clusters; every text HTML-escaped.
 * Pairs are written in the order given (mine_* returns score descending,
 * a < b).
 *
 * Texts come from a callback so that the writers need no store:
 *
 *     static int text_of(void *ctx, int64_t id, struct buf *out) { ... }
 *     struct fs_atomic rf;                          // common/fsutil.h
 *     fs_atomic_open(&rf, "pairs.jsonl");            // or NULL: stdout
 *     report_write_jsonl(rf.f, pairs, n, text_of, ctx);
 *     fs_atomic_commit(&rf);                          // fsync + rename
 *
 * Errors: 0 or a negative err_code; a text callback's error stops the
 * writer and is returned; a write error is ERR_IO naming the file.
 */
#ifndef SEMINDEX_REPORT_H
#define SEMINDEX_REPORT_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "buf.h"
#include "query/mine.h"

/* report_text_fn: append the text of id to out (out is reset by the
 * caller). Return 0, ERR_NOTFOUND (written as an empty text) or an error. */
typedef int (*report_text_fn)(void *ctx, int64_t id, struct buf *out);

enum report_format { REPORT_TSV, REPORT_JSONL, REPORT_HTML };

/* report_format_of: by the file name's extension (.tsv, .jsonl, .html /
 * .htm); NULL, "-" or a stream without one of them (/dev/null, /dev/fd/N, a
 * FIFO: fs_is_stream) is tsv; ERR_INVALID otherwise. */
int report_format_of(const char *path, enum report_format *out);

int report_write_tsv(FILE *f, const struct mine_pair *p, size_t n, report_text_fn text, void *ctx);
int report_write_jsonl(FILE *f, const struct mine_pair *p, size_t n, report_text_fn text, void *ctx);

struct report_summary {
    const char *title;        /* e.g. the store path */
    const char *model;        /* model name or fingerprint */
    const char *mode;         /* "exact" or "ann" */
    size_t n_vectors;
    int top_k;
    size_t max_pairs;
    double threshold;
    double seconds;           /* mining time */
    size_t top_pairs_shown;   /* 0 = 200 */
    size_t clusters_shown;    /* 0 = 20 */
};

/* report_write_html: clusters may be NULL. */
int report_write_html(FILE *f, const struct report_summary *s, const struct mine_pair *p, size_t n,
                      const struct mine_clusters *clusters, report_text_fn text, void *ctx);

/* report_tsv_field: write s (n bytes) as one TSV field, with backslash,
 * tab, LF and CR escaped as \\ \t \n \r. */
int report_tsv_field(FILE *f, const char *s, size_t n);

/* report_html_escape: append s (n bytes) HTML-escaped (& < > " ') with
 * invalid UTF-8 replaced by U+FFFD. */
int report_html_escape(struct buf *out, const char *s, size_t n);

#endif
