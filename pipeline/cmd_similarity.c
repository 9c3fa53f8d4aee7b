/*
 * cmd_similarity.c - `semindex similarity`: texts in, their cosine
 * similarity matrix out, like sentence-transformers'
 * model.similarity(model.encode(texts), model.encode(texts)).
 *
 * Output: n lines of n tab-separated values (row i = text i), %.6f.
 */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "err.h"
#include "index/ann/ann.h"
#include "ingest/encoder/encoder.h"
#include "log.h"
#include "mem.h"

static const char usage_str[] =
    "usage: semindex similarity --model DIR [--input FILE] [--input-format lines|jsonl] [--field NAME]\n"
    "\n"
    "  -m, --model DIR     sentence-transformers model directory or builtin:ngram\n"
    "  -i, --input FILE    texts, one per line (default: stdin)\n"
    "  --input-format F    lines (default) or jsonl (one object per line)\n"
    "  --field NAME        the jsonl string field holding the text (default: text)\n"
    "  -t, --threads N     encoder threads (default: all cores)\n"
    "  --precision P       encoder precision: f32 (default), bf16 or int8\n"
    "  -q, -v              quieter, more verbose\n"
    "\n"
    "Prints the n x n cosine similarity matrix, one tab-separated row per text.\n";

int cmd_similarity(int argc, char **argv)
{
    static const struct option longopts[] = {
        { "model", required_argument, NULL, 'm' },
        { "input", required_argument, NULL, 'i' },
        { "input-format", required_argument, NULL, 'f' },
        { "field", required_argument, NULL, 'F' },
        { "threads", required_argument, NULL, 't' },
        { "precision", required_argument, NULL, 'P' },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    const char *model = NULL, *input = NULL, *field = "text";
    enum cli_input_format fmt = CLI_IN_LINES;
    long threads = 0;
    int prec = ENC_F32;
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, ":m:i:t:hqv", longopts, NULL)) != -1) {
        switch (c) {
        case 'm': model = optarg; break;
        case 'i': input = optarg; break;
        case 'f':
            if (cli_parse_input_format(optarg, &fmt) < 0) return cli_usage_error(usage_str, "%s", err_msg());
            break;
        case 'F': field = optarg; break;
        case 't':
            if (cli_parse_int(optarg, 0, 4096, &threads) < 0)
                return cli_usage_error(usage_str, "--threads: %s", err_msg());
            break;
        case 'P':
            if (cli_precision(optarg, &prec) < 0) return cli_usage_error(usage_str, "--precision: %s", err_msg());
            break;
        case 'h': fputs(usage_str, stdout); return EXIT_OK;
        case 'q': case 'v': cli_common_opt(c); break;
        default: return cli_bad_option(usage_str, c, argv);
        }
    }
    if (optind < argc) return cli_usage_error(usage_str, "unexpected argument '%s'", argv[optind]);
    if (!model) return cli_usage_error(usage_str, "--model is required");

    int rc = EXIT_FAIL;
    struct cli_texts t;
    struct enc *e = NULL;
    float *v = NULL;
    if (cli_read_texts(input, fmt, field, &t) < 0) return cli_fail(NULL);
    if (t.n_replaced) log_warn("replaced %ld invalid UTF-8 sequences", t.n_replaced);
    struct enc_options o = ENC_OPTIONS_INIT;
    o.n_threads = (int)threads;
    o.precision = prec;
    if (enc_create(model, &o, &e) < 0) { rc = cli_fail(NULL); goto out; }
    int dim = enc_dim(e);
    v = mem_alloc_array(t.n ? t.n : 1, (size_t)dim * sizeof(float));
    if (!v) { err_set(ERR_NOMEM, "out of memory for %zu embeddings", t.n); rc = cli_fail(NULL); goto out; }
    if (enc_encode(e, (const char *const *)t.text, t.len, t.n, v, NULL) < 0) {
        rc = cli_fail("cannot encode");
        goto out;
    }
    /* cos_sim normalizes with max(norm, eps); a zero row gives zeros */
    ann_normalize(v, (int64_t)t.n, dim);
    for (size_t i = 0; i < t.n; i++) {
        const float *a = v + i * (size_t)dim;
        for (size_t j = 0; j < t.n; j++) {
            const float *b = v + j * (size_t)dim;
            double s = 0;
            for (int k = 0; k < dim; k++) s += (double)a[k] * b[k];
            printf("%s%.6f", j ? "\t" : "", s);
        }
        putchar('\n');
    }
    rc = EXIT_OK;
out:
    mem_free(v);
    enc_free(e);
    cli_texts_release(&t);
    return rc;
}
