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

#include "common/buf.h"
#include "common/err.h"
#include "common/json.h"
#include "common/mem.h"
#include "common/utf8.h"
#include "ingest/tokenizer/tokenizer.h"
#include "tests/check.h"

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
    size_t n = json_array_size(texts), ok = 0, shown = 0, off_ok = 0;
    /* offsets are compared where no normalizer moves characters (BERT) */
    int check_offsets = !strcmp(name, "bert-tiny-ko");
    struct tok_encoding e = TOK_ENCODING_INIT;
    for (size_t i = 0; i < n; i++) {
        json_t *x = json_array_get(texts, i);
        json_t *text = json_object_get(x, "text"), *ids = json_object_get(x, "ids");
        int rc = tok_encode(t, json_string_value(text), json_string_length(text), TOK_OFFSETS, &e);
        if (check_offsets && rc == 0) {
            /* manifest offsets are code points of `input`; ours are bytes */
            json_t *in = json_object_get(x, "input"), *offs = json_object_get(x, "offsets");
            const char *is = json_string_value(in);
            int same_off = json_array_size(offs) == e.n;
            for (size_t k = 0; same_off && k < 2 * e.n; k++) {
                size_t cps = 0;
                for (int32_t b = 0; b < e.offsets[k]; b++) cps += ((unsigned char)is[b] & 0xC0) != 0x80;
                same_off = (long long)cps == json_integer_value(json_array_get(json_array_get(offs, k / 2), k % 2));
            }
            off_ok += same_off;
        }
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
    if (check_offsets) {
        printf("  %s: offsets %zu/%zu exact\n", name, off_ok, n);
        CHECK_INT(off_ok, n);
    }
    tok_encoding_release(&e);
    tok_free(t);
    json_decref(m);
}


/* ---- components on hand-written tokenizer.json files ----
 * Expected ids produced by HF tokenizers 0.23.2 (Node binding) on the same
 * JSON and text, with no str.strip() (TOK_NO_STRIP). */
struct comp_case {
    const char *name, *json, *text;
    int32_t ids[16];
    size_t n;
};
#define WORDLEVEL "{\"type\":\"WordLevel\",\"vocab\":{\"[UNK]\":0,\"a\":1,\"b\":2,\"c\":3,\"-\":4,\"--\":5,\"a-\":6,\"b-\":7,\"c-\":8,\"-b\":9,\"-c\":10,\"ab\":11,\"123\":12,\"1\":13,\"2\":14,\"3\":15,\"4\":16,\"hi\":17,\"!\":18,\"?\":19,\"x\":20,\"▁hello\":21,\"▁world\":22,\"world\":23,\"<x>\":24,\"hello\":25,\"▁\":26,\"abc\":27},\"unk_token\":\"[UNK]\"}"
/* TOK_JSON: a whole tokenizer.json with the WORDLEVEL model; SPLIT and
 * METASPACE: one with that pre-tokenizer only (METASPACE with the added
 * special token <x>, id 24) */
#define TOK_JSON(added, normalizer, pre_tokenizer)                                                                  \
    "{\"version\":\"1.0\",\"truncation\":null,\"padding\":null,\"added_tokens\":[" added "],\"normalizer\":"      \
    normalizer ",\"pre_tokenizer\":" pre_tokenizer ",\"post_processor\":null,\"decoder\":null,\"model\":" WORDLEVEL "}"
#define SPLIT(pattern, behavior, invert)                                                                           \
    TOK_JSON("", "null",                                                                                           \
             "{\"type\":\"Split\",\"pattern\":{" pattern "},\"behavior\":\"" behavior "\",\"invert\":" invert "}")
#define ADDED_X                                                                                                    \
    "{\"id\":24,\"content\":\"<x>\",\"single_word\":false,\"lstrip\":false,\"rstrip\":false,\"normalized\":false,"  \
    "\"special\":true}"
#define METASPACE(scheme)                                                                                          \
    TOK_JSON(ADDED_X, "null",                                                                                      \
             "{\"type\":\"Metaspace\",\"replacement\":\"▁\",\"prepend_scheme\":\"" scheme "\",\"split\":true}")
