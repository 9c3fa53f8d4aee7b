/*
 * cmd_tokenize.c - `semindex tokenize`: the token ids sentence-transformers
 * would feed the model, one JSON line per input text, in input order.
 */
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "common/buf.h"
#include "common/err.h"
#include "common/jsonl.h"
#include "common/log.h"
#include "common/mem.h"
#include "ingest/tokenizer/tokenizer.h"
#include "pipeline/cli.h"
#include "pipeline/opts.h"

struct tokenize_options {
    char *model;
    struct cli_input in;
    long max_length;   /* 0: the model's max_seq_length */
    int no_truncate, offsets;
    long threads;      /* 0: all cores */
};

#define O(f) offsetof(struct tokenize_options, f)
static const struct opt tokenize_opts[] = {
    OPT("max-length", 0, OPT_INT, O(max_length), "N", "truncate to N tokens (special tokens included)\n"
      "instead of the model's max_seq_length", .lo = 1, .hi = 1L << 30),
    OPT("no-truncate", 0, OPT_FLAG, O(no_truncate), NULL, "do not truncate to max_seq_length"),
    OPT("offsets", 0, OPT_FLAG, O(offsets), NULL, "add \"offsets\": [start,end) byte spans in the\nstripped text"),
    CLI_OPT_THREADS(O(threads)),
};
static const struct opt model_opt[] = { CLI_OPT_TOKENIZER(O(model)) };
static const struct opt_group tokenize_groups[] = {
    OPT_GROUP(model_opt, 0, NULL),
    CLI_INPUT_GROUP(O(in)),
    OPT_GROUP(tokenize_opts, 0, NULL),
};
#undef O
static const struct opts_cmd tokenize_cmd = {
    .name = "tokenize", .groups = tokenize_groups, .n_groups = 3,
    .intro = "Tokenize texts exactly as sentence-transformers does (str.strip(), the model's\n"
             "tokenizer.json, truncation to max_seq_length) and print one JSON line per text:\n"
             "  {\"ids\":[...],\"n_untruncated\":N,\"truncated\":false}\n",
};

#define BATCH 4096

/* write_encoding: one compact row, {"ids":[...],"n_untruncated":N,"truncated":B[,"offsets":[[s,e],...]]} */
static int write_encoding(struct buf *o, const struct tok_encoding *e, int offsets)
{
    struct jsonl_row r;
    buf_reset(o);
    jsonl_begin_compact(&r, o);
    jsonl_ints(&r, "ids", e->ids, e->n);
    jsonl_u64(&r, "n_untruncated", e->n_untruncated);
    jsonl_bool(&r, "truncated", e->truncated);
    if (offsets) jsonl_int_pairs(&r, "offsets", e->offsets, e->n);
    return jsonl_end(&r);
}

int cmd_tokenize(int argc, char **argv)
{
    struct tokenize_options o = { .in = CLI_INPUT_INIT };
    int first, status = opts_parse(&tokenize_cmd, &o, argc, argv, &first);
    if (status != OPTS_CONTINUE) return status;
    int flags = (o.no_truncate ? TOK_NO_TRUNCATE : 0) | (o.offsets ? TOK_OFFSETS : 0);

    struct tok *t = NULL;
    struct cli_texts in = { 0 };
    struct tok_encoding *enc = NULL;
    struct buf out = BUF_INIT;
    status = EXIT_FAIL;
    if (tok_load(o.model, &t) < 0) {
        cli_fail(NULL);
        goto out;
    }
    if (o.max_length > 0) tok_set_max_length(t, (int)o.max_length);
    if (cli_input_read(&o.in, &in) < 0) {
        cli_fail(NULL);
        goto out;
    }
    enc = mem_calloc(BATCH, sizeof *enc);
    if (!enc) {
        err_nomem();
        cli_fail(NULL);
        goto out;
    }
    for (size_t b = 0; b < in.n; b += BATCH) {
        size_t n = in.n - b < BATCH ? in.n - b : BATCH;
        if (tok_encode_batch(t, (const char *const *)in.text + b, in.len + b, n, flags, enc,
                             (int)o.threads) < 0) {
            cli_fail("tokenize");
            goto out;
        }
        for (size_t i = 0; i < n; i++) {
            if (write_encoding(&out, &enc[i], o.offsets) < 0 || fwrite(out.data, 1, out.len, stdout) != out.len) {
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
    buf_release(&out);
    cli_texts_release(&in);
    tok_free(t);
    opts_release(&tokenize_cmd, &o);
    return status;
}
