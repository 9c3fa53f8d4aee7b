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
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "err.h"
#include "fsutil.h"
#include "ingest/encoder/encoder.h"
#include "jsonl.h"
#include "log.h"
#include "mem.h"
#include "npy.h"

#define CHUNK 1024 /* texts per encoder call: also the progress step */

static const char usage[] =
    "usage: semindex embed --model DIR [--input FILE] [--input-format lines|jsonl] [--field NAME]\n"
    "                      [--output FILE] [--format jsonl|f32|npy] [--batch-tokens N]\n"
    "                      [--threads N] [--normalize] [--precision f32|bf16|int8]\n"
    "\n"
    "Embed texts with a sentence-transformers model directory (or builtin:ngram).\n"
    "\n"
    "  -m, --model DIR      model directory as saved by sentence-transformers\n"
    "  -i, --input FILE     texts to embed (default: stdin)\n"
    "  --input-format F     lines (one text per line, default) or jsonl\n"
    "  --field NAME         jsonl field holding the text (default: text)\n"
    "  -o, --output FILE    where to write (default: stdout)\n"
    "  --format F           jsonl: {\"embedding\":[...]} per line (default);\n"
    "                       f32: raw little-endian float32 rows, no header;\n"
    "                       npy: a NumPy .npy file [n, dim] float32\n"
    "  --batch-tokens N     tokens per forward batch (default 8192)\n"
    "  -t, --threads N      threads (default: all cores)\n"
    "  --normalize          L2-normalize the embeddings (the model's Normalize\n"
    "                       module does this anyway when it has one)\n"
    "  --precision P        f32 (exact, default), bf16 or int8: the transformer's\n"
    "                       Linear layers at lower precision (faster; see\n"
    "                       docs/encoder.md for what each costs in accuracy)\n"
    "\n"
    "Rows are in input order. The number of inputs cut to the model's\n"
    "max_seq_length is reported on stderr. A row the model turns into NaN or Inf\n"
    "is named on stderr, written as {\"embedding\":null,...} in jsonl, and the exit\n"
    "status is 3.\n"
    CLI_OUTPUT_PATHS_HELP;

enum out_format { OUT_JSONL, OUT_F32, OUT_NPY };

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
    static const struct option opts[] = {
        { "model", required_argument, 0, 'm' },        { "input", required_argument, 0, 'i' },
        { "input-format", required_argument, 0, 'I' }, { "field", required_argument, 0, 'F' },
        { "output", required_argument, 0, 'o' },       { "format", required_argument, 0, 'f' },
        { "batch-tokens", required_argument, 0, 'b' }, { "threads", required_argument, 0, 't' },
        { "normalize", no_argument, 0, 'n' },          { "help", no_argument, 0, 'h' },
        { "precision", required_argument, 0, 'P' },
        { 0, 0, 0, 0 },
    };
    const char *model = NULL, *input = NULL, *output = NULL, *field = "text";
    enum cli_input_format ifmt = CLI_IN_LINES;
    enum out_format ofmt = OUT_JSONL;
    struct enc_options eo = ENC_OPTIONS_INIT;
    long v;
    int c;
    optind = 1;
    opterr = 0;
    while ((c = getopt_long(argc, argv, ":m:i:o:t:hqv", opts, NULL)) != -1) {
        switch (c) {
        case 'h': fputs(usage, stdout); return EXIT_OK;
        case 'm': model = optarg; break;
        case 'i': input = optarg; break;
        case 'F': field = optarg; break;
        case 'o': output = optarg; break;
        case 'I':
            if (cli_parse_input_format(optarg, &ifmt) < 0) return cli_usage_error(usage, "%s", err_msg());
            break;
        case 'f':
            if (!strcmp(optarg, "jsonl")) ofmt = OUT_JSONL;
            else if (!strcmp(optarg, "f32")) ofmt = OUT_F32;
            else if (!strcmp(optarg, "npy")) ofmt = OUT_NPY;
            else return cli_usage_error(usage, "unknown output format '%s' (use jsonl, f32 or npy)", optarg);
            break;
        case 'b':
            if (cli_parse_int(optarg, 1, 1L << 24, &v) < 0) return cli_usage_error(usage, "--batch-tokens: %s", err_msg());
            eo.batch_tokens = (size_t)v;
            break;
        case 't':
            if (cli_parse_int(optarg, 1, 4096, &v) < 0) return cli_usage_error(usage, "--threads: %s", err_msg());
            eo.n_threads = (int)v;
            break;
        case 'n': eo.normalize = 1; break;
        case 'P':
            if (cli_precision(optarg, &eo.precision) < 0) return cli_usage_error(usage, "--precision: %s", err_msg());
            break;
        case 'q': case 'v': cli_common_opt(c); break;
        default: return cli_bad_option(usage, c, argv);
        }
    }
    if (optind < argc) return cli_usage_error(usage, "unexpected argument '%s'", argv[optind]);
    if (!model) return cli_usage_error(usage, "--model is required");

    struct cli_texts t;
    if (cli_read_texts(input, ifmt, field, &t) < 0) return cli_fail(NULL);
    if (t.n_replaced) log_warn("%ld invalid UTF-8 sequences replaced by U+FFFD", t.n_replaced);
    struct enc *e = NULL;
    int rc = EXIT_OK;
    struct fs_atomic out = { 0 };
    FILE *f = NULL;
    float *vec = NULL;
    struct enc_item_info *info = NULL;
    if (enc_create(model, &eo, &e) < 0) {
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
    if (fs_atomic_open(&out, output) < 0) {
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
    return rc;
}
