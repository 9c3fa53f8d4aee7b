/*
 * bench_tokenize.c - `semindex bench tokenize --model DIR`: single-thread
 * tokenizer throughput (MB/s, texts/s) over every KorSTS and KorNLI
 * sentence, and in the same run the same texts through the HF tokenizers
 * Rust core (the Node binding in tests/oracle), timed inside Node around
 * the encode calls only (encodeBatch of 1000 texts, RAYON_NUM_THREADS=1,
 * best of 3 passes); the ratio is semindex / HF. Without node or the
 * oracle the baseline is reported as unavailable (no ratio).
 */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bench/bench.h"
#include "common/buf.h"
#include "common/err.h"
#include "common/fsutil.h"
#include "common/jsonl.h"
#include "common/log.h"
#include "common/mem.h"
#include "ingest/tokenizer/tokenizer.h"
#include "pipeline/cli.h"

struct tokenize_options {
    char *model, *data, *oracle;
    long repeat;
};

#define O(f) offsetof(struct tokenize_options, f)
static const struct opt tokenize_opts[] = {
    CLI_OPT_TOKENIZER(O(model)),
    BENCH_OPT_DATA(O(data)),
    OPT("oracle", 0, OPT_STR, O(oracle), "DIR", "the HF tokenizers Node oracle", .def = "tests/oracle"),
    OPT("repeat", 'r', OPT_INT, O(repeat), "N", "passes over the texts, the best one reported",
        .lo = 1, .hi = 1000, .def = "3"),
};
#undef O
static const struct opt_group tokenize_groups[] = { OPT_GROUP(tokenize_opts, 0, NULL) };
static const struct opts_cmd tokenize_cmd = {
    .name = "bench tokenize", .groups = tokenize_groups, .n_groups = 1,
    .intro = "Single-thread tokenizer throughput (MB/s, texts/s) over every KorSTS and KorNLI\n"
             "sentence, against the HF tokenizers core on the same texts in the same run.\n",
};

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
    struct tokenize_options o = { .repeat = 3 };
    int first, status = opts_parse(&tokenize_cmd, &o, argc, argv, &first);
    if (status != OPTS_CONTINUE) return status;
    const char *model = o.model, *oracle = o.oracle ? o.oracle : "tests/oracle";
    long repeat = o.repeat;
    struct buf datadir = BUF_INIT;
    struct tok *t = NULL;
    struct cli_texts tx = { 0 };
    struct buf jsonl = BUF_INIT, path = BUF_INIT, tj = BUF_INIT;
    struct tok_encoding *enc = mem_calloc(1000, sizeof *enc);
    char tmp[] = "/tmp/semindex-bench-XXXXXX";
    int fd = -1;
    status = EXIT_FAIL;
    if (bench_data(o.data, DATA_FILES[0], &datadir) < 0) { cli_fail(NULL); goto out; }
    const char *data = datadir.data;
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
    opts_release(&tokenize_cmd, &o);
    return status;
}
