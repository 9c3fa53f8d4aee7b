/*
 * json.h - thin helpers over jansson (no hand-written parser anywhere).
 *
 * Loaders read config files through json_load_path(), which bounds the size,
 * rejects trailing garbage and names file, line and column on a syntax error.
 * The typed getters set an err message naming the file and key when a key has
 * the wrong type, so callers can report "'config.json': key 'hidden_size'
 * must be an integer".
 */
#ifndef SEMINDEX_JSON_H
#define SEMINDEX_JSON_H

#include <jansson.h>
#include <stdint.h>

#include "common/buf.h"

/* json_load_path: parse a JSON file (at most max_bytes; 0 = 256 MiB). On
 * success *out is a new reference (json_decref it). ERR_NOTFOUND when the
 * file is absent, ERR_FORMAT on bad JSON, ERR_IO otherwise. */
int json_load_path(const char *path, size_t max_bytes, json_t **out);

/* json_get_int / _num / _bool / _str: read obj[key] into *out.
 * Absent key: returns 0 and leaves *out (the caller's default) untouched.
 * Wrong type: ERR_FORMAT naming `what` (usually the file name) and key.
 * _str gives a borrowed pointer valid while obj lives. */
int json_get_int(json_t *obj, const char *key, const char *what, int64_t *out);
int json_get_num(json_t *obj, const char *key, const char *what, double *out);
int json_get_bool(json_t *obj, const char *key, const char *what, int *out);
int json_get_str(json_t *obj, const char *key, const char *what, const char **out);

/* Writing. json_str: a new string value of s (n bytes); invalid UTF-8 is
 * replaced by U+FFFD (jansson refuses it), NULL only when out of memory.
 * json_dump_buf: append v's text to out. JSON_DUMP_FLAGS is the house style
 * ({"a": 1, "b": [2, 3]} on one line, insertion order, reals to 15 digits);
 * add JSON_INDENT(2) for a report a person reads. 0 or ERR_NOMEM. */
#define JSON_DUMP_FLAGS (JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(15))
json_t *json_str(const char *s, size_t n);
int json_dump_buf(const json_t *v, size_t flags, struct buf *out);

#endif
