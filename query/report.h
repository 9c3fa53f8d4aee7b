/*
 * report.h - writers for mined pairs, duplicate groups and clusters: tsv,
 * jsonl and one self-contained html file.
 *
 * Every chunk a report names carries its provenance (struct report_src):
 * the doc id, the shard key, the entry inside the archive, the record number,
 * the external id (--id-field) and the chunk's byte span [start, end) in its
 * document. Output contract (scripts rely on it; fields are only added at the
 * end; docs/formats.md):
 *   tsv    a header line, then one pair per line; columns
 *            score a b text_a text_b
 *            doc_a shard_a entry_a record_a ext_id_a start_a end_a
 *            doc_b shard_b entry_b record_b ext_id_b start_b end_b
 *          the score with 6 decimals; in text fields a backslash, TAB, LF and
 *          CR are written as \\, \t, \n and \r so a line is one pair; a
 *          chunk without its doc record has empty shard, entry, record and
 *          ext_id fields;
 *   jsonl  one object per pair: {"score", "a", "b", "text_a", "text_b",
 *          "doc_a", "shard_a", "entry_a", "record_a", "offset_a", "ext_id_a",
 *          "start_a", "end_a", the same eight with _b}; invalid UTF-8 becomes
 *          U+FFFD;
 *   dups   (report_write_dups_jsonl) one object per group of identical texts:
 *          {"group", "count", "text", "members": [{"id", "doc", "shard",
 *          "entry", "record", "offset", "ext_id", "start", "end"}...],
 *          "more"}, at most
 *          `cap` members listed, "more" the ones left out;
 *   clusters (report_write_clusters_jsonl) one object per cluster, in the
 *          order given: {"cluster": c, "size": members, "ids": [ids]};
 *   html   one file, no external resources (inline CSS, inline SVG): the
 *          summary numbers, a histogram of the pair scores, the top pairs
 *          side by side with their provenance, the duplicate groups and the
 *          largest clusters; every text HTML-escaped; <html lang> from the
 *          summary's lang, else "ko" when the shown texts are mostly Hangul,
 *          else "en"; Korean lines break between words (word-break: keep-all).
 * Pairs are written in the order given (mine_* returns score descending,
 * a < b).
 *
 * Texts and provenance come from a callback so that the writers need no store:
 *
 *     static int src_of(void *ctx, int64_t id, struct report_src *out) { ... }
 *     struct fs_atomic rf;                          // common/fsutil.h
 *     fs_atomic_open(&rf, "pairs.jsonl");            // or NULL: stdout
 *     report_write_jsonl(rf.f, pairs, n, src_of, ctx);
 *     fs_atomic_commit(&rf);                          // fsync + rename
 *
 * Errors: 0 or a negative err_code; a callback's error stops the writer and
 * is returned; a write error is ERR_IO naming the file.
 */
#ifndef SEMINDEX_REPORT_H
#define SEMINDEX_REPORT_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "common/buf.h"
#include "query/mine.h"

/* report_src: what a report says about one chunk. The writers reset it
 * (report_src_reset) before each callback; the callback appends the text and,
 * when it knows them, sets known = 1 and fills the provenance. */
struct report_src {
    struct buf text;
    int known;                /* 0: the doc record's fields unknown (written empty / null) */
    int missing;              /* the chunk itself is unknown (the callback's ERR_NOTFOUND):
                                 doc, start and end too */
    uint64_t doc, record, offset, start, end;
    struct buf shard, entry, ext_id;
};
#define REPORT_SRC_INIT { BUF_INIT, 0, 0, 0, 0, 0, 0, 0, BUF_INIT, BUF_INIT, BUF_INIT }
void report_src_reset(struct report_src *s);
void report_src_release(struct report_src *s);

/* report_src_fn: describe chunk id into out (already reset). Return 0,
 * ERR_NOTFOUND (written as an empty text without provenance) or an error. */
typedef int (*report_src_fn)(void *ctx, int64_t id, struct report_src *out);

enum report_format { REPORT_TSV, REPORT_JSONL, REPORT_HTML };