static const struct comp_case COMP[] = {
    { "split-Removed", SPLIT("\"String\":\"-\"", "Removed", "false"), "a-b--c-", { 1, 2, 3 }, 3 },
    { "split-Isolated", SPLIT("\"String\":\"-\"", "Isolated", "false"), "a-b--c-", { 1, 4, 2, 4, 4, 3, 4 }, 7 },
    { "split-MergedWithPrevious", SPLIT("\"String\":\"-\"", "MergedWithPrevious", "false"), "a-b--c-",
      { 6, 7, 4, 8 }, 4 },
    { "split-MergedWithNext", SPLIT("\"String\":\"-\"", "MergedWithNext", "false"), "a-b--c-", { 1, 9, 4, 10, 4 }, 5 },
    { "split-Contiguous", SPLIT("\"String\":\"-\"", "Contiguous", "false"), "a-b--c-", { 1, 4, 2, 5, 3, 4 }, 6 },
    { "split-invert", SPLIT("\"Regex\":\"[a-c]\"", "Removed", "true"), "a-b--c-", { 1, 2, 3 }, 3 },
    { "digits-1", TOK_JSON("", "null", "{\"type\":\"Digits\",\"individual_digits\":true}"), "ab123c4",
      { 11, 13, 14, 15, 3, 16 }, 6 },
    { "digits-0", TOK_JSON("", "null", "{\"type\":\"Digits\",\"individual_digits\":false}"), "ab123c4",
      { 11, 12, 3, 16 }, 4 },
    { "punct", TOK_JSON("", "null", "{\"type\":\"Punctuation\",\"behavior\":\"Isolated\"}"), "hi!!?x",
      { 17, 18, 18, 19, 20 }, 5 },
    { "meta-first", METASPACE("first"), "hello <x>world hello", { 21, 26, 24, 23, 21 }, 5 },
    { "meta-always", METASPACE("always"), "hello <x>world hello", { 21, 26, 24, 22, 21 }, 5 },
    { "meta-never", METASPACE("never"), "hello <x>world hello", { 25, 26, 24, 23, 21 }, 5 },
    { "strip-replace",
      TOK_JSON("",
               "{\"type\":\"Sequence\",\"normalizers\":[{\"type\":\"Strip\",\"strip_left\":true,\"strip_right\":true},"
               "{\"type\":\"Replace\",\"pattern\":{\"String\":\"-\"},\"content\":\"\"},{\"type\":\"Lowercase\"}]}",
               "{\"type\":\"WhitespaceSplit\"}"),
      "  A-B-C  abc ", { 27, 27 }, 2 },
};

static const char *write_json(const char *name, const char *json)
{
    static char path[1024];
    snprintf(path, sizeof path, "%s/%s.json", test_tmpdir(), name);
    FILE *f = fopen(path, "w");
    if (!f) return NULL;
    fputs(json, f);
    fclose(f);
    return path;
}

static void check_ids(const struct tok *t, const char *text, size_t len, int flags, const int32_t *ids, size_t n)
{
    struct tok_encoding e = TOK_ENCODING_INIT;
    CHECK_OK(tok_encode(t, text, len, flags, &e));
    CHECK_INT(e.n, n);
    for (size_t k = 0; k < e.n && k < n; k++) CHECK_INT(e.ids[k], ids[k]);
    tok_encoding_release(&e);
}

