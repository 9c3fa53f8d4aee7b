/*
 * tok_impl.h - the tokenizer's internal types, shared by the files of
 * ingest/tokenizer/ and never included from outside it.
 *
 * The pipeline follows HF tokenizers (tokenizer/mod.rs encode_single_sequence):
 *
 *   added tokens (raw)  ->  normalizer  ->  added tokens (normalized)
 *     ->  pre-tokenizer  ->  model  ->  truncation  ->  post-processor
 *
 * Text travels as code points with an alignment: each code point of the
 * working arena carries the byte span [os, oe) of the (stripped) input it
 * came from, the role of HF's NormalizedString alignments. A "split" is a
 * range of the arena (HF's PreTokenizedString split); splits holding an
 * added token already carry its id and are left alone by every later
 * stage. Stages never edit in place: they append their output to the arena
 * and point the split at it, so the arena only grows during one encode.
 * Everything here is per call (struct tok_work), the loaded struct tok is
 * read-only, which is what makes tok_encode thread-safe.
 */
#ifndef SEMINDEX_TOK_IMPL_H
#define SEMINDEX_TOK_IMPL_H

#include <oniguruma.h>
#include <stddef.h>
#include <stdint.h>

#include "common/buf.h"
#include "common/json.h"

/* ---- string -> int32 map (vocabularies), open addressing over xxh3 ---- */
struct tok_strmap {
    struct buf blob;        /* all keys, back to back, NUL after each */
    uint32_t *koff, *klen;  /* entry i: key at blob.data + koff[i] */
    int32_t *val;
    size_t n, cap;
    uint32_t *slot;         /* entry index + 1, 0 = empty */
    size_t nslot;           /* power of two */
};
int tok_strmap_put(struct tok_strmap *m, const char *key, size_t len, int32_t val);
int32_t tok_strmap_get(const struct tok_strmap *m, const char *key, size_t len);
void tok_strmap_free(struct tok_strmap *m);

/* ---- uint64 -> uint64 map (BPE merges, trie edges) ---- */
struct tok_u64map {
    uint64_t *key, *val;    /* key stored + 1 so that 0 means empty */
    size_t n, mask;
};
int tok_u64map_put(struct tok_u64map *m, uint64_t key, uint64_t val);
int tok_u64map_get(const struct tok_u64map *m, uint64_t key, uint64_t *val);
void tok_u64map_free(struct tok_u64map *m);

/* ---- byte trie (added tokens, unigram pieces) ---- */
struct tok_trie {
    struct tok_u64map edge; /* (node << 8 | byte) -> child */
    int32_t *val;           /* per node: value or -1 */
    size_t n, cap;
};
int tok_trie_init(struct tok_trie *t);
int tok_trie_insert(struct tok_trie *t, const char *key, size_t len, int32_t val);
/* tok_trie_step: child of node by byte, or -1. */
int32_t tok_trie_step(const struct tok_trie *t, int32_t node, unsigned char b);
void tok_trie_free(struct tok_trie *t);

/* ---- the working arena of one encode ---- */
struct tok_split {
    size_t off, len;        /* range of the arena */
    int32_t id;             /* >= 0: an added token, done */
};

struct tok_match {          /* HF Pattern::find_matches output, in code points */
    size_t start, end;
    int is_match;
};

struct tok_tokens {         /* model output: id and byte span in the piece */
    int32_t *id;
    uint32_t *bs, *be;
    size_t n, cap;
};

struct tok_work {
    int32_t *cp;
    uint32_t *os, *oe;
    size_t n, cap;
    struct tok_split *sp, *sp2;
    size_t nsp, capsp, nsp2, capsp2;
    struct tok_match *mt;
    size_t nmt, capmt;
    struct buf u8;          /* a split as UTF-8 */
    uint32_t *u8cp;         /* byte offset -> code point index (n bytes + 1) */
    size_t capu8cp;
    OnigRegion *region;
    struct tok_tokens tk;
    void *scratch;          /* model scratch (bpe symbols, unigram lattice) */
    size_t capscratch;      /* in bytes: the models' items differ in size */
    void *scratch2;
    size_t capscratch2;
    char *cls;              /* ByteLevel regex classes of a split */
    size_t capcls;
    struct bpe_cache_slot *bpe_cache; /* batch calls only: words already merged */
    int bl_pending;         /* ByteLevel was the last pre-tokenizer: map each split just before the model */
};

/* A direct-mapped cache of BPE results for short words, one per batch
 * worker (HF keeps a word cache too); results never depend on it. */
#define BPE_CACHE_SLOTS 4096
#define BPE_CACHE_KEY 32
#define BPE_CACHE_TOK 12
struct bpe_cache_slot {
    uint8_t klen, ntok;
    char key[BPE_CACHE_KEY];
    int32_t id[BPE_CACHE_TOK];
    uint16_t end[BPE_CACHE_TOK];
};

