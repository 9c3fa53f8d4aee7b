/*
 * normalize.c - tokenizer.json normalizers (HF tokenizers src/normalizers/):
 * NFC, NFD, NFKC, NFKD, Lowercase, StripAccents, BertNormalizer, Strip,
 * Replace, Prepend, Precompiled (SentencePiece charsmap), ByteLevel,
 * Sequence.
 *
 * Unicode data comes from utf8proc. The NF* forms are computed code point by
 * code point (decompose, canonical reordering, canonical composition) so
 * that every output code point keeps the input span it came from; the
 * composition of a pair is asked of utf8proc itself. Precompiled follows
 * spm_precompiled as HF uses it, quirks included: graphemes shorter than 6
 * bytes are looked up whole, and the first (shortest) prefix match of the
 * double-array trie replaces the whole grapheme.
 *
 * Not done: the Nmt normalizer, Lowercase's context-dependent final sigma
 * (Rust's char::to_lowercase has none either).
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <utf8proc.h>

#include "common/err.h"
#include "common/mem.h"
#include "common/utf8.h"
#include "ingest/tokenizer/tok_impl.h"

/* ---- Unicode normalization forms with alignment ---- */

static int ccc(int32_t cp)
{
    if (cp < 0x300) return 0;
    int c = utf8proc_get_property(cp)->combining_class;
    return c && tok_uc_compat(UC_CCC_ZERO, cp) == 1 ? 0 : c;
}

#define SBASE 0xAC00
#define LBASE 0x1100
#define VBASE 0x1161
#define TBASE 0x11A7
#define LCOUNT 19
#define VCOUNT 21
#define TCOUNT 28
#define SCOUNT (LCOUNT * VCOUNT * TCOUNT)

/* compose_pair: the primary composite of (a, b), or -1. */
static int32_t compose_pair(int32_t a, int32_t b)
{
    if (a >= LBASE && a < LBASE + LCOUNT && b >= VBASE && b < VBASE + VCOUNT)
        return SBASE + ((a - LBASE) * VCOUNT + (b - VBASE)) * TCOUNT;
    if (a >= SBASE && a < SBASE + SCOUNT && (a - SBASE) % TCOUNT == 0 && b > TBASE &&
        b < TBASE + TCOUNT)
        return a + (b - TBASE);
    const utf8proc_property_t *pa = utf8proc_get_property(a), *pb = utf8proc_get_property(b);
    if (pa->comb_index >= 0x8000 || pb->comb_index == UINT16_MAX || pb->comb_index < 0x8000)
        return -1;
    utf8proc_int32_t buf[2] = { a, b };
    if (utf8proc_normalize_utf32(buf, 2, UTF8PROC_COMPOSE | UTF8PROC_STABLE) != 1) return -1;
    int32_t d[18]; /* a composite HF's older tables do not have */
    if (tok_uc_decomp_compat(buf[0], 0, d) == 1 && d[0] == buf[0]) return -1;
    return buf[0];
}

