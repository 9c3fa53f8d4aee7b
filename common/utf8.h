/*
 * utf8.h - strict UTF-8 decoding and the project's invalid-input policy.
 *
 * Policy (used by the tokenizer, ingest and every JSON writer): each maximal
 * invalid subsequence (as defined by Unicode 15, section 3.9, "U+FFFD
 * substitution of maximal subparts") is replaced by U+FFFD, and counted.
 * Overlong forms, surrogates (U+D800..DFFF) and values above U+10FFFF are
 * invalid. Python, and therefore HF tokenizers, never sees invalid UTF-8, so
 * this is the closest faithful behaviour: it equals Python's
 * bytes.decode('utf-8', errors='replace').
 */
#ifndef SEMINDEX_UTF8_H
#define SEMINDEX_UTF8_H

#include <stddef.h>
#include <stdint.h>

#include "common/buf.h"

/* utf8_decode: decode one code point from s (n > 0 bytes available). Returns
 * the bytes consumed (>= 1); *cp is the code point or -1 when the bytes at s
 * are a maximal invalid subpart of that length. Never reads past s+n. */
size_t utf8_decode(const char *s, size_t n, int32_t *cp);

/* utf8_encode: write cp (valid scalar value) to out[4]; returns 1..4. */
size_t utf8_encode(int32_t cp, char *out);

/* utf8_valid: 1 if all n bytes are valid UTF-8. */
int utf8_valid(const char *s, size_t n);

/* utf8_sanitize: append s to out with each invalid subpart replaced by
 * U+FFFD; returns the number of replacements (>= 0) or ERR_NOMEM. */
long utf8_sanitize(struct buf *out, const char *s, size_t n);

/* py_isspace: Python str.isspace() for a code point (the set sentence-
 * transformers' str.strip() removes). */
int py_isspace(int32_t cp);

/* py_strip: Python str.strip() on valid UTF-8: returns the start offset and
 * writes the stripped length to *len. */
size_t py_strip(const char *s, size_t n, size_t *len);

#endif
