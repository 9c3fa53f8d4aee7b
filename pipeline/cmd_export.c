/*
 * cmd_export.c - `semindex export`: the store's vectors and texts, to take
 * to numpy, FAISS or anything else.
 *
 *   jsonl  one object per chunk in chunk-id order:
 *          {"id", "doc", "text", "n_tokens", "truncated", "vector": [floats
 *           as stored], "shard", "entry", "record", "offset", "ext_id",
 *           "start", "end"}
 *   npy    FILE.npy: NumPy format 1.0, '<f4', shape (n, dim), rows in chunk-id
 *          order; beside it FILE.jsonl with {"row", "id", "doc", "text",
 *          "shard", "entry", "record", "offset", "ext_id", "start", "end"}
 *          per row.
 *          Both go through fs_atomic (common/fsutil.h): files are written to
 *          temporary names and renamed at the end; to a stream (/dev/null, a
 *          FIFO, /dev/stdout) only the .npy bytes are written.
 * Rows are written by common/jsonl.h's row writer. The provenance fields are
 * query/report.h's (report_json_prov): the five of the document record are
 * null for a chunk whose document record is missing.
 *
 * Everything comes from one read snapshot, so an ingest running meanwhile
 * neither blocks the export nor tears it.
 */
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/err.h"
#include "common/fsutil.h"
#include "common/jsonl.h"
#include "common/log.h"
#include "common/mem.h"
#include "common/npy.h"
#include "index/store/store.h"
#include "pipeline/cli.h"
#include "pipeline/opts.h"
#include "query/report.h"
#include "query/search.h"

struct export_options {
    char *store, *output;
    int format; /* enum export_format */
};

enum export_format { EXPORT_JSONL, EXPORT_NPY };
static const char *const export_formats[] = { "jsonl", "npy", NULL };

#define O(f) offsetof(struct export_options, f)
static const struct opt export_opts[] = {
    CLI_OPT_STORE(O(store)),
    OPT("format", 0, OPT_ENUM, O(format), "jsonl|npy", "jsonl: one object per chunk: id, doc, text,\n"
      "vector and source (shard, entry, record,\n"
      "ext_id, byte span); npy: the vectors as a\n"
      "NumPy .npy file and a sibling .jsonl of ids,\n"
      "texts and sources (none when FILE is a\n"
      "stream such as a FIFO or /dev/null)", .def = "jsonl", .choices = export_formats),
    OPT("output", 'o', OPT_STR, O(output), "FILE", "where to write (jsonl: default stdout;\n"
      "npy: required, e.g. vectors.npy)"),
};
#undef O
static const struct opt_group export_groups[] = { OPT_GROUP(export_opts, 0, NULL) };
static const struct opts_cmd export_cmd = {
    .name = "export", .groups = export_groups, .n_groups = 1,
    .outro = CLI_OUTPUT_PATHS_HELP + 1, /* its first line is blank, as the outro's is */
};

static int write_buf(FILE *f, struct buf *b)
{
    if (b->len && fwrite(b->data, 1, b->len, f) != b->len) return err_set(ERR_IO, "write failed: %s", strerror(errno));
    buf_reset(b);
    return 0;
}

/* doc_prov: the provenance of chunk c into src (its doc record is read
 * once for consecutive chunks of one document) */
static int doc_prov(struct store_txn *t, const struct store_chunk *c, struct report_src *src, uint64_t *cached)
{
    src->doc = c->doc;
    src->start = c->start;
    src->end = c->end;
    if (*cached == c->doc + 1) return 0;
    *cached = c->doc + 1;
    return search_src_doc(t, c->doc, src);
}

static int export_jsonl(struct store_txn *t, int dim, FILE *f)
{
    struct store_iter *it;
    FORWARD_ERR(store_chunk_iter_open(t, 0, &it));
    struct store_chunk c;
    struct buf text = BUF_INIT, out = BUF_INIT;
    struct report_src src = REPORT_SRC_INIT;
    uint64_t cached = 0;
    float *v = mem_alloc_array((size_t)(dim > 0 ? dim : 1), sizeof *v);
    int rc = v ? 0 : err_nomem();
    while (rc == 0 && (rc = store_iter_next_chunk(it, &c, &text)) == 1) {
        if ((rc = doc_prov(t, &c, &src, &cached)) < 0) break;
        struct jsonl_row r;
        jsonl_begin(&r, &out);
        jsonl_u64(&r, "id", c.id);
        jsonl_u64(&r, "doc", c.doc);
        jsonl_buf(&r, "text", &text);
        jsonl_i64(&r, "n_tokens", c.n_tokens);
        jsonl_bool(&r, "truncated", c.truncated);
        int vr = dim > 0 ? store_get_vector(t, c.id, v) : ERR_NOTFOUND;
        if (vr == 0) jsonl_floats(&r, "vector", v, (size_t)dim);
        else if (vr == ERR_NOTFOUND) jsonl_null(&r, "vector");
        else rc = vr;
        report_json_prov(&r, &src, "", 0);
        if (jsonl_end(&r) < 0 && rc == 0) rc = r.rc;
        if (out.len > (1 << 20) && rc == 0) rc = write_buf(f, &out);
    }
    if (rc == 0) rc = write_buf(f, &out);
    store_iter_close(it);
    buf_release(&text);
    buf_release(&out);
    report_src_release(&src);
    mem_free(v);
    return rc;
}