static int norm_unicode(struct tok_work *w, size_t off, size_t len, int compat, int compose,
                        size_t *roff, size_t *rlen)
{
    /* ASCII is invariant under every form */
    size_t i;
    for (i = 0; i < len && w->cp[off + i] < 0x80; i++) {}
    if (i == len) {
        *roff = off;
        *rlen = len;
        return 0;
    }
    size_t start = w->n;
    utf8proc_option_t opt = UTF8PROC_DECOMPOSE | (compat ? UTF8PROC_COMPAT : 0);
    for (i = 0; i < len; i++) {
        int32_t cp = w->cp[off + i], d[32];
        uint32_t os = w->os[off + i], oe = w->oe[off + i];
        if (cp < 0x80) {
            FORWARD_ERR(tok_ws_push(w, cp, os, oe));
            continue;
        }
        int bc = 0;
        utf8proc_ssize_t k = tok_uc_decomp_compat(cp, compat, d);
        if (k < 0) k = utf8proc_decompose_char(cp, d, 32, opt, &bc);
        if (k < 0 || k > 32) {
            d[0] = cp;
            k = 1;
        }
        for (utf8proc_ssize_t j = 0; j < k; j++) FORWARD_ERR(tok_ws_push(w, d[j], os, oe));
    }
    size_t end = w->n;
    /* canonical ordering: stable insertion sort of each run of non-starters */
    for (i = start + 1; i < end; i++) {
        int c = ccc(w->cp[i]);
        if (!c) continue;
        for (size_t j = i; j > start; j--) {
            int p = ccc(w->cp[j - 1]);
            if (p == 0 || p <= c) break;
            int32_t t = w->cp[j]; w->cp[j] = w->cp[j - 1]; w->cp[j - 1] = t;
            uint32_t a = w->os[j]; w->os[j] = w->os[j - 1]; w->os[j - 1] = a;
            a = w->oe[j]; w->oe[j] = w->oe[j - 1]; w->oe[j - 1] = a;
        }
    }
    if (compose) {
        size_t wr = start;
        long starter = -1;
        int last = -1; /* ccc of the last char written after the starter, -1 = none */
        for (i = start; i < end; i++) {
            int32_t c = w->cp[i];
            int cc = ccc(c);
            uint32_t os = w->os[i], oe = w->oe[i];
            if (starter >= 0 && (last == -1 || (last != 0 && last < cc))) {
                int32_t comp = compose_pair(w->cp[starter], c);
                if (comp >= 0) {
                    w->cp[starter] = comp;
                    if (os < w->os[starter]) w->os[starter] = os;
                    if (oe > w->oe[starter]) w->oe[starter] = oe;
                    continue;
                }
            }
            w->cp[wr] = c;
            w->os[wr] = os;
            w->oe[wr] = oe;
            if (cc == 0) {
                starter = (long)wr;
                last = -1;
            } else {
                last = cc;
            }
            wr++;
        }
        w->n = wr;
    }
    *roff = start;
    *rlen = w->n - start;
    return 0;
}

/* ---- simple per-character maps ---- */

static int32_t lower1(int32_t cp)
{
    if (cp < 0x80) return cp >= 'A' && cp <= 'Z' ? cp + 32 : cp;
    return utf8proc_tolower(cp);
}

static int norm_lowercase(struct tok_work *w, size_t off, size_t len, size_t *roff, size_t *rlen)
{
    size_t start = w->n;
    FORWARD_ERR(tok_ws_reserve(w, len + 8));
    for (size_t i = 0; i < len; i++) {
        int32_t cp = w->cp[off + i];
        uint32_t os = w->os[off + i], oe = w->oe[off + i];
        int32_t lo[3];
        int k = cp < 0x80 ? -1 : tok_uc_lower_compat(cp, lo);
        if (k < 0) {
            FORWARD_ERR(tok_ws_push(w, lower1(cp), os, oe));
            continue;
        }
        for (int j = 0; j < k; j++) FORWARD_ERR(tok_ws_push(w, lo[j], os, oe));
    }
    *roff = start;
    *rlen = w->n - start;
    return 0;
}

static int is_mn(int32_t cp)
{
    int x = cp < 0x300 ? 0 : tok_uc_compat(UC_MN, cp);
    if (x >= 0) return x;
    return cp >= 0x300 && utf8proc_category(cp) == UTF8PROC_CATEGORY_MN;
}

/* is_mark: StripAccents' is_combining_mark (Mn, Mc, Me) */
static int is_mark(int32_t cp)
{
    if (cp < 0x300) return 0;
    int x = tok_uc_compat(UC_MARK, cp);
    if (x >= 0) return x;
    utf8proc_category_t c = utf8proc_category(cp);
    return c == UTF8PROC_CATEGORY_MN || c == UTF8PROC_CATEGORY_MC || c == UTF8PROC_CATEGORY_ME;
}