int tok_ws_reserve(struct tok_work *w, size_t extra);
int tok_ws_push(struct tok_work *w, int32_t cp, uint32_t os, uint32_t oe);
int tok_ws_add_split(struct tok_work *w, size_t off, size_t len, int32_t id); /* into sp2 */
void tok_ws_swap_splits(struct tok_work *w);
int tok_ws_utf8(struct tok_work *w, size_t off, size_t len); /* fill u8 + u8cp */
int tok_ws_add_match(struct tok_work *w, size_t s, size_t e, int is_match);
int tok_tokens_push(struct tok_tokens *t, int32_t id, uint32_t bs, uint32_t be);
void tok_ws_release(struct tok_work *w);

/* ---- regex (Oniguruma, the engine HF uses, same syntax and encoding) ---- */
int tok_regex_new(regex_t **re, const char *pat, size_t len, const char *what);
/* tok_regex_new_hf: the same for a tokenizer.json pattern, with \p{L} and
 * \p{N} given HF's Unicode classes. */
int tok_regex_new_hf(regex_t **re, const char *pat, size_t len, const char *what);
/* tok_regex_literal: a regex matching the string s literally. */
int tok_regex_literal(regex_t **re, const char *s, size_t len, const char *what);
/* tok_regex_find_matches: HF find_matches of a regex over the range
 * [off, off+len) of the arena, into w->mt (code point offsets relative to
 * off), covering the whole range. */
int tok_regex_find_matches(struct tok_work *w, regex_t *re, size_t off, size_t len);

/* Unicode properties as Rust's char methods define them. */
int tok_uc_is_whitespace(int32_t cp);   /* White_Space */
int tok_uc_is_numeric(int32_t cp);      /* Nd | Nl | No */
int tok_uc_is_punct(int32_t cp);        /* P* */
int tok_uc_is_word(int32_t cp);         /* Rust regex \w */
/* tok_uc_bl_class: the class of the ByteLevel regex: 'L', 'N', 's' (\s) or 'o'. */
int tok_uc_bl_class(int32_t cp);
void tok_uc_init(void);
/* tok_uc_compat: HF's answer where it differs from utf8proc (ucd_compat.c):
 * 1 yes, 0 no, -1 no exception (ask utf8proc). */
enum { UC_PUNCT, UC_NUM, UC_OTHER, UC_MARK, UC_MN, UC_WORD, UC_BL_L, UC_BL_N, UC_BL_O, UC_CCC_ZERO };
int tok_uc_compat(int what, int32_t cp);
/* tok_uc_lower_compat: Rust's char::to_lowercase of cp where utf8proc_tolower
 * differs (U+0130 and characters newer than utf8proc): the count written
 * to out, or -1. */
int tok_uc_lower_compat(int32_t cp, int32_t out[3]);
/* tok_uc_decomp_compat: HF's full canonical (compat 0) or compatibility
 * decomposition of cp where it differs from utf8proc's: the count written
 * to out, or -1. */
int tok_uc_decomp_compat(int32_t cp, int compat, int32_t out[18]);

/* ---- split behaviors (HF SplitDelimiterBehavior) ---- */
enum tok_behavior {
    TOK_REMOVED, TOK_ISOLATED, TOK_MERGED_PREV, TOK_MERGED_NEXT, TOK_CONTIGUOUS,
};
int tok_parse_behavior(const char *s, int *out, const char *what);
/* tok_split_apply: split the range by w->mt (relative to off) with behavior;
 * append the non-empty pieces to sp2. */
int tok_split_apply(struct tok_work *w, size_t off, int behavior, int invert);

/* ---- normalizers ---- */
enum tok_norm_type {
    NORM_NFC, NORM_NFD, NORM_NFKC, NORM_NFKD, NORM_LOWERCASE, NORM_STRIP_ACCENTS,
    NORM_BERT, NORM_STRIP, NORM_REPLACE, NORM_PREPEND, NORM_PRECOMPILED, NORM_SEQUENCE,
    NORM_BYTELEVEL,
};
struct tok_norm {
    int type;
    int clean_text, chinese, strip_accents, lowercase;  /* BertNormalizer */
    int left, right;                                     /* Strip */
    regex_t *re;                                         /* Replace */
    int32_t *content;                                    /* Replace / Prepend */
    size_t ncontent;
    uint32_t *pc_trie;                                   /* Precompiled */
    size_t pc_ntrie;
    char *pc_norm;
    size_t pc_nnorm;
    struct tok_norm *sub;                                /* Sequence */
    size_t nsub;
};
int tok_norm_load(struct tok_norm *n, json_t *j, const char *what);
void tok_norm_free(struct tok_norm *n);
/* tok_norm_apply: normalize arena range [off, off+len); the result range is
 * written to *roff and *rlen (may be the input range when unchanged). */
int tok_norm_apply(const struct tok_norm *n, struct tok_work *w, size_t off, size_t len,
               size_t *roff, size_t *rlen);

