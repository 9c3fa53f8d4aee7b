/*
 * cmd_show.c - `semindex show`: a stored chunk with everything known about
 * where it comes from, or (--doc) a document and its chunks. The way back
 * from any id printed by query, mine or export to the source record.
 *
 * Text output, one block per id, blocks separated by an empty line:
 *
 *     chunk    1099511627791
 *     doc      1099511627778
 *     shard    /data/night/korsts-part1.tar.zst
 *     entry    part1/docs-00.jsonl
 *     record   3
 *     offset   759
 *     ext_id   korsts-test-MSRvid-2012test-0042
 *     span     165 203
 *     tokens   14
 *     text     한 남자가 기타를 치고 있다.
 *
 * (a text's \ TAB LF CR escaped as in TSV, so one field is one line). With
 * --doc, the document's lines (doc, shard, entry, record, offset, ext_id,
 * length, chunks) and then one line per chunk: "chunk ID START END TEXT".
 *
 * --json: one JSON object per id and line, written by jansson:
 *     {"id", "doc", "shard", "entry", "record", "offset", "ext_id", "start",
 *      "end", "n_tokens", "truncated", "text"} (the five from the document
 *      record null if it is missing)
 *     --doc: {"doc", "shard", "entry", "record", "offset", "ext_id", "length",
 *             "n_chunks", "chunks": [{"id", "start", "end", "n_tokens",
 *             "truncated", "text"}...]}
 *
 * An unknown id is an error naming it and the store (exit 1) after the
 * known ones are printed.
 */
#include <jansson.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/err.h"
#include "common/log.h"
#include "index/store/store.h"
#include "pipeline/cli.h"
#include "pipeline/opts.h"
#include "query/report.h"
#include "query/search.h"

struct show_options {
    char *store;
    int doc, json;
};

#define O(f) offsetof(struct show_options, f)
static const struct opt show_opts[] = {
    CLI_OPT_STORE(O(store)),
    OPT("doc", 0, OPT_FLAG, O(doc), NULL, "show documents: their source and all their chunks"),
    OPT("json", 0, OPT_FLAG, O(json), NULL, "one JSON object per id and line"),
};
#undef O
static const struct opt_group show_groups[] = { OPT_GROUP(show_opts, 0, NULL) };
static const struct opts_cmd show_cmd = {
    .name = "show", .groups = show_groups, .n_groups = 1, .args = "ID...",
    .args_help = "  ID                a chunk id (as printed by query, mine and export), or with --doc a doc id\n",
};

static const char *bd(const struct buf *b) { return b->data ? b->data : ""; }

static void put_field(const char *name, const struct buf *b)
{
    printf("%-8s ", name);
    report_tsv_field(stdout, bd(b), b->len);
    putchar('\n');
}

static int json_line(json_t *o)
{
    if (!o) return err_nomem();
    int rc = json_dumpf(o, stdout, JSON_PRESERVE_ORDER) < 0 ? err_set(ERR_IO, "cannot write the output") : 0;
    putchar('\n');
    json_decref(o);
    return rc;
}

static json_t *chunk_json(const struct store_chunk *c, const struct buf *text, const struct report_src *src,
                          int with_src)
{
    json_t *o = with_src ? report_src_json((int64_t)c->id, src) : json_object();
    if (!o) return NULL;
    if (!with_src) {
        json_object_set_new(o, "id", json_integer((json_int_t)c->id));
        json_object_set_new(o, "start", json_integer((json_int_t)c->start));
        json_object_set_new(o, "end", json_integer((json_int_t)c->end));
    }
    json_object_set_new(o, "n_tokens", json_integer(c->n_tokens));
    json_object_set_new(o, "truncated", json_boolean(c->truncated));
    json_object_set_new(o, "text", report_json_text(text->data, text->len));
    return o;
}

static int show_chunk(struct store_txn *t, uint64_t id, int json)
{
    struct report_src src = REPORT_SRC_INIT;
    struct store_chunk c;
    int rc = store_get_chunk(t, id, &c, NULL);
    if (rc == 0) rc = search_src(t, (int64_t)id, &src);
    if (rc < 0) goto out;
    if (json) {
        rc = json_line(chunk_json(&c, &src.text, &src, 1));
        goto out;
    }
    printf("%-8s %llu\n%-8s %llu\n", "chunk", (unsigned long long)id, "doc", (unsigned long long)c.doc);
    if (src.known) {
        put_field("shard", &src.shard);
        put_field("entry", &src.entry);
        printf("%-8s %llu\n%-8s %llu\n", "record", (unsigned long long)src.record, "offset",
               (unsigned long long)src.offset);
        put_field("ext_id", &src.ext_id);
    } else {
        printf("%-8s (no document record)\n", "source");
    }
    printf("%-8s %llu %llu\n%-8s %d%s\n", "span", (unsigned long long)c.start, (unsigned long long)c.end,
           "tokens", c.n_tokens, c.truncated ? " (truncated)" : "");
    put_field("text", &src.text);
out:
    report_src_release(&src);
    return rc;
}