static int norm_filter_mn(struct tok_work *w, size_t off, size_t len, int (*drop)(int32_t),
                          size_t *roff, size_t *rlen)
{
    size_t start = w->n;
    FORWARD_ERR(tok_ws_reserve(w, len));
    for (size_t i = 0; i < len; i++)
        if (!drop(w->cp[off + i])) FORWARD_ERR(tok_ws_push(w, w->cp[off + i], w->os[off + i], w->oe[off + i]));
    *roff = start;
    *rlen = w->n - start;
    return 0;
}

/* ---- BertNormalizer (normalizers/bert.rs) ---- */

static int bert_is_control(int32_t cp)
{
    if (cp == '\t' || cp == '\n' || cp == '\r') return 0;
    int x = tok_uc_compat(UC_OTHER, cp);
    if (x >= 0) return x;
    utf8proc_category_t c = utf8proc_category(cp);
    return c == UTF8PROC_CATEGORY_CC || c == UTF8PROC_CATEGORY_CF || c == UTF8PROC_CATEGORY_CO;
}

static int is_chinese(int32_t c)
{
    return (c >= 0x4E00 && c <= 0x9FFF) || (c >= 0x3400 && c <= 0x4DBF) ||
           (c >= 0x20000 && c <= 0x2A6DF) || (c >= 0x2A700 && c <= 0x2B73F) ||
           (c >= 0x2B740 && c <= 0x2B81F) || (c >= 0x2B920 && c <= 0x2CEAF) ||
           (c >= 0xF900 && c <= 0xFAFF) || (c >= 0x2F800 && c <= 0x2FA1F);
}

static int norm_bert(const struct tok_norm *n, struct tok_work *w, size_t off, size_t len,
                     size_t *roff, size_t *rlen)
{
    if (n->clean_text || n->chinese) {
        size_t start = w->n;
        for (size_t i = 0; i < len; i++) {
            int32_t cp = w->cp[off + i];
            uint32_t os = w->os[off + i], oe = w->oe[off + i];
            if (n->clean_text) {
                if (cp == 0 || cp == 0xFFFD || bert_is_control(cp)) continue;
                if (cp == '\t' || cp == '\n' || cp == '\r' || tok_uc_is_whitespace(cp)) cp = ' ';
            }
            if (n->chinese && is_chinese(cp)) {
                FORWARD_ERR(tok_ws_push(w, ' ', os, oe));
                FORWARD_ERR(tok_ws_push(w, cp, os, oe));
                FORWARD_ERR(tok_ws_push(w, ' ', os, oe));
            } else {
                FORWARD_ERR(tok_ws_push(w, cp, os, oe));
            }
        }
        off = start;
        len = w->n - start;
    }
    if (n->strip_accents) {
        FORWARD_ERR(norm_unicode(w, off, len, 0, 0, &off, &len));
        FORWARD_ERR(norm_filter_mn(w, off, len, is_mn, &off, &len));
    }
    if (n->lowercase) FORWARD_ERR(norm_lowercase(w, off, len, &off, &len));
    *roff = off;
    *rlen = len;
    return 0;
}

/* ---- Precompiled (spm_precompiled) ---- */

/* Darts-clone double-array unit accessors */
static uint32_t da_offset(uint32_t u) { return (u >> 10) << ((u & (1u << 9)) >> 6); }
static uint32_t da_label(uint32_t u) { return u & ((1u << 31) | 0xFF); }
static int da_has_leaf(uint32_t u) { return (u >> 8) & 1; }
static uint32_t da_value(uint32_t u) { return u & ((1u << 31) - 1); }

/* pc_transform: the replacement for the first prefix of s[0..len) found in
 * the trie (what spm's transform() returns), or NULL. */