/* ---- pre-tokenizers ---- */
enum tok_pretok_type {
    PRE_BYTELEVEL, PRE_BERT, PRE_WHITESPACE, PRE_WHITESPACE_SPLIT, PRE_METASPACE,
    PRE_PUNCTUATION, PRE_DIGITS, PRE_SPLIT, PRE_SEQUENCE, PRE_CHAR_DELIMITER,
};
enum { PREPEND_ALWAYS, PREPEND_FIRST, PREPEND_NEVER };
struct tok_pretok {
    int type;
    int add_prefix_space, use_regex;        /* ByteLevel */
    int32_t replacement;                    /* Metaspace; CharDelimiterSplit delimiter */
    int prepend_scheme, split;              /* Metaspace */
    int behavior, invert;                   /* Split, Punctuation */
    int individual_digits;                  /* Digits */
    regex_t *re;                            /* Split, ByteLevel, Whitespace */
    struct tok_pretok *sub;
    size_t nsub;
};
int tok_pretok_load(struct tok_pretok *p, json_t *j, const char *what);
void tok_pretok_free(struct tok_pretok *p);
/* tok_pretok_apply: pre-tokenize every split of w->sp without an id. When a
 * ByteLevel pre-tokenizer comes last, its byte-to-char map is left to the
 * caller (w->bl_pending), which maps one split at a time (less memory). */
int tok_pretok_apply(const struct tok_pretok *p, struct tok_work *w, int last);
int tok_bytelevel_map(struct tok_work *w, size_t off, size_t len, size_t *roff, size_t *rlen);

/* ---- models ---- */
enum tok_model_type { MODEL_BPE, MODEL_WORDPIECE, MODEL_UNIGRAM, MODEL_WORDLEVEL };
struct tok_model {
    int type;
    struct tok_strmap vocab;     /* token -> id */
    int32_t unk_id;              /* -1 = none */
    /* BPE */
    struct tok_u64map merges;    /* (a << 32 | b) -> (rank << 32 | new id) */
    char *prefix, *suffix;       /* continuing_subword_prefix, end_of_word_suffix */
    int fuse_unk, byte_fallback, ignore_merges;
    int32_t byte_id[256];        /* <0xXX> tokens, -1 absent */
    int32_t *char_id;            /* BPE without prefix/suffix: id of each code point < 0x800 */
    /* WordPiece */
    size_t max_chars;
    size_t max_key;              /* longest vocabulary entry, in bytes */
    /* Unigram */
    double *score;
    size_t n_pieces;
    double min_score;
    struct tok_trie trie;
};
int tok_model_load(struct tok_model *m, json_t *j, const char *what);
void tok_model_free(struct tok_model *m);
int tok_model_tokenize(const struct tok_model *m, struct tok_work *w, const char *s, size_t n);
int tok_bpe_load(struct tok_model *m, json_t *j, const char *what);
int tok_bpe_tokenize(const struct tok_model *m, struct tok_work *w, const char *s, size_t n);
int tok_wordpiece_load(struct tok_model *m, json_t *j, const char *what);
int tok_wordpiece_tokenize(const struct tok_model *m, struct tok_work *w, const char *s, size_t n);
int tok_unigram_load(struct tok_model *m, json_t *j, const char *what);
int tok_unigram_tokenize(const struct tok_model *m, struct tok_work *w, const char *s, size_t n);
int tok_vocab_load_object(struct tok_strmap *v, json_t *j, const char *what);

/* ---- added tokens ---- */
struct tok_added_token {
    char *content;
    size_t len;
    int32_t id;
    int special, lstrip, rstrip, single_word, normalized;
};
struct tok_added {
    struct tok_added_token *tok;
    size_t n;
    struct tok_trie raw, norm;   /* value = index into tok */
};
struct tok;
int tok_added_load(struct tok *t, json_t *arr, const char *what);
int tok_added_load_config(struct tok *t, json_t *config, json_t *special_map, const char *what_config,
                      const char *what_map);
int tok_added_build(struct tok *t);
void tok_added_free(struct tok_added *a);
/* tok_added_split: split every split of w->sp without id by the trie (raw or
 * normalized), HF AddedVocabulary::find_matches. */
int tok_added_split(const struct tok_added *a, const struct tok_trie *trie, struct tok_work *w);

/* ---- post-processors ---- */
enum tok_post_type { POST_TEMPLATE, POST_BYTELEVEL, POST_SEQUENCE };
struct tok_piece {               /* one item of a single-sequence template */
    int is_seq;
    int32_t *ids;
    size_t nids;
};
struct tok_post {
    int type;
    struct tok_piece *item;
    size_t nitem;
    struct tok_post *sub;
    size_t nsub;
};
int tok_post_load(struct tok *t, struct tok_post *p, json_t *j, const char *what);
void tok_post_free(struct tok_post *p);
/* tok_post_n_added: special tokens added around a single sequence. */
size_t tok_post_n_added(const struct tok_post *p);

/* ---- the tokenizer ---- */
struct tok {
    struct tok_model model;
    struct tok_norm *norm;       /* NULL = none */
    struct tok_pretok *pre;
    struct tok_post *post;
    struct tok_added added;
    int max_length;
    int do_lower_case;           /* sentence_bert_config.json */
    size_t vocab_size;
    const char **id_to_token;    /* borrowed pointers into vocab / added */
    char *path;
};

#endif
