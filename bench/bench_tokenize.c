/*
 * bench_tokenize.c - `semindex bench tokenize --model DIR`: single-thread
 * tokenizer throughput (MB/s, texts/s) over every KorSTS and KorNLI
 * sentence, and in the same run the same texts through the HF tokenizers
 * Rust core (the Node binding in tests/oracle), timed inside Node around
 * the encode calls only (encodeBatch of 1000 texts, RAYON_NUM_THREADS=1,
 * best of 3 passes); the ratio is semindex / HF. Without node or the
 * oracle the baseline is reported as unavailable (no ratio).
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bench/bench.h"
#include "buf.h"
#include "jsonl.h"
#include "err.h"
#include "fsutil.h"
#include "ingest/tokenizer/tokenizer.h"
#include "log.h"
#include "mem.h"
#include "pipeline/cli.h"

static const char usage_str[] =
    "usage: semindex bench tokenize --model DIR [--data DIR] [--oracle DIR] [--repeat N]\n"
    "\n"
    "  -m, --model DIR    model directory (tokenizer.json, sentence_bert_config.json)\n"
    "  -d, --data DIR     KorSTS/KorNLI folder (default: the first of $SEMINDEX_DATA,\n"
    "                     ../shared/data, ../shared/data or ../../shared/data beside\n"
    "                     the executable)\n"
    "      --oracle DIR   the HF tokenizers Node oracle (default: tests/oracle)\n"
    "  -r, --repeat N     passes over the texts, best one reported (default 3)\n";

static const char *const DATA_FILES[] = {
    "korsts/sts-train.tsv", "korsts/sts-dev.tsv", "korsts/sts-test.tsv",
    "kornli/xnli.dev.ko.tsv", "kornli/xnli.test.ko.tsv",
};

/* run_oracle: time the HF core on the same texts; returns seconds or -1 */
static double run_oracle(const char *oracle, const char *tokjson, const char *jsonl_path)
{
    struct buf cmd = BUF_INIT, mod = BUF_INIT;
    fs_join(&mod, oracle, "node_modules/tokenizers");
    double secs = -1;
    if (!fs_is_dir(mod.data)) {
        log_warn("no HF oracle at '%s' (cd tests/oracle && npm install): no baseline", mod.data);
        goto out;
    }
    buf_printf(&cmd, "RAYON_NUM_THREADS=1 node '%s/tokenize.js' '%s' '%s' 0 --time", oracle, tokjson,
               jsonl_path);
    FILE *p = popen(cmd.data, "r");
    if (!p) goto out;
    char line[256];
    unsigned long nt = 0, nb = 0;
    double s = -1;
    while (fgets(line, sizeof line, p))
        if (sscanf(line, "texts %lu bytes %lu seconds %lf", &nt, &nb, &s) == 3) secs = s;
    if (pclose(p) != 0) secs = -1;
    if (secs < 0) log_warn("the HF oracle did not run (is node installed?): no baseline");
out:
    buf_release(&cmd);
    buf_release(&mod);
    return secs;
}