static const char *pc_transform(const struct tok_norm *n, const char *s, size_t len, size_t *rlen)
{
    const uint32_t *a = n->pc_trie;
    size_t na = n->pc_ntrie;
    if (!na) return NULL;
    size_t pos = da_offset(a[0]);
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        pos ^= c;
        if (pos >= na) return NULL;
        uint32_t u = a[pos];
        if (da_label(u) != c) return NULL;
        pos ^= da_offset(u);
        if (pos >= na) return NULL;
        if (da_has_leaf(u)) {
            size_t idx = da_value(a[pos]);
            if (idx >= n->pc_nnorm) return NULL;
            size_t e = idx;
            while (e < n->pc_nnorm && n->pc_norm[e]) e++;
            *rlen = e - idx;
            return n->pc_norm + idx;
        }
    }
    return NULL;
}

static int push_utf8(struct tok_work *w, const char *s, size_t len, uint32_t os, uint32_t oe)
{
    size_t i = 0;
    while (i < len) {
        int32_t cp;
        i += utf8_decode(s + i, len - i, &cp);
        FORWARD_ERR(tok_ws_push(w, cp < 0 ? 0xFFFD : cp, os, oe));
    }
    return 0;
}

static int norm_precompiled(const struct tok_norm *n, struct tok_work *w, size_t off, size_t len,
                            size_t *roff, size_t *rlen)
{
    size_t start = w->n;
    size_t g = 0;
    char tmp[64];
    while (g < len) {
        /* one extended grapheme cluster [g, e) */
        utf8proc_int32_t state = 0;
        size_t e = g + 1;
        while (e < len && !utf8proc_grapheme_break_stateful(w->cp[off + e - 1], w->cp[off + e], &state))
            e++;
        size_t nb = 0;
        for (size_t i = g; i < e && nb < 6; i++) nb += utf8_encode(w->cp[off + i], tmp + nb);
        if (nb < 6) {
            size_t rl;
            const char *r = pc_transform(n, tmp, nb, &rl);
            if (r) {
                FORWARD_ERR(push_utf8(w, r, rl, w->os[off + g], w->oe[off + e - 1]));
                g = e;
                continue;
            }
        }
        for (size_t i = g; i < e; i++) {
            size_t k = utf8_encode(w->cp[off + i], tmp), rl;
            const char *r = pc_transform(n, tmp, k, &rl);
            if (r) FORWARD_ERR(push_utf8(w, r, rl, w->os[off + i], w->oe[off + i]));
            else FORWARD_ERR(tok_ws_push(w, w->cp[off + i], w->os[off + i], w->oe[off + i]));
        }
        g = e;
    }
    *roff = start;
    *rlen = w->n - start;
    return 0;
}

static int b64val(int c)
{
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a' + 26;
    if (c >= '0' && c <= '9') return c - '0' + 52;
    if (c == '+') return 62;
    if (c == '/') return 63;
    return -1;
}

static int load_precompiled(struct tok_norm *n, const char *b64, const char *what)
{
    size_t len = strlen(b64);
    unsigned char *raw = mem_alloc(len / 4 * 3 + 3);
    if (!raw) return err_nomem();
    size_t nr = 0;
    uint32_t acc = 0;
    int bits = 0;
    for (size_t i = 0; i < len; i++) {
        if (b64[i] == '=') break;
        int v = b64val((unsigned char)b64[i]);
        if (v < 0) {
            mem_free(raw);
            return err_set(ERR_FORMAT, "%s: precompiled_charsmap is not base64", what);
        }
        acc = acc << 6 | (uint32_t)v;
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            raw[nr++] = (unsigned char)(acc >> bits);
        }
    }
    if (nr < 4) {
        mem_free(raw);
        if (nr == 0) return 0; /* empty charsmap: identity */
        return err_set(ERR_FORMAT, "%s: precompiled_charsmap too short", what);
    }
    uint32_t tsize = raw[0] | raw[1] << 8 | raw[2] << 16 | (uint32_t)raw[3] << 24;
    if (tsize % 4 || tsize > nr - 4) {
        mem_free(raw);
        return err_set(ERR_FORMAT, "%s: precompiled_charsmap trie size %u exceeds its %zu bytes",
                       what, tsize, nr);
    }
    n->pc_ntrie = tsize / 4;
    n->pc_trie = mem_alloc_array(n->pc_ntrie ? n->pc_ntrie : 1, sizeof(uint32_t));
    n->pc_nnorm = nr - 4 - tsize;
    n->pc_norm = mem_alloc(n->pc_nnorm + 1);
    if (!n->pc_trie || !n->pc_norm) {
        mem_free(raw);
        return err_nomem();
    }
    for (size_t i = 0; i < n->pc_ntrie; i++) {
        const unsigned char *p = raw + 4 + 4 * i;
        n->pc_trie[i] = p[0] | p[1] << 8 | p[2] << 16 | (uint32_t)p[3] << 24;
    }
    if (n->pc_nnorm) memcpy(n->pc_norm, raw + 4 + tsize, n->pc_nnorm);
    n->pc_norm[n->pc_nnorm] = 0;
    mem_free(raw);
    return 0;
}

