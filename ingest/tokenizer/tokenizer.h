/*
 * tokenizer.h - HuggingFace tokenizer.json, re-implemented to give exactly the
 * ids the HF `tokenizers` Rust core gives (what sentence-transformers feeds
 * its model).
 *
 * A struct tok is loaded once from a directory holding tokenizer.json (and,
 * where they matter, tokenizer_config.json, special_tokens_map.json and
 * sentence_bert_config.json, whose max_seq_length sets the truncation
 * length), then is immutable: tok_encode may be called from many threads at
 * once on the same tok. Supported components, the Unicode policy and the
 * known differences from HF are in docs/tokenizer.md; the implementation is
 * split by stage (tok_impl.h).
 *
 *     struct tok *t;
 *     if (tok_load(dir, &t) < 0) die(err_msg());
 *     struct tok_encoding e = TOK_ENCODING_INIT;
 *     tok_encode(t, text, len, 0, &e);      // e.ids[0..e.n)
 *     tok_encoding_release(&e);
 *     tok_free(t);
 *
 * Input policy: text is UTF-8; each invalid sequence is replaced by U+FFFD
 * (common/utf8.h) and counted in e.n_replaced. Unless TOK_NO_STRIP is given
 * the text is first stripped with Python str.strip() semantics, as
 * sentence-transformers does. Unknown component types in tokenizer.json are a
 * load error (ERR_UNSUPPORTED) naming the type.
 *
 * Truncation (unless TOK_NO_TRUNCATE) is sentence-transformers': the content
 * is cut on the right to max_length minus the special tokens the
 * post-processor adds, then those are added; e.n_untruncated is the length
 * without truncation and e.truncated tells whether anything was cut.
 */
#ifndef SEMINDEX_TOKENIZER_H
#define SEMINDEX_TOKENIZER_H

#include <stddef.h>
#include <stdint.h>

struct tok;

enum tok_flags {
    TOK_NO_TRUNCATE = 1 << 0, /* ignore max_length */
    TOK_NO_STRIP = 1 << 1,    /* do not apply Python str.strip() first */
    TOK_NO_SPECIAL = 1 << 2,  /* no post-processor special tokens */
    TOK_OFFSETS = 1 << 3,     /* fill offsets (byte spans in the stripped input) */
};

struct tok_encoding {
    int32_t *ids;          /* n token ids, special tokens included */
    int32_t *offsets;      /* 2*n byte offsets [start,end) into the (stripped) input, if TOK_OFFSETS */
    size_t n, cap;
    size_t n_untruncated;  /* length before truncation */
    int truncated;         /* n_untruncated > n */
    long n_replaced;       /* invalid UTF-8 sequences replaced by U+FFFD */
};
#define TOK_ENCODING_INIT { 0 }

/* tok_load: load dir/tokenizer.json (+ side files). dir may also be the path
 * of a tokenizer.json file. Returns 0, ERR_NOTFOUND, ERR_FORMAT,
 * ERR_UNSUPPORTED or ERR_NOMEM; *out is owned by the caller (tok_free). */
int tok_load(const char *dir, struct tok **out);
/* tok_load_mem: a tokenizer.json image in memory, without side files (the
 * fuzz entry point); name is used in messages. */
int tok_load_mem(const void *data, size_t size, const char *name, struct tok **out);
void tok_free(struct tok *t);

/* tok_max_length: the truncation length (special tokens included), 0 = none. */
int tok_max_length(const struct tok *t);
void tok_set_max_length(struct tok *t, int max_length);

size_t tok_vocab_size(const struct tok *t);
/* tok_token_to_id: the id of a token string (vocab or added), or -1. */
int32_t tok_token_to_id(const struct tok *t, const char *token);

/* tok_id_to_token: the token string of an id (vocab or added), or NULL for
 * an id no token has. Borrowed: valid until tok_free. */
const char *tok_id_to_token(const struct tok *t, int32_t id);

/* tok_encode: tokenize text[0..len) into e (its arrays are reused and grown).
 * Returns 0 or ERR_NOMEM. Thread-safe for distinct e. */
int tok_encode(const struct tok *t, const char *text, size_t len, int flags, struct tok_encoding *e);
void tok_encoding_release(struct tok_encoding *e);

/* tok_encode_batch: tokenize n texts in parallel (OpenMP, n_threads; 0 = all
 * cores) into out[0..n) (caller-owned, zeroed or reused encodings). Returns
 * 0 or the first error. Faster per text than tok_encode: each worker keeps
 * its scratch and a BPE word cache for the whole batch. */
int tok_encode_batch(const struct tok *t, const char *const *texts, const size_t *lens, size_t n,
                     int flags, struct tok_encoding *out, int n_threads);

#endif
