/*
 * jsonl.h - the row writer of the streaming JSONL outputs (export, query,
 * mine, tokenize, embed; eval-sts --json's one line): one JSON object per
 * line, appended to a buf field by field. Everything else builds JSON with
 * jansson (common/json.h); docs/performance.md says why rows of millions do
 * not go through it (jansson measured 1.34x slower on export of 100k rows).
 *
 * No caller spells JSON syntax: keys are quoted, commas placed and values
 * encoded here. Errors are sticky: the first ERR_NOMEM is kept in the row
 * and returned by jsonl_end, so a row is written without checking each field.
 *
 *     struct jsonl_row r;
 *     jsonl_begin(&r, &out);                 ->  {
 *     jsonl_u64(&r, "id", 7);                ->  "id": 7
 *     jsonl_strn(&r, "text", s, n);          ->  , "text": "..."
 *     jsonl_null(&r, "shard");               ->  , "shard": null
 *     jsonl_ints(&r, "ids", v, 2);           ->  , "ids": [5, 6]
 *     if (jsonl_end(&r) < 0) ...             ->  }\n
 *
 * Two spacings: jsonl_begin writes the house style, ", " between fields and
 * items and ": " after keys (what jansson writes); jsonl_begin_compact writes
 * "," and ":" ({"ids":[5,6]}: tokenize and embed, the shape of the Python
 * tools they are compared with). Numbers are formatted with snprintf once.
 *
 * Output is always valid JSON: invalid UTF-8 in strings is replaced by
 * U+FFFD, controls and DEL are escaped, non-finite numbers become null.
 */
#ifndef SEMINDEX_JSONL_H
#define SEMINDEX_JSONL_H

#include <stddef.h>
#include <stdint.h>

#include "common/buf.h"

struct jsonl_row {
    struct buf *b;
    int n;        /* fields written */
    int compact;  /* "," and ":" instead of ", " and ": " */
    int rc;       /* first error, 0 if none */
};

/* jsonl_str: append s (n bytes, UTF-8) as a JSON string literal with quotes.
 * 0 or ERR_NOMEM. The one escaper; the row functions below use it. */
int jsonl_str(struct buf *b, const char *s, size_t n);

void jsonl_begin(struct jsonl_row *r, struct buf *b);
void jsonl_begin_compact(struct jsonl_row *r, struct buf *b);
void jsonl_strn(struct jsonl_row *r, const char *key, const char *s, size_t n); /* s NULL: null */
void jsonl_buf(struct jsonl_row *r, const char *key, const struct buf *s);      /* "" when empty */
void jsonl_u64(struct jsonl_row *r, const char *key, uint64_t v);
void jsonl_i64(struct jsonl_row *r, const char *key, int64_t v);
void jsonl_num(struct jsonl_row *r, const char *key, double v, int decimals); /* "%.*f" */
void jsonl_real(struct jsonl_row *r, const char *key, double v, int digits);  /* "%.*g" */
void jsonl_bool(struct jsonl_row *r, const char *key, int v);
void jsonl_null(struct jsonl_row *r, const char *key);
/* Arrays of n values, items separated like fields: */
void jsonl_floats(struct jsonl_row *r, const char *key, const float *v, size_t n); /* [%.9g, ...] */
void jsonl_ints(struct jsonl_row *r, const char *key, const int32_t *v, size_t n);
void jsonl_i64s(struct jsonl_row *r, const char *key, const int64_t *v, size_t n);
/* jsonl_int_pairs: n pairs from v[0 .. 2n) as [[v0, v1], [v2, v3], ...] */
void jsonl_int_pairs(struct jsonl_row *r, const char *key, const int32_t *v, size_t n);
/* jsonl_end: close the object and the line; the row's first error or 0. */
int jsonl_end(struct jsonl_row *r);

#endif