/* ---- Strip, Replace, Prepend, ByteLevel ---- */

static int norm_strip(const struct tok_norm *n, struct tok_work *w, size_t off, size_t len,
                      size_t *roff, size_t *rlen)
{
    size_t s = 0, e = len;
    if (n->left)
        while (s < e && tok_uc_is_whitespace(w->cp[off + s])) s++;
    if (n->right)
        while (e > s && tok_uc_is_whitespace(w->cp[off + e - 1])) e--;
    *roff = off + s;
    *rlen = e - s;
    return 0;
}

static int norm_replace(const struct tok_norm *n, struct tok_work *w, size_t off, size_t len,
                        size_t *roff, size_t *rlen)
{
    FORWARD_ERR(tok_regex_find_matches(w, n->re, off, len));
    size_t start = w->n;
    for (size_t k = 0; k < w->nmt; k++) {
        struct tok_match m = w->mt[k];
        if (!m.is_match) {
            for (size_t i = m.start; i < m.end; i++)
                FORWARD_ERR(tok_ws_push(w, w->cp[off + i], w->os[off + i], w->oe[off + i]));
            continue;
        }
        uint32_t os, oe;
        if (m.end > m.start) {
            os = w->os[off + m.start];
            oe = w->oe[off + m.end - 1];
        } else {
            os = oe = m.start < len ? w->os[off + m.start] : (len ? w->oe[off + len - 1] : 0);
        }
        for (size_t i = 0; i < n->ncontent; i++) FORWARD_ERR(tok_ws_push(w, n->content[i], os, oe));
    }
    *roff = start;
    *rlen = w->n - start;
    return 0;
}

static int norm_prepend(const struct tok_norm *n, struct tok_work *w, size_t off, size_t len,
                        size_t *roff, size_t *rlen)
{
    if (!len) {
        *roff = off;
        *rlen = 0;
        return 0;
    }
    size_t start = w->n;
    uint32_t os = w->os[off], oe = w->oe[off];
    for (size_t i = 0; i < n->ncontent; i++) FORWARD_ERR(tok_ws_push(w, n->content[i], os, oe));
    for (size_t i = 0; i < len; i++) FORWARD_ERR(tok_ws_push(w, w->cp[off + i], w->os[off + i], w->oe[off + i]));
    *roff = start;
    *rlen = w->n - start;
    return 0;
}