static int show_doc(struct store_txn *t, uint64_t id, int json)
{
    struct store_doc d = STORE_DOC_INIT;
    struct store_iter *it = NULL;
    struct buf text = BUF_INIT;
    json_t *o = NULL, *chunks = NULL;
    int rc = store_get_doc(t, id, &d);
    if (rc < 0) goto out;
    if (json) {
        o = json_object();
        chunks = json_array();
        if (!o || !chunks) { rc = err_nomem(); goto out; }
        json_object_set_new(o, "doc", json_integer((json_int_t)id));
        json_object_set_new(o, "shard", report_json_text(d.shard.data, d.shard.len));
        json_object_set_new(o, "entry", report_json_text(d.entry.data, d.entry.len));
        json_object_set_new(o, "record", json_integer((json_int_t)d.record));
        json_object_set_new(o, "offset", json_integer((json_int_t)d.offset));
        json_object_set_new(o, "ext_id", report_json_text(d.ext_id.data, d.ext_id.len));
        json_object_set_new(o, "length", json_integer((json_int_t)d.length));
        json_object_set_new(o, "n_chunks", json_integer(d.n_chunks));
    } else {
        printf("%-8s %llu\n", "doc", (unsigned long long)id);
        put_field("shard", &d.shard);
        put_field("entry", &d.entry);
        printf("%-8s %llu\n%-8s %llu\n", "record", (unsigned long long)d.record, "offset",
               (unsigned long long)d.offset);
        put_field("ext_id", &d.ext_id);
        printf("%-8s %llu\n%-8s %u\n", "length", (unsigned long long)d.length, "chunks", d.n_chunks);
    }
    /* a shard's chunks are numbered in reading order, so the document's
     * chunks are consecutive among its shard's: scan from the shard's first */
    uint32_t seen = 0;
    struct store_chunk c;
    if ((rc = store_chunk_iter_open(t, store_make_id(store_shard_of(id), 0), &it)) < 0) goto out;
    while (seen < d.n_chunks && (rc = store_iter_next_chunk(it, &c, NULL)) == 1) {
        rc = 0;
        if (store_shard_of(c.id) != store_shard_of(id)) break;
        if (c.doc != id) {
            if (seen) break;
            continue;
        }
        seen++;
        if ((rc = store_get_chunk(t, c.id, &c, &text)) < 0) break;
        if (json) {
            json_t *cj = chunk_json(&c, &text, NULL, 0);
            if (!cj || json_array_append_new(chunks, cj) < 0) { rc = err_nomem(); break; }
        } else {
            printf("chunk %llu %llu %llu ", (unsigned long long)c.id, (unsigned long long)c.start,
                   (unsigned long long)c.end);
            report_tsv_field(stdout, bd(&text), text.len);
            putchar('\n');
        }
    }
    if (rc < 0) goto out;
    rc = 0;
    if (json) {
        json_object_set_new(o, "chunks", chunks);
        chunks = NULL;
        rc = json_line(o);
        o = NULL;
    }
out:
    store_iter_close(it);
    json_decref(o);
    json_decref(chunks);
    store_doc_release(&d);
    buf_release(&text);
    return rc;
}

/* show: print ids[0..n) of the store at dir; the exit status. */
static int show(const char *dir, int doc, int json, char **ids, int n)
{
    if (n == 0) return opts_error(&show_cmd, "give at least one %s id", doc ? "doc" : "chunk");
    for (int i = 0; i < n; i++) {
        char *end;
        strtoull(ids[i], &end, 10);
        if (end == ids[i] || *end || ids[i][0] == '-' || ids[i][0] == '+')
            return opts_error(&show_cmd, "bad id '%s' (a decimal %s id)", ids[i], doc ? "doc" : "chunk");
    }
    struct store *s = NULL;
    struct store_txn *t = NULL;
    if (store_open(dir, STORE_RDONLY, &s) < 0 || store_read_begin(s, &t) < 0) {
        int rc = cli_fail(NULL);
        store_close(s);
        return rc;
    }
    int rc = EXIT_OK;
    for (int i = 0; i < n; i++) {
        uint64_t id = strtoull(ids[i], NULL, 10);
        if (!json && i > 0) putchar('\n');
        int r = doc ? show_doc(t, id, json) : show_chunk(t, id, json);
        if (r == ERR_NOTFOUND) {
            fflush(stdout);
            log_error("no %s %llu in store '%s'", doc ? "doc" : "chunk", (unsigned long long)id, dir);
            rc = EXIT_FAIL;
        } else if (r < 0) {
            fflush(stdout);
            rc = cli_fail(ids[i]);
            break;
        }
    }
    if (fflush(stdout) != 0 && rc == EXIT_OK) {
        err_set(ERR_IO, "cannot write the output");
        rc = cli_fail(NULL);
    }
    store_read_end(t);
    store_close(s);
    return rc;
}

int cmd_show(int argc, char **argv)
{
    struct show_options o = { 0 };
    int first, rc = opts_parse(&show_cmd, &o, argc, argv, &first);
    if (rc != OPTS_CONTINUE) return rc;
    rc = show(o.store, o.doc, o.json, argv + first, argc - first);
    opts_release(&show_cmd, &o);
    return rc;
}