/* report_format_of: by the file name's extension (.tsv, .jsonl, .html /
 * .htm); NULL, "-" or a stream without one of them (/dev/null, /dev/fd/N, a
 * FIFO: fs_is_stream) is tsv; ERR_INVALID otherwise. */
int report_format_of(const char *path, enum report_format *out);

int report_write_tsv(FILE *f, const struct mine_pair *p, size_t n, report_src_fn src, void *ctx);
int report_write_jsonl(FILE *f, const struct mine_pair *p, size_t n, report_src_fn src, void *ctx);

/* Duplicate groups have the layout of clusters (query/mine.h): group g's
 * chunk ids are member[start[g] .. start[g + 1]), the first one the group's
 * representative. report_write_dups_jsonl lists at most cap members per group
 * (0 = all). */
int report_write_dups_jsonl(FILE *f, const struct mine_clusters *dups, size_t cap, report_src_fn src,
                            void *ctx);
int report_write_clusters_jsonl(FILE *f, const struct mine_clusters *cl);

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
    const char *lang;         /* <html lang>; NULL = guessed from the texts shown */
    size_t identical_dropped; /* pairs whose two texts were identical, left out */
    size_t repeated_dropped;  /* pairs repeating the texts of a better pair, left out */
    int identical_included;   /* --include-identical: pairs as mined, no groups */
    size_t dups_shown;        /* duplicate groups shown; 0 = 50 */
    const char *dups_file;    /* the file with all the groups (named in the html), or NULL */
};

/* report_write_html: clusters and dups may be NULL (no such section). */
int report_write_html(FILE *f, const struct report_summary *s, const struct mine_pair *p, size_t n,
                      const struct mine_clusters *clusters, const struct mine_clusters *dups,
                      report_src_fn src, void *ctx);

/* report_lang_count / _pick: "ko" when most letters are Hangul, else "en". The
 * counts accumulate over calls (pass zeroed counters, then read
 * report_lang_pick). */
void report_lang_count(const char *s, size_t n, size_t *hangul, size_t *letters);
const char *report_lang_pick(size_t hangul, size_t letters);

/* The provenance of a chunk, written by the three functions below from one
 * field list, in this order in every output (query, mine, export, show,
 * the duplicate groups):
 *     doc shard entry record offset ext_id start end
 * doc, start and end come from the chunk record and are written unless the
 * chunk is unknown (missing); shard, entry, record, offset and ext_id from
 * the doc record, empty (TSV) or null (JSON) when it is missing (known == 0). TSV columns are
 * positional and fixed by the contracts above, so TSV has no offset.
 * report_tsv_prov: the TSV columns of s, TAB-separated, no TAB before or
 * after: [doc] shard entry record ext_id start end (doc when with_doc).
 * report_json_prov: the members written to a row (common/jsonl.h), each
 * name followed by suffix ("doc_a": 7, "shard_a": ...), doc when with_doc
 * (query and export write it earlier, beside the id); errors stay in the
 * row (jsonl_end).
 * report_src_json: a new jansson object {"id", then the members}; NULL on
 * ERR_NOMEM. */
int report_tsv_prov(FILE *f, const struct report_src *s, int with_doc);
struct jsonl_row;
void report_json_prov(struct jsonl_row *r, const struct report_src *s, const char *suffix, int with_doc);
struct json_t;
struct json_t *report_src_json(int64_t id, const struct report_src *s);
/* report_json_text: a new jansson string of s (n bytes), invalid UTF-8
 * replaced by U+FFFD (jansson refuses it). */
struct json_t *report_json_text(const char *s, size_t n);

/* report_tsv_field: write s (n bytes) as one TSV field, with backslash,
 * tab, LF and CR escaped as \\ \t \n \r. */
int report_tsv_field(FILE *f, const char *s, size_t n);

/* report_html_escape: append s (n bytes) HTML-escaped (& < > " ') with
 * invalid UTF-8 replaced by U+FFFD. */
int report_html_escape(struct buf *out, const char *s, size_t n);

#endif
