/*
 * config.h - the INI-like config file of `semindex run` (docs/run.md).
 *
 *     # comment            ; comment too
 *     store = /var/lib/semindex/news
 *     [ingest]
 *     shards = /data/news/night-?.tar.zst
 *     shards = /data/extra/          (a key may repeat: values accumulate)
 *
 * A key inside [section] is named "section-key" (ingest-shards), exactly the
 * name of the command-line flag that sets it (--ingest-shards); keys before
 * any section have no prefix. Values are the rest of the line, trimmed;
 * surrounding double quotes are removed. In an unquoted value, " #" or " ;"
 * (after white space) starts a comment. The parser only splits the file; the
 * command validates names and values, so an unknown key is reported with the
 * file and line where it was written.
 *
 * Why not libinih (Debian's libinih-dev 55, measured from its ini.h and
 * inih.pc: built with the defaults): lines are cut at INI_MAX_LINE = 200
 * bytes (a long shard glob or path would be split into a second, garbled
 * line), INI_ALLOW_MULTILINE = 1 turns an indented "key = value" line into a
 * continuation of the previous value, only ";" starts an inline comment, and
 * the handler gets no line number (INI_HANDLER_LINENO = 0), so an unknown key
 * could not be reported where it was written. The format above needs none of
 * that and fits in the loop of config.c.
 */
#ifndef SEMINDEX_CONFIG_H
#define SEMINDEX_CONFIG_H

#include <stddef.h>

struct config_entry {
    char *key;    /* "section-key" */
    char *value;
    int line;
};

struct config {
    struct config_entry *e;
    size_t n, cap;
    char *path;
};

/* config_load: parse path into c (zeroed by the caller). ERR_FORMAT names
 * the file and line of a malformed line; ERR_NOTFOUND / ERR_IO otherwise. */
int config_load(struct config *c, const char *path);
void config_release(struct config *c);

#endif