/* byte_char: GPT-2's printable stand-in for each byte (pre_tokenizers/byte_level.rs). */
int32_t tok_byte_char(unsigned char b)
{
    if ((b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || b >= 0xAE) return b;
    /* the others, in byte order, become 256, 257, ... */
    int k = 0;
    for (int x = 0; x < b; x++)
        if (!((x >= '!' && x <= '~') || (x >= 0xA1 && x <= 0xAC) || x >= 0xAE)) k++;
    return 256 + k;
}

static int32_t byte_map[256];
static pthread_once_t byte_map_once = PTHREAD_ONCE_INIT;
static void byte_map_init(void)
{
    for (int b = 0; b < 256; b++) byte_map[b] = tok_byte_char((unsigned char)b);
}

int tok_bytelevel_map(struct tok_work *w, size_t off, size_t len, size_t *roff, size_t *rlen)
{
    pthread_once(&byte_map_once, byte_map_init);
    const int32_t *map = byte_map;
    size_t start = w->n;
    FORWARD_ERR(tok_ws_reserve(w, len * 4));
    for (size_t i = 0; i < len; i++) {
        char u[4];
        size_t k = utf8_encode(w->cp[off + i], u);
        uint32_t os = w->os[off + i], oe = w->oe[off + i];
        for (size_t j = 0; j < k; j++) FORWARD_ERR(tok_ws_push(w, map[(unsigned char)u[j]], os, oe));
    }
    *roff = start;
    *rlen = w->n - start;
    return 0;
}

/* ---- dispatch ---- */

int tok_norm_apply(const struct tok_norm *n, struct tok_work *w, size_t off, size_t len,
               size_t *roff, size_t *rlen)
{
    switch (n->type) {
    case NORM_NFC: return norm_unicode(w, off, len, 0, 1, roff, rlen);
    case NORM_NFD: return norm_unicode(w, off, len, 0, 0, roff, rlen);
    case NORM_NFKC: return norm_unicode(w, off, len, 1, 1, roff, rlen);
    case NORM_NFKD: return norm_unicode(w, off, len, 1, 0, roff, rlen);
    case NORM_LOWERCASE: return norm_lowercase(w, off, len, roff, rlen);
    case NORM_STRIP_ACCENTS: return norm_filter_mn(w, off, len, is_mark, roff, rlen);
    case NORM_BERT: return norm_bert(n, w, off, len, roff, rlen);
    case NORM_STRIP: return norm_strip(n, w, off, len, roff, rlen);
    case NORM_REPLACE: return norm_replace(n, w, off, len, roff, rlen);
    case NORM_PREPEND: return norm_prepend(n, w, off, len, roff, rlen);
    case NORM_PRECOMPILED:
        if (!n->pc_ntrie) break;
        return norm_precompiled(n, w, off, len, roff, rlen);
    case NORM_BYTELEVEL: return tok_bytelevel_map(w, off, len, roff, rlen);
    case NORM_SEQUENCE:
        for (size_t i = 0; i < n->nsub; i++) FORWARD_ERR(tok_norm_apply(&n->sub[i], w, off, len, &off, &len));
        break;
    }
    *roff = off;
    *rlen = len;
    return 0;
}

/* ---- loading ---- */

static int utf8_to_cps(const char *s, int32_t **out, size_t *n)
{
    size_t len = strlen(s), k = 0;
    int32_t *c = mem_alloc_array(len + 1, sizeof *c);
    if (!c) return err_nomem();
    for (size_t i = 0; i < len;) {
        int32_t cp;
        i += utf8_decode(s + i, len - i, &cp);
        c[k++] = cp < 0 ? 0xFFFD : cp;
    }
    *out = c;
    *n = k;
    return 0;
}

/* load_pattern: {"String": s} or {"Regex": r} (HF normalizers/replace.rs,
 * pre_tokenizers/split.rs). */
int tok_load_pattern(json_t *pat, regex_t **re, const char *what)
{
    json_t *s = json_object_get(pat, "String"), *r = json_object_get(pat, "Regex");
    if (json_is_string(s)) return tok_regex_literal(re, json_string_value(s), json_string_length(s), what);
    if (json_is_string(r)) return tok_regex_new_hf(re, json_string_value(r), json_string_length(r), what);
    return err_set(ERR_FORMAT, "%s: pattern must be {\"String\": ...} or {\"Regex\": ...}", what);
}

int tok_norm_load(struct tok_norm *n, json_t *j, const char *what)
{
    memset(n, 0, sizeof *n);
    const char *type = json_string_value(json_object_get(j, "type"));
    if (!type) return err_set(ERR_FORMAT, "%s: normalizer without a \"type\"", what);
    if (!strcmp(type, "NFC")) n->type = NORM_NFC;
    else if (!strcmp(type, "NFD")) n->type = NORM_NFD;
    else if (!strcmp(type, "NFKC")) n->type = NORM_NFKC;
    else if (!strcmp(type, "NFKD")) n->type = NORM_NFKD;
    else if (!strcmp(type, "Lowercase")) n->type = NORM_LOWERCASE;
    else if (!strcmp(type, "StripAccents")) n->type = NORM_STRIP_ACCENTS;
    else if (!strcmp(type, "ByteLevel")) n->type = NORM_BYTELEVEL;
    else if (!strcmp(type, "BertNormalizer")) {
        n->type = NORM_BERT;
        n->clean_text = n->chinese = n->lowercase = 1;
        FORWARD_ERR(json_get_bool(j, "clean_text", what, &n->clean_text));
        FORWARD_ERR(json_get_bool(j, "handle_chinese_chars", what, &n->chinese));
        FORWARD_ERR(json_get_bool(j, "lowercase", what, &n->lowercase));
        n->strip_accents = n->lowercase; /* null: follow lowercase, as BertNormalizer does */
        FORWARD_ERR(json_get_bool(j, "strip_accents", what, &n->strip_accents));
    } else if (!strcmp(type, "Strip")) {
        n->type = NORM_STRIP;
        n->left = n->right = 1;
        FORWARD_ERR(json_get_bool(j, "strip_left", what, &n->left));
        FORWARD_ERR(json_get_bool(j, "strip_right", what, &n->right));
    } else if (!strcmp(type, "Replace")) {
        n->type = NORM_REPLACE;
        const char *content = json_string_value(json_object_get(j, "content"));
        if (!content) return err_set(ERR_FORMAT, "%s: Replace without \"content\"", what);
        FORWARD_ERR(tok_load_pattern(json_object_get(j, "pattern"), &n->re, what));
        FORWARD_ERR(utf8_to_cps(content, &n->content, &n->ncontent));
    } else if (!strcmp(type, "Prepend")) {
        n->type = NORM_PREPEND;
        const char *p = json_string_value(json_object_get(j, "prepend"));
        if (!p) return err_set(ERR_FORMAT, "%s: Prepend without \"prepend\"", what);
        FORWARD_ERR(utf8_to_cps(p, &n->content, &n->ncontent));
    } else if (!strcmp(type, "Precompiled")) {
        n->type = NORM_PRECOMPILED;
        const char *b64 = json_string_value(json_object_get(j, "precompiled_charsmap"));
        if (!b64) return err_set(ERR_FORMAT, "%s: Precompiled without \"precompiled_charsmap\"", what);
        FORWARD_ERR(load_precompiled(n, b64, what));
    } else if (!strcmp(type, "Sequence")) {
        n->type = NORM_SEQUENCE;
        json_t *arr = json_object_get(j, "normalizers");
        if (!json_is_array(arr)) return err_set(ERR_FORMAT, "%s: Sequence without \"normalizers\"", what);
        n->nsub = json_array_size(arr);
        n->sub = mem_calloc(n->nsub ? n->nsub : 1, sizeof *n->sub);
        if (!n->sub) return err_nomem();
        for (size_t i = 0; i < n->nsub; i++) {
            int rc = tok_norm_load(&n->sub[i], json_array_get(arr, i), what);
            if (rc < 0) {
                n->nsub = i + 1;
                return rc;
            }
        }
    } else {
        return err_set(ERR_UNSUPPORTED, "%s: unsupported normalizer type '%s'", what, type);
    }
    return 0;
}

void tok_norm_free(struct tok_norm *n)
{
    if (!n) return;
    if (n->re) onig_free(n->re);
    mem_free(n->content);
    mem_free(n->pc_trie);
    mem_free(n->pc_norm);
    for (size_t i = 0; i < n->nsub; i++) tok_norm_free(&n->sub[i]);
    mem_free(n->sub);
}