static void test_components(void)
{
    for (size_t i = 0; i < sizeof COMP / sizeof COMP[0]; i++) {
        TEST(COMP[i].name) {
            struct tok *t = NULL;
            CHECK_OK(tok_load(write_json(COMP[i].name, COMP[i].json), &t));
            if (t) check_ids(t, COMP[i].text, strlen(COMP[i].text), TOK_NO_STRIP, COMP[i].ids, COMP[i].n);
            tok_free(t);
        }
    }
    TEST("unknown component type is ERR_UNSUPPORTED naming it") {
        static const char *kinds[] = {
            "{\"normalizer\":{\"type\":\"Frobnicate\"},\"model\":" WORDLEVEL "}",
            "{\"pre_tokenizer\":{\"type\":\"Frobnicate\"},\"model\":" WORDLEVEL "}",
            "{\"post_processor\":{\"type\":\"Frobnicate\"},\"model\":" WORDLEVEL "}",
            "{\"model\":{\"type\":\"Frobnicate\"}}",
        };
        for (size_t k = 0; k < 4; k++) {
            struct tok *t = NULL;
            int rc = tok_load(write_json("unknown", kinds[k]), &t);
            CHECK_INT(rc, ERR_UNSUPPORTED);
            CHECK_TRUE(strstr(err_msg(), "'Frobnicate'") != NULL);
            CHECK_TRUE(strstr(err_msg(), "unknown.json") != NULL);
            CHECK_TRUE(t == NULL);
        }
    }
    TEST("malformed tokenizer.json is ERR_FORMAT naming the file") {
        struct tok *t = NULL;
        int rc = tok_load(write_json("broken", "{\"model\": {\"type\": \"BPE\", "), &t);
        CHECK_INT(rc, ERR_FORMAT);
        CHECK_TRUE(strstr(err_msg(), "broken.json") != NULL);
        rc = tok_load(write_json("badmerge", "{\"model\":{\"type\":\"BPE\",\"vocab\":{\"a\":0},\"merges\":[\"a b\"]}}"), &t);
        CHECK_INT(rc, ERR_FORMAT);
        CHECK_TRUE(strstr(err_msg(), "merge 0") != NULL);
        rc = tok_load(write_json("badregex", "{\"pre_tokenizer\":{\"type\":\"Split\",\"pattern\":{\"Regex\":\"(\"},\"behavior\":\"Removed\"},\"model\":" WORDLEVEL "}"), &t);
        CHECK_INT(rc, ERR_FORMAT);
        CHECK_TRUE(strstr(err_msg(), "bad regex") != NULL);
        rc = tok_load("/nonexistent/model", &t);
        CHECK_INT(rc, ERR_NOTFOUND);
    }
    TEST("tokenizer_config.json and special_tokens_map.json add tokens as transformers does") {
        char dir[512], path[600];
        snprintf(dir, sizeof dir, "%s/side", test_tmpdir());
        mkdir(dir, 0755);
        static const struct { const char *name, *json; } files[] = {
            { "tokenizer.json", "{\"pre_tokenizer\":{\"type\":\"Whitespace\"},\"model\":" WORDLEVEL "}" },
            { "special_tokens_map.json", "{\"mask_token\":\"<x>\",\"unk_token\":{\"content\":\"[UNK]\"}}" },
            { "tokenizer_config.json", "{\"model_max_length\":1000000000000000019884624838656,"
              "\"added_tokens_decoder\":{\"30\":{\"content\":\"a-b\",\"special\":false,\"normalized\":false}}}" },
        };
        for (size_t k = 0; k < 3; k++) {
            snprintf(path, sizeof path, "%s/%s", dir, files[k].name);
            FILE *f = fopen(path, "w");
            if (f) {
                fputs(files[k].json, f);
                fclose(f);
            }
        }
        struct tok *t = NULL;
        CHECK_OK(tok_load(dir, &t));
        int32_t want[] = { 28, 24, 3 }; /* "a-b" new id after the vocabulary, "<x>" its vocabulary id */
        if (t) check_ids(t, "a-b <x>c", 8, 0, want, 3);
        tok_free(t);
    }
    TEST("invalid UTF-8 becomes U+FFFD, counted") {
        struct tok *t = NULL;
        CHECK_OK(tok_load(write_json("utf8", COMP[0].json), &t));
        if (t) {
            struct tok_encoding a = TOK_ENCODING_INIT, b = TOK_ENCODING_INIT;
            CHECK_OK(tok_encode(t, "a-\xff\xfe-b\xe2\x82", 8, 0, &a));
            CHECK_INT(a.n_replaced, 3);
            CHECK_OK(tok_encode(t, "a-\xef\xbf\xbd\xef\xbf\xbd-b\xef\xbf\xbd", 13, 0, &b));
            CHECK_INT(b.n_replaced, 0);
            CHECK_INT(a.n, b.n);
            for (size_t k = 0; k < a.n && k < b.n; k++) CHECK_INT(a.ids[k], b.ids[k]);
            /* a truncated sequence at the very end never reads past len */
            CHECK_OK(tok_encode(t, "\xf0\x9f", 2, 0, &a));
            CHECK_INT(a.n_replaced, 1);
            tok_encoding_release(&a);
            tok_encoding_release(&b);
        }
        tok_free(t);
    }
}

/* ---- fixture-based behaviour ---- */

