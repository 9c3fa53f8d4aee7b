/*
 * fuzz_tokenizer_json.c - libFuzzer target: tokenizer.json loading (models
 * BPE / WordPiece / Unigram / WordLevel, normalizers, pre-tokenizers with
 * their regexes, post-processors, added tokens) on arbitrary JSON; a loaded
 * tokenizer then encodes a few texts and must give ids that name tokens and
 * offsets inside the text.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "ingest/tokenizer/tokenizer.h"

static void check(const struct tok *t, const char *s, size_t n)
{
    struct tok_encoding e = TOK_ENCODING_INIT;
    if (tok_encode(t, s, n, TOK_OFFSETS | TOK_NO_TRUNCATE, &e) == 0) {
        for (size_t i = 0; i < e.n; i++) {
            if (e.ids[i] < 0) abort();
            if (e.offsets[2 * i] < 0 || e.offsets[2 * i] > e.offsets[2 * i + 1] || (size_t)e.offsets[2 * i + 1] > n)
                abort();
        }
    }
    tok_encoding_release(&e);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    log_level = LOG_QUIET; /* messages are not what is tested: keep the runs fast */
    struct tok *t = NULL;
    if (tok_load_mem(data, size, "tokenizer.json", &t) < 0) return 0;
    static const char *const texts[] = { "Hello, world! 안녕하세요 ", "  a  b\tc\n", "", "ÀÉ ﬁ ½ 𝔘 😀 ▁x </s> [CLS]" };
    for (size_t i = 0; i < sizeof texts / sizeof *texts; i++) check(t, texts[i], strlen(texts[i]));
    check(t, (const char *)data, size < 200 ? size : 200);
    tok_free(t);
    return 0;
}
