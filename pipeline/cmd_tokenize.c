/*
 * cmd_tokenize.c - `semindex tokenize`: the token ids sentence-transformers
 * would feed the model, one JSON line per input text, in input order.
 */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "buf.h"
#include "cli.h"
#include "err.h"
#include "ingest/tokenizer/tokenizer.h"
#include "log.h"
#include "mem.h"

static const char usage_str[] =
    "usage: semindex tokenize --model DIR [--input FILE] [--input-format lines|jsonl]\n"
    "                         [--max-length N | --no-truncate] [--offsets] [--threads N]\n"
    "\n"
    "Tokenize texts exactly as sentence-transformers does (str.strip(), the model's\n"
    "tokenizer.json, truncation to max_seq_length) and print one JSON line per text:\n"
    "  {\"ids\":[...],\"n_untruncated\":N,\"truncated\":false}\n"
    "\n"
    "  -m, --model DIR         sentence-transformers model directory, any directory\n"
    "                          with a tokenizer.json, or a tokenizer.json file\n"
    "  -i, --input FILE        input texts (default: stdin)\n"
    "  -f, --input-format FMT  lines: one text per line (default, as embed, query\n"
    "                          and similarity); jsonl: one object per line with a\n"
    "                          \"text\" string\n"
    "      --max-length N      truncate to N tokens (special tokens included)\n"
    "                          instead of the model's max_seq_length\n"
    "      --no-truncate       do not truncate to max_seq_length\n"
    "      --offsets           add \"offsets\": [start,end) byte spans in the stripped text\n"
    "  -t, --threads N         tokenizer threads (default: all cores)\n"
    "  -q, -v                  quieter, more verbose\n"
    "  -h, --help              this help\n";

#define BATCH 4096

static int write_encoding(struct buf *o, const struct tok_encoding *e, int offsets)
{
    buf_reset(o);
    int rc = buf_puts(o, "{\"ids\":[");
    for (size_t k = 0; rc == 0 && k < e->n; k++) rc = buf_printf(o, k ? ",%d" : "%d", e->ids[k]);
    if (rc == 0) rc = buf_printf(o, "],\"n_untruncated\":%zu,\"truncated\":%s", e->n_untruncated,
                                 e->truncated ? "true" : "false");
    if (rc == 0 && offsets) {
        rc = buf_puts(o, ",\"offsets\":[");
        for (size_t k = 0; rc == 0 && k < e->n; k++)
            rc = buf_printf(o, "%s[%d,%d]", k ? "," : "", e->offsets[2 * k], e->offsets[2 * k + 1]);
        if (rc == 0) rc = buf_putc(o, ']');
    }
    if (rc == 0) rc = buf_puts(o, "}\n");
    return rc;
}

int cmd_tokenize(int argc, char **argv)
{
    static const struct option opts[] = {
        { "model", required_argument, NULL, 'm' },
        { "input", required_argument, NULL, 'i' },
        { "input-format", required_argument, NULL, 'f' },
        { "no-truncate", no_argument, NULL, 'T' },
        { "offsets", no_argument, NULL, 'O' },
        { "max-length", required_argument, NULL, 'L' },
        { "threads", required_argument, NULL, 't' },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    const char *model = NULL, *input = NULL;
    enum cli_input_format fmt = CLI_IN_LINES;
    int flags = 0, offsets = 0;
    long threads = 0, max_length = -1;
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, ":m:i:f:t:hqv", opts, NULL)) != -1) {
        switch (c) {
        case 'm': model = optarg; break;
        case 'i': input = optarg; break;
        case 'f':
            if (cli_parse_input_format(optarg, &fmt) < 0)
                return cli_usage_error(usage_str, "--input-format must be lines or jsonl, not '%s'", optarg);
            break;
        case 'T': flags |= TOK_NO_TRUNCATE; break;
        case 'O': offsets = 1; flags |= TOK_OFFSETS; break;
        case 'L':
            if (cli_parse_int(optarg, 1, 1L << 30, &max_length) < 0)
                return cli_usage_error(usage_str, "--max-length must be a positive integer, not '%s'", optarg);
            break;
        case 't':
            if (cli_parse_int(optarg, 0, 4096, &threads) < 0)
                return cli_usage_error(usage_str, "--threads must be an integer in [0, 4096], not '%s'", optarg);
            break;
        case 'h': fputs(usage_str, stdout); return EXIT_OK;
        default:
            if (cli_common_opt(c)) break;
            return cli_bad_option(usage_str, c, argv);
        }
    }
    if (optind < argc) return cli_usage_error(usage_str, "unexpected argument '%s'", argv[optind]);
    if (!model) return cli_usage_error(usage_str, "--model is required");

    struct tok *t = NULL;
    struct cli_texts in = { 0 };
    struct tok_encoding *enc = NULL;
    struct buf o = BUF_INIT;
    int status = EXIT_FAIL;
    if (tok_load(model, &t) < 0) {
        cli_fail(NULL);
        goto out;
    }
    if (max_length > 0) tok_set_max_length(t, (int)max_length);
    if (cli_read_texts(input, fmt, "text", &in) < 0) {
        cli_fail(NULL);
        goto out;
    }
    if (in.n_replaced)
        log_warn("%ld invalid UTF-8 sequences replaced by U+FFFD", in.n_replaced);
    enc = mem_calloc(BATCH, sizeof *enc);
    if (!enc) {
        err_set(ERR_NOMEM, "out of memory");
        cli_fail(NULL);
        goto out;
    }
    for (size_t b = 0; b < in.n; b += BATCH) {
        size_t n = in.n - b < BATCH ? in.n - b : BATCH;
        if (tok_encode_batch(t, (const char *const *)in.text + b, in.len + b, n, flags, enc,
                             (int)threads) < 0) {
            cli_fail("tokenize");
            goto out;
        }
        for (size_t i = 0; i < n; i++) {
            if (write_encoding(&o, &enc[i], offsets) < 0 || fwrite(o.data, 1, o.len, stdout) != o.len) {
                err_set(ERR_IO, "cannot write to stdout");
                cli_fail(NULL);
                goto out;
            }
        }
    }
    if (fflush(stdout) != 0) {
        err_set(ERR_IO, "cannot write to stdout");
        cli_fail(NULL);
        goto out;
    }
    status = EXIT_OK;
out:
    for (size_t i = 0; enc && i < BATCH; i++) tok_encoding_release(&enc[i]);
    mem_free(enc);
    buf_release(&o);
    cli_texts_release(&in);
    tok_free(t);
    return status;
}