static void test_on_fixture(const char *fx)
{
    char dir[1024];
    snprintf(dir, sizeof dir, "%s/modernbert-ko-tiny/model", fx);
    struct tok *t = NULL;
    if (tok_load(dir, &t) < 0) {
        SKIP("cannot load %s: %s", dir, err_msg());
        return;
    }
    TEST("empty and whitespace-only texts give only the special tokens") {
        int32_t want[] = { 2, 3 };
        check_ids(t, "", 0, 0, want, 2);
        check_ids(t, " \t\n\xe3\x80\x80 ", 7, 0, want, 2);
        check_ids(t, NULL, 0, 0, want, 2);
        check_ids(t, "", 0, TOK_NO_SPECIAL, want, 0);
    }
    TEST("vocab lookups") {
        CHECK_INT(tok_token_to_id(t, "[CLS]"), 2);
        CHECK_STR(tok_id_to_token(t, 3), "[SEP]");
        CHECK_TRUE(tok_id_to_token(t, -1) == NULL);
        CHECK_TRUE(tok_id_to_token(t, (int32_t)tok_vocab_size(t)) == NULL);
        CHECK_INT(tok_token_to_id(t, "no such token \x01"), -1);
        CHECK_INT(tok_max_length(t), 128);
    }
    TEST("offsets are byte spans of the stripped input") {
        struct tok_encoding e = TOK_ENCODING_INIT;
        const char *s = "  \xea\xb0\x80 ab";  /* "  가 ab" */
        CHECK_OK(tok_encode(t, s, strlen(s), TOK_OFFSETS, &e));
        CHECK_TRUE(e.n >= 3);
        if (e.n >= 3) {
            CHECK_INT(e.offsets[0], 0);
            CHECK_INT(e.offsets[1], 0);
            CHECK_INT(e.offsets[2], 0);                     /* first content token starts at 가 */
            CHECK_INT(e.offsets[2 * (e.n - 2) + 1], 6);     /* last content token ends at the end */
        }
        tok_encoding_release(&e);
    }
    TEST("truncation keeps the special tokens and reports the full length") {
        struct buf b = BUF_INIT;
        for (int i = 0; i < 100; i++) buf_puts(&b, "\xed\x95\x9c \xeb\x82\xa8\xec\x9e\x90\xea\xb0\x80 ");
        struct tok_encoding e = TOK_ENCODING_INIT;
        CHECK_OK(tok_encode(t, b.data, b.len, 0, &e));
        CHECK_INT(e.n, 128);
        CHECK_INT(e.ids[0], 2);
        CHECK_INT(e.ids[127], 3);
        CHECK_TRUE(e.truncated);
        size_t full = e.n_untruncated;
        CHECK_OK(tok_encode(t, b.data, b.len, TOK_NO_TRUNCATE, &e));
        CHECK_INT(e.n, full);
        CHECK_TRUE(!e.truncated);
        tok_set_max_length(t, 10);
        CHECK_OK(tok_encode(t, b.data, b.len, TOK_NO_SPECIAL, &e));
        CHECK_INT(e.n, 10);
        tok_set_max_length(t, 128);
        tok_encoding_release(&e);
        buf_release(&b);
    }
    TEST("batch equals one by one") {
        const char *texts[64];
        size_t lens[64];
        static const char *pool[] = { "hello world", "", "   ", "\xea\xb0\x80\xeb\x82\x98 [MASK] x", "a\xff" "b" };
        for (int i = 0; i < 64; i++) {
            texts[i] = pool[i % 5];
            lens[i] = strlen(texts[i]);
        }
        struct tok_encoding out[64];
        memset(out, 0, sizeof out);
        CHECK_OK(tok_encode_batch(t, texts, lens, 64, 0, out, 2));
        struct tok_encoding e = TOK_ENCODING_INIT;
        for (int i = 0; i < 64; i++) {
            CHECK_OK(tok_encode(t, texts[i], lens[i], 0, &e));
            CHECK_INT(out[i].n, e.n);
            for (size_t k = 0; k < e.n && k < out[i].n; k++) CHECK_INT(out[i].ids[k], e.ids[k]);
            tok_encoding_release(&out[i]);
        }
        tok_encoding_release(&e);
    }
    TEST("a 2 MB text tokenizes (linear time, bounded memory)") {
        /* mixed words, and one 1 MB word with no break at all: the worst case of BPE */
        struct buf b = BUF_INIT;
        while (b.len < (1u << 20)) buf_puts(&b, "\xed\x95\x9c\xea\xb5\xad\xec\x96\xb4 text 123, ");
        while (b.len < (2u << 20)) buf_puts(&b, "\xea\xb0\x80\xeb\x82\x98");
        struct tok_encoding e = TOK_ENCODING_INIT;
        CHECK_OK(tok_encode(t, b.data, b.len, TOK_NO_TRUNCATE, &e));
        CHECK_TRUE(e.n > 100000);
        CHECK_TRUE(e.n_untruncated == e.n);
        tok_encoding_release(&e);
        buf_release(&b);
    }
    tok_free(t);
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
    test_components();
    if (fx) test_on_fixture(fx);
    return test_summary();
}
