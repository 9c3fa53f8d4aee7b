/*
 * cmd_embed.c - `semindex embed`: texts in, sentence embeddings out, as
 * SentenceTransformer(model).encode(texts) would return them.
 *
 * Texts are read whole (lines or jsonl, see cli.h), encoded in chunks of
 * CHUNK texts (each chunk sorted by length and cut into token-budget
 * batches by the encoder) and written in input order. Output goes to a
 * temporary file renamed into place at the end, so a failed run leaves no
 * half-written file behind.
 */
#include <errno.h>
#include <math.h>
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
#include "ingest/encoder/encoder.h"
#include "pipeline/cli.h"
#include "pipeline/opts.h"

#define CHUNK 1024 /* texts per encoder call: also the progress step */

struct embed_options {
    struct cli_encoder enc;
    struct cli_input in;
    char *output;
    int format;          /* enum out_format */
    long batch_tokens;   /* 0: the encoder's */
    int normalize;
};

enum out_format { OUT_JSONL, OUT_F32, OUT_NPY };
static const char *const out_formats[] = { "jsonl", "f32", "npy", NULL };

#define O(f) offsetof(struct embed_options, f)
static const struct opt embed_opts[] = {
    OPT("output", 'o', OPT_STR, O(output), "FILE", "where to write (default: stdout)"),
    OPT("format", 0, OPT_ENUM, O(format), "jsonl|f32|npy", "jsonl: {\"embedding\":[...]} per line;\n"
      "f32: raw little-endian float32 rows;\nnpy: .npy [n, dim] float32",
        .def = "jsonl", .choices = out_formats),
    CLI_OPT_BATCH_TOKENS(O(batch_tokens)),
    OPT("normalize", 0, OPT_FLAG, O(normalize), NULL, "L2-normalize the embeddings (the model's\n"
      "Normalize module does it anyway if it has one)"),
};
static const struct opt_group embed_groups[] = {
    CLI_ENCODER_GROUP(O(enc)),
    CLI_INPUT_GROUP(O(in)),
    OPT_GROUP(embed_opts, 0, NULL),
};
#undef O
static const struct opts_cmd embed_cmd = {
    .name = "embed", .groups = embed_groups, .n_groups = 3,
    .intro = "Embed texts with a sentence-transformers model directory (or builtin:ngram).\n",
    .outro = "Rows are in input order. The number of inputs cut to the model's\n"
             "max_seq_length is reported on stderr. A row the model turns into NaN or Inf\n"
             "is named on stderr, written as {\"embedding\":null,...} in jsonl, and the exit\n"
             "status is 3.\n"
             CLI_OUTPUT_PATHS_HELP,
};

static int row_finite(const float *v, int dim)
{
    for (int i = 0; i < dim; i++)
        if (!isfinite(v[i])) return 0;
    return 1;
}

/* write_rows: rows first+0..n; a non-finite row (a broken model) is named in a
 * warning and counted in *bad; in jsonl it is {"embedding":null,...} (JSON
 * has no NaN), in f32/npy its values are kept so rows stay aligned. */
static int write_rows(FILE *f, enum out_format fmt, const float *v, size_t n, int dim, size_t first, size_t *bad)
{
    for (size_t r = 0; r < n; r++)
        if (!row_finite(v + r * dim, dim)) {
            log_warn("input %zu: the model gave a non-finite vector (NaN or Inf)%s", first + r + 1,
                     fmt == OUT_JSONL ? "; written as null" : "");
            (*bad)++;
        }
    if (fmt != OUT_JSONL) return fwrite(v, sizeof *v, n * (size_t)dim, f) == n * (size_t)dim ? 0 : -1;
    static const char nonfinite[] = "non-finite vector";
    struct buf line = BUF_INIT;
    int rc = 0;
    for (size_t r = 0; r < n && rc == 0; r++) {
        struct jsonl_row row;
        buf_reset(&line);
        jsonl_begin_compact(&row, &line);
        if (row_finite(v + r * dim, dim)) jsonl_floats(&row, "embedding", v + r * dim, (size_t)dim);
        else {
            jsonl_null(&row, "embedding");
            jsonl_strn(&row, "error", nonfinite, sizeof nonfinite - 1);
        }
        if ((rc = jsonl_end(&row)) == 0) fwrite(line.data, 1, line.len, f);
    }
    buf_release(&line);
    return rc < 0 || ferror(f) ? -1 : 0;
}

int cmd_embed(int argc, char **argv)
{
    struct embed_options o = { .in = CLI_INPUT_INIT };
    int first, rc = opts_parse(&embed_cmd, &o, argc, argv, &first);
    if (rc != OPTS_CONTINUE) return rc;
    struct enc_options eo = ENC_OPTIONS_INIT;
    eo.batch_tokens = (size_t)o.batch_tokens;
    eo.normalize = o.normalize;
    enum out_format ofmt = o.format;

    struct cli_texts t = { 0 };
    struct enc *e = NULL;
    struct fs_atomic out = { 0 };
    FILE *f = NULL;
    float *vec = NULL;
    struct enc_item_info *info = NULL;
    rc = EXIT_OK;
    if (cli_input_read(&o.in, &t) < 0 || cli_encoder_create(&o.enc, &eo, &e) < 0) {
        rc = cli_fail(NULL);
        goto out;
    }
    int dim = enc_dim(e);
    size_t chunk = t.n < CHUNK ? t.n : CHUNK;
    vec = mem_alloc_array(chunk ? chunk : 1, (size_t)dim * sizeof *vec);
    info = mem_alloc_array(chunk ? chunk : 1, sizeof *info);
    if (!vec || !info) {
        err_nomem();
        rc = cli_fail(NULL);
        goto out;
    }
    if (fs_atomic_open(&out, o.output) < 0) {
        rc = cli_fail(NULL);
        goto out;
    }
    f = out.f;
    if (ofmt == OUT_NPY && npy_write_header(f, t.n, dim) < 0) goto write_error;
    size_t truncated = 0, bad = 0;
    struct progress pg;
    progress_init(&pg, "embed", t.n);
    for (size_t i = 0; i < t.n; i += chunk) {
        size_t k = t.n - i < chunk ? t.n - i : chunk;
        if (enc_encode(e, (const char *const *)t.text + i, t.len + i, k, vec, info) < 0) {
            rc = cli_fail(NULL);
            goto out;
        }
        for (size_t j = 0; j < k; j++) truncated += info[j].truncated;
        if (write_rows(f, ofmt, vec, k, dim, i, &bad) < 0) goto write_error;
        progress_update(&pg, i + k, "texts");
    }
    progress_done(&pg);
    if (truncated)
        log_warn("%zu of %zu inputs were longer than max_seq_length %d tokens and were truncated", truncated, t.n,
                 enc_max_seq_length(e));
    f = NULL;
    if (fs_atomic_commit(&out) < 0) rc = cli_fail(NULL);
    else if (bad) rc = EXIT_PARTIAL;
    goto out;
write_error:
    err_set(ERR_IO, "cannot write '%s': %s", out.tmp ? out.tmp : out.path, strerror(errno));
    rc = cli_fail(NULL);
out:
    if (f) fs_atomic_abort(&out);
    mem_free(vec);
    mem_free(info);
    enc_free(e);
    cli_texts_release(&t);
    opts_release(&embed_cmd, &o);
    return rc;
}
