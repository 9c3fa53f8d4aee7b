/*
 * fuzz_tokenize.c - libFuzzer target: tokenization itself, any bytes through
 * fixture tokenizers loaded once: ModernBERT (byte-level BPE), XLM-R
 * (Unigram, Metaspace, precompiled normalizer) and BERT (WordPiece). Byte 0
 * picks the tokenizer and flags; the rest is the text. Ids must name tokens,
 * offsets must lie inside the text and not go backwards, truncation must
 * hold max_length.
 *
 * Fixtures: $SEMINDEX_FIXTURES (default ../shared/fixtures).
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "common/err.h"
#include "common/log.h"
#include "ingest/tokenizer/tokenizer.h"

static struct tok *toks[3];

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    const char *fx = getenv("SEMINDEX_FIXTURES");
    if (!fx) fx = "../shared/fixtures";
    static const char *const names[] = { "modernbert-tiny", "xlmr-tiny", "bert-tiny-ko" };
    for (int i = 0; i < 3; i++) {
        char p[4096];
        snprintf(p, sizeof p, "%s/%s/model", fx, names[i]);
        if (tok_load(p, &toks[i]) < 0) {
            fprintf(stderr, "fuzz_tokenize: %s (set SEMINDEX_FIXTURES)\n", err_msg());
            exit(1);
        }
    }
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    log_level = LOG_QUIET; /* messages are not what is tested: keep the runs fast */
    if (size < 1) return 0;
    const struct tok *t = toks[(data[0] & 3) % 3];
    int flags = TOK_OFFSETS;
    if (data[0] & 0x04) flags |= TOK_NO_TRUNCATE;
    if (data[0] & 0x08) flags |= TOK_NO_STRIP;
    if (data[0] & 0x10) flags |= TOK_NO_SPECIAL;
    const char *s = (const char *)data + 1;
    size_t n = size - 1;
    struct tok_encoding e = TOK_ENCODING_INIT;
    if (tok_encode(t, s, n, flags, &e) < 0) abort();
    for (size_t i = 0; i < e.n; i++) {
        if (!tok_id_to_token(t, e.ids[i])) abort();
        int32_t a = e.offsets[2 * i], b = e.offsets[2 * i + 1];
        if (a < 0 || a > b || (size_t)b > n) abort();
    }
    if (!(flags & TOK_NO_TRUNCATE) && tok_max_length(t) > 0 && e.n > (size_t)tok_max_length(t)) abort();
    tok_encoding_release(&e);
    return 0;
}