int bench_tokenize(int argc, char **argv)
{
    static const struct option opts[] = {
        { "model", required_argument, NULL, 'm' }, { "data", required_argument, NULL, 'd' },
        { "oracle", required_argument, NULL, 'O' }, { "repeat", required_argument, NULL, 'r' },
        { "help", no_argument, NULL, 'h' }, { NULL, 0, NULL, 0 },
    };
    const char *model = NULL, *data = NULL, *oracle = "tests/oracle";
    long repeat = 3;
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, ":m:d:r:hqv", opts, NULL)) != -1) {
        switch (c) {
        case 'm': model = optarg; break;
        case 'd': data = optarg; break;
        case 'O': oracle = optarg; break;
        case 'r':
            if (cli_parse_int(optarg, 1, 1000, &repeat) < 0)
                return cli_usage_error(usage_str, "--repeat must be in [1, 1000]");
            break;
        case 'h': fputs(usage_str, stdout); return EXIT_OK;
        default:
            if (cli_common_opt(c)) break;
            return cli_bad_option(usage_str, c, argv);
        }
    }
    if (!model) return cli_usage_error(usage_str, "--model is required");
    struct buf datadir = BUF_INIT;
    if (bench_data(data, DATA_FILES[0], &datadir) < 0) return cli_fail(NULL);
    data = datadir.data;

    struct tok *t = NULL;
    struct cli_texts tx = { 0 };
    struct buf jsonl = BUF_INIT, path = BUF_INIT, tj = BUF_INIT;
    struct tok_encoding *enc = mem_calloc(1000, sizeof *enc);
    char tmp[] = "/tmp/semindex-bench-XXXXXX";
    int status = EXIT_FAIL, fd = -1;
    if (!enc) { err_nomem(); cli_fail(NULL); goto out; }
    if (tok_load(model, &t) < 0) { cli_fail(NULL); goto out; }
    for (size_t i = 0; i < sizeof DATA_FILES / sizeof DATA_FILES[0]; i++) {
        buf_reset(&path);
        fs_join(&path, data, DATA_FILES[i]);
        if (bench_read_sentences(path.data, &tx) < 0) { cli_fail(NULL); goto out; }
    }
    /* the same texts for the oracle, one {"text": ...} per line */
    for (size_t i = 0; i < tx.n; i++) {
        struct jsonl_row row;
        jsonl_begin_compact(&row, &jsonl);
        jsonl_strn(&row, "text", tx.text[i], tx.len[i]);
        if (jsonl_end(&row) < 0) { cli_fail(NULL); goto out; }
    }
    size_t bytes = 0, tokens = 0;
    for (size_t i = 0; i < tx.n; i++) bytes += tx.len[i];
    /* semindex: one thread, no truncation (the oracle runs without it too) */
    double best = 1e30;
    for (long r = 0; r < repeat; r++) {
        /* the batch API on one thread, 1000 texts a call, as the oracle does */
        double t0 = now_sec();
        tokens = 0;
        for (size_t i = 0; i < tx.n; i += 1000) {
            size_t k = tx.n - i < 1000 ? tx.n - i : 1000;
            if (tok_encode_batch(t, (const char *const *)tx.text + i, tx.len + i, k, TOK_NO_TRUNCATE,
                                 enc, 1) < 0) { cli_fail(NULL); goto out; }
            for (size_t j = 0; j < k; j++) tokens += enc[j].n;
        }
        double dt = now_sec() - t0;
        if (dt < best) best = dt;
    }
    printf("texts %zu\nbytes %zu\ntokens %zu\n", tx.n, bytes, tokens);
    printf("semindex_seconds %.4f\nsemindex_mb_per_s %.2f\nsemindex_texts_per_s %.0f\n", best,
           bytes / best / 1e6, tx.n / best);
    /* the HF core on the same texts */
    if ((fd = mkstemp(tmp)) < 0 || write(fd, jsonl.data, jsonl.len) != (ssize_t)jsonl.len) {
        err_set(ERR_IO, "cannot write '%s'", tmp);
        cli_fail(NULL);
        goto out;
    }
    if (fs_is_dir(model)) fs_join(&tj, model, "tokenizer.json");
    else buf_puts(&tj, model);
    double hf = run_oracle(oracle, tj.data, tmp);
    if (hf > 0) {
        printf("hf_seconds %.4f\nhf_mb_per_s %.2f\nhf_texts_per_s %.0f\n", hf, bytes / hf / 1e6, tx.n / hf);
        printf("ratio_semindex_over_hf %.2f\n", hf / best);
    } else {
        printf("hf_seconds unavailable\n");
    }
    status = EXIT_OK;
out:
    if (fd >= 0) {
        close(fd);
        unlink(tmp);
    }
    for (size_t i = 0; enc && i < 1000; i++) tok_encoding_release(&enc[i]);
    mem_free(enc);
    cli_texts_release(&tx);
    buf_release(&jsonl);
    buf_release(&path);
    buf_release(&tj);
    buf_release(&datadir);
    tok_free(t);
    return status;
}