static int export_npy(struct store_txn *t, const struct store_info *in, FILE *fv, FILE *fj)
{
    FORWARD_ERR(npy_write_header(fv, in->n_vectors, in->dim));
    struct store_iter *it;
    FORWARD_ERR(store_iter_open(t, 0, &it));
    float *v = mem_alloc_array((size_t)in->dim, sizeof *v);
    struct buf text = BUF_INIT, out = BUF_INIT;
    struct report_src src = REPORT_SRC_INIT;
    uint64_t id, row = 0, cached = 0;
    int rc = v ? 0 : err_nomem();
    while (rc == 0 && (rc = store_iter_next(it, &id, v)) == 1) {
        rc = 0;
        if (fwrite(v, sizeof *v, (size_t)in->dim, fv) != (size_t)in->dim) {
            rc = err_set(ERR_IO, "write failed: %s", strerror(errno));
            break;
        }
        row++;
        if (!fj) continue; /* npy to a stream: no ids file beside it */
        struct store_chunk c;
        if ((rc = store_get_chunk(t, id, &c, &text)) < 0) break;
        if ((rc = doc_prov(t, &c, &src, &cached)) < 0) break;
        struct jsonl_row r;
        jsonl_begin(&r, &out);
        jsonl_u64(&r, "row", row - 1);
        jsonl_u64(&r, "id", id);
        jsonl_u64(&r, "doc", c.doc);
        jsonl_buf(&r, "text", &text);
        report_json_prov(&r, &src, "", 0);
        if ((rc = jsonl_end(&r)) < 0) break;
        if (out.len > (1 << 20)) rc = write_buf(fj, &out);
    }
    if (rc == 0 && fj) rc = write_buf(fj, &out);
    if (rc == 0 && row != in->n_vectors)
        rc = err_set(ERR_STORE, "store changed its vector count during export (%llu != %llu)",
                     (unsigned long long)row, (unsigned long long)in->n_vectors);
    store_iter_close(it);
    mem_free(v);
    buf_release(&text);
    buf_release(&out);
    report_src_release(&src);
    return rc;
}

/* export: the store at dir in format to output; the exit status. */
static int export(const char *dir, enum export_format format, const char *output)
{
    int npy = format == EXPORT_NPY;
    if (npy && (!output || !strcmp(output, "-"))) return opts_error(&export_cmd, "--format npy needs --output FILE");

    struct store *s;
    if (store_open(dir, STORE_RDONLY, &s) < 0) return cli_fail(NULL);
    struct store_txn *t = NULL;
    struct store_info in;
    int rc = store_read_begin(s, &t);
    if (rc == 0) rc = store_txn_info(t, &in);
    struct buf jpath = BUF_INIT;
    struct fs_atomic fv = { 0 }, fj = { 0 };
    if (rc < 0) goto out;
    if (npy) {
        if (in.dim <= 0) { rc = err_set(ERR_INVALID, "store '%s' has no vectors yet", dir); goto out; }
        /* the ids file goes beside a real file; a stream (/dev/null, a FIFO)
         * has no "beside" */
        int sidecar = !fs_is_stream(output);
        size_t n = strlen(output);
        size_t stem = n > 4 && !strcmp(output + n - 4, ".npy") ? n - 4 : n;
        buf_append(&jpath, output, stem);
        buf_puts(&jpath, ".jsonl");
        if ((rc = fs_atomic_open(&fv, output)) < 0) goto out;
        if (sidecar && (rc = fs_atomic_open(&fj, jpath.data)) < 0) goto out;
        rc = export_npy(t, &in, fv.f, sidecar ? fj.f : NULL);
        if (rc == 0) rc = fs_atomic_commit(&fv);
        if (rc == 0 && sidecar) rc = fs_atomic_commit(&fj);
        if (rc == 0 && sidecar)
            log_info("export: %llu vectors of dim %d to '%s', ids and texts to '%s'",
                     (unsigned long long)in.n_vectors, in.dim, output, jpath.data);
        else if (rc == 0)
            log_info("export: %llu vectors of dim %d to '%s' (a stream: no ids file)",
                     (unsigned long long)in.n_vectors, in.dim, output);
    } else {
        if ((rc = fs_atomic_open(&fv, output)) < 0) goto out;
        rc = export_jsonl(t, in.dim, fv.f);
        if (rc == 0) rc = fs_atomic_commit(&fv);
    }
out:
    if (fv.f) fs_atomic_abort(&fv);
    if (fj.f) fs_atomic_abort(&fj);
    buf_release(&jpath);
    store_read_end(t);
    store_close(s);
    return rc < 0 ? cli_fail(NULL) : EXIT_OK;
}

int cmd_export(int argc, char **argv)
{
    struct export_options o = { 0 };
    int first, rc = opts_parse(&export_cmd, &o, argc, argv, &first);
    if (rc != OPTS_CONTINUE) return rc;
    rc = export(o.store, o.format, o.output);
    opts_release(&export_cmd, &o);
    return rc;
}
