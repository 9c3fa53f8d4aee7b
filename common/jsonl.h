/*
 * jsonl.h - the one hand-written JSON piece: string literals for the
 * streaming JSONL outputs (export, query, mine), written straight into a
 * buf row by row. Everything else builds JSON with jansson (common/json.h);
 * docs/performance.md says why rows of millions do not go through it.
 *
 *     buf_puts(&row, "{\"text\":");
 *     jsonl_str(&row, text, len);
 *     buf_puts(&row, "}\n");
 */
#ifndef SEMINDEX_JSONL_H
#define SEMINDEX_JSONL_H

#include <stddef.h>

#include "buf.h"

/* jsonl_str: append s (n bytes, UTF-8) as a JSON string literal with quotes.
 * Invalid UTF-8 is replaced by U+FFFD so the output is always valid JSON;
 * controls and DEL are escaped, everything else is copied. 0 or ERR_NOMEM. */
int jsonl_str(struct buf *b, const char *s, size_t n);

#endif
