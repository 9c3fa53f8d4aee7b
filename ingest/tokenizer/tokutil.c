/*
 * tokutil.c - the tokenizer's plumbing: vocabulary hash maps, a byte trie,
 * the per-call working arena, Oniguruma regex matching with the exact
 * iteration rules of the Rust `onig` crate HF uses, Unicode predicates
 * matching Rust's char methods, and HF's split behaviors.
 */
#include <pthread.h>
#include <string.h>
#include <utf8proc.h>

#include "common/err.h"
#include "common/hash.h"
#include "common/mem.h"
#include "common/utf8.h"
#include "ingest/tokenizer/tok_impl.h"

/* ---- string map ---- */

static int strmap_grow(struct tok_strmap *m)
{
    size_t nslot = m->nslot ? m->nslot * 2 : 1024;
    uint32_t *slot = mem_calloc(nslot, sizeof *slot);
    if (!slot) return err_nomem();
    for (size_t i = 0; i < m->n; i++) {
        uint64_t h = hash64(m->blob.data + m->koff[i], m->klen[i], 0);
        size_t j = h & (nslot - 1);
        while (slot[j]) j = (j + 1) & (nslot - 1);
        slot[j] = (uint32_t)i + 1;
    }
    mem_free(m->slot);
    m->slot = slot;
    m->nslot = nslot;
    return 0;
}

int32_t tok_strmap_get(const struct tok_strmap *m, const char *key, size_t len)
{
    if (!m->nslot) return -1;
    size_t j = hash64(key, len, 0) & (m->nslot - 1);
    while (m->slot[j]) {
        size_t i = m->slot[j] - 1;
        if (m->klen[i] == len && !memcmp(m->blob.data + m->koff[i], key, len)) return m->val[i];
        j = (j + 1) & (m->nslot - 1);
    }
    return -1;
}

int tok_strmap_put(struct tok_strmap *m, const char *key, size_t len, int32_t val)
{
    if (len > UINT32_MAX) return err_set(ERR_FORMAT, "token of %zu bytes", len);
    if ((m->n + 1) * 2 > m->nslot && strmap_grow(m) < 0) return err_nomem();
    size_t j = hash64(key, len, 0) & (m->nslot - 1);
    while (m->slot[j]) {
        size_t i = m->slot[j] - 1;
        if (m->klen[i] == len && !memcmp(m->blob.data + m->koff[i], key, len)) {
            m->val[i] = val;
            return 0;
        }
        j = (j + 1) & (m->nslot - 1);
    }
    if (m->n == m->cap) {
        size_t cap = mem_next_cap(m->cap, m->n + 1);
        FORWARD_ERR(MEM_RESIZE(m->koff, cap));
        FORWARD_ERR(MEM_RESIZE(m->klen, cap));
        FORWARD_ERR(MEM_RESIZE(m->val, cap));
        m->cap = cap;
    }
    if (m->blob.len > UINT32_MAX - len - 1) return err_set(ERR_FORMAT, "vocabulary too large");
    m->koff[m->n] = (uint32_t)m->blob.len;
    m->klen[m->n] = (uint32_t)len;
    m->val[m->n] = val;
    if (buf_append(&m->blob, key, len) < 0 || buf_putc(&m->blob, 0) < 0) return err_nomem();
    m->slot[j] = (uint32_t)++m->n;
    return 0;
}

void tok_strmap_free(struct tok_strmap *m)
{
    buf_release(&m->blob);
    mem_free(m->koff);
    mem_free(m->klen);
    mem_free(m->val);
    mem_free(m->slot);
    memset(m, 0, sizeof *m);
}

/* ---- u64 map ---- */

static size_t u64_slot(uint64_t k, size_t mask)
{
    k ^= k >> 33;
    k *= 0xff51afd7ed558ccdULL;
    k ^= k >> 33;
    return (size_t)k & mask;
}

int tok_u64map_put(struct tok_u64map *m, uint64_t key, uint64_t val)
{
    if ((m->n + 1) * 2 > (m->mask ? m->mask + 1 : 0)) {
        size_t ns = m->mask ? (m->mask + 1) * 2 : 1024;
        uint64_t *k = mem_calloc(ns, sizeof *k), *v = mem_alloc_array(ns, sizeof *v);
        if (!k || !v) {
            mem_free(k);
            mem_free(v);
            return err_nomem();
        }
        for (size_t i = 0; m->mask && i <= m->mask; i++) {
            if (!m->key[i]) continue;
            size_t j = u64_slot(m->key[i] - 1, ns - 1);
            while (k[j]) j = (j + 1) & (ns - 1);
            k[j] = m->key[i];
            v[j] = m->val[i];
        }
        mem_free(m->key);
        mem_free(m->val);
        m->key = k;
        m->val = v;
        m->mask = ns - 1;
    }
    size_t j = u64_slot(key, m->mask);
    while (m->key[j] && m->key[j] != key + 1) j = (j + 1) & m->mask;
    if (!m->key[j]) m->n++;
    m->key[j] = key + 1;
    m->val[j] = val;
    return 0;
}

int tok_u64map_get(const struct tok_u64map *m, uint64_t key, uint64_t *val)
{
    if (!m->key) return 0;
    size_t j = u64_slot(key, m->mask);
    while (m->key[j]) {
        if (m->key[j] == key + 1) {
            *val = m->val[j];
            return 1;
        }
        j = (j + 1) & m->mask;
    }
    return 0;
}

void tok_u64map_free(struct tok_u64map *m)
{
    mem_free(m->key);
    mem_free(m->val);
    memset(m, 0, sizeof *m);
}

/* ---- trie ---- */

static int trie_new_node(struct tok_trie *t)
{
    FORWARD_ERR(MEM_GROW(t->val, t->n + 1, t->cap));
    t->val[t->n] = -1;
    return (int)t->n++;
}

int tok_trie_init(struct tok_trie *t)
{
    memset(t, 0, sizeof *t);
    return trie_new_node(t) < 0 ? err_nomem() : 0;
}

int32_t tok_trie_step(const struct tok_trie *t, int32_t node, unsigned char b)
{
    uint64_t v;
    if (!tok_u64map_get(&t->edge, (uint64_t)node << 8 | b, &v)) return -1;
    return (int32_t)v;
}

int tok_trie_insert(struct tok_trie *t, const char *key, size_t len, int32_t val)
{
    int32_t node = 0;
    for (size_t i = 0; i < len; i++) {
        int32_t c = tok_trie_step(t, node, (unsigned char)key[i]);
        if (c < 0) {
            int nn = trie_new_node(t);
            if (nn < 0) return nn;
            FORWARD_ERR(tok_u64map_put(&t->edge, (uint64_t)node << 8 | (unsigned char)key[i], (uint64_t)nn));
            c = nn;
        }
        node = c;
    }
    t->val[node] = val;
    return 0;
}

void tok_trie_free(struct tok_trie *t)
{
    tok_u64map_free(&t->edge);
    mem_free(t->val);
    memset(t, 0, sizeof *t);
}

/* ---- working arena ---- */

int tok_ws_reserve(struct tok_work *w, size_t extra)
{
    if (w->n + extra <= w->cap) return 0;
    size_t cap = mem_next_cap(w->cap, w->n + extra);
    FORWARD_ERR(MEM_RESIZE(w->cp, cap));
    FORWARD_ERR(MEM_RESIZE(w->os, cap));
    FORWARD_ERR(MEM_RESIZE(w->oe, cap));
    w->cap = cap;
    return 0;
}

int tok_ws_push(struct tok_work *w, int32_t cp, uint32_t os, uint32_t oe)
{
    if (w->n == w->cap) FORWARD_ERR(tok_ws_reserve(w, 1));
    w->cp[w->n] = cp;
    w->os[w->n] = os;
    w->oe[w->n] = oe;
    w->n++;
    return 0;
}

int tok_ws_add_split(struct tok_work *w, size_t off, size_t len, int32_t id)
{
    FORWARD_ERR(MEM_GROW(w->sp2, w->nsp2 + 1, w->capsp2));
    w->sp2[w->nsp2++] = (struct tok_split){ off, len, id };
    return 0;
}

void tok_ws_swap_splits(struct tok_work *w)
{
    struct tok_split *s = w->sp;
    size_t c = w->capsp;
    w->sp = w->sp2;
    w->nsp = w->nsp2;
    w->capsp = w->capsp2;
    w->sp2 = s;
    w->capsp2 = c;
    w->nsp2 = 0;
}

int tok_ws_add_match(struct tok_work *w, size_t s, size_t e, int is_match)
{
    FORWARD_ERR(MEM_GROW(w->mt, w->nmt + 1, w->capmt));
    w->mt[w->nmt++] = (struct tok_match){ s, e, is_match };
    return 0;
}

int tok_ws_utf8(struct tok_work *w, size_t off, size_t len)
{
    buf_reset(&w->u8);
    if (buf_reserve(&w->u8, len * 4) < 0) return err_nomem();
    if (w->capu8cp < len * 4 + 1) {
        size_t cap = len * 4 + 1;
        uint32_t *m = mem_realloc(w->u8cp, cap * sizeof *m);
        if (!m) return err_nomem();
        w->u8cp = m;
        w->capu8cp = cap;
    }
    char *d = w->u8.data;
    size_t nb = 0;
    for (size_t i = 0; i < len; i++) {
        size_t k = utf8_encode(w->cp[off + i], d + nb);
        for (size_t j = 0; j < k; j++) w->u8cp[nb + j] = (uint32_t)i;
        nb += k;
    }
    w->u8cp[nb] = (uint32_t)len;
    d[nb] = 0;
    w->u8.len = nb;
    return 0;
}

int tok_tokens_push(struct tok_tokens *t, int32_t id, uint32_t bs, uint32_t be)
{
    if (t->n == t->cap) {
        size_t cap = mem_next_cap(t->cap, t->n + 1);
        FORWARD_ERR(MEM_RESIZE(t->id, cap));
        FORWARD_ERR(MEM_RESIZE(t->bs, cap));
        FORWARD_ERR(MEM_RESIZE(t->be, cap));
        t->cap = cap;
    }
    t->id[t->n] = id;
    t->bs[t->n] = bs;
    t->be[t->n] = be;
    t->n++;
    return 0;
}

void tok_ws_release(struct tok_work *w)
{
    mem_free(w->cp);
    mem_free(w->os);
    mem_free(w->oe);
    mem_free(w->sp);
    mem_free(w->sp2);
    mem_free(w->mt);
    buf_release(&w->u8);
    mem_free(w->u8cp);
    if (w->region) onig_region_free(w->region, 1);
    mem_free(w->tk.id);
    mem_free(w->tk.bs);
    mem_free(w->tk.be);
    mem_free(w->scratch);
    mem_free(w->scratch2);
    mem_free(w->cls);
    mem_free(w->bpe_cache);
    memset(w, 0, sizeof *w);
}

/* ---- regex ---- */

static pthread_once_t onig_once = PTHREAD_ONCE_INIT;
static void onig_init_once(void)
{
    OnigEncoding enc[1] = { ONIG_ENCODING_UTF8 };
    onig_initialize(enc, 1);
}

void tok_uc_init(void)
{
    pthread_once(&onig_once, onig_init_once);
}

/* ---- \p{L} and \p{N} as HF's Oniguruma knows them ----
 * The system's Oniguruma may have older Unicode tables than the one built
 * into HF (Debian 12: Unicode 14); patterns from tokenizer.json get \p{L}
 * and \p{N} replaced by explicit classes built from tok_uc_bl_class (utf8proc
 * plus the exceptions measured from HF). */
static char *class_l, *class_n;
static pthread_once_t class_once = PTHREAD_ONCE_INIT;

static char *build_class(int want, int negate)
{
    struct buf b = BUF_INIT;
    buf_puts(&b, negate ? "[^" : "[");
    long start = -1;
    for (long c = 0; c <= 0x110000; c++) {
        int in = c < 0x110000 && !(c >= 0xD800 && c <= 0xDFFF) && tok_uc_bl_class((int32_t)c) == want;
        if (in && start < 0) start = c;
        if (!in && start >= 0) {
            if (c - 1 == start) buf_printf(&b, "\\x{%lx}", start);
            else buf_printf(&b, "\\x{%lx}-\\x{%lx}", start, c - 1);
            start = -1;
        }
    }
    buf_puts(&b, "]");
    return buf_detach(&b, NULL);
}

static void class_init(void)
{
    class_l = build_class('L', 0);
    class_n = build_class('N', 0);
}

/* rewrite_props: pat with \p{L}, \p{N}, \P{L}, \P{N} replaced by classes */
static int rewrite_props(const char *pat, size_t len, struct buf *out)
{
    int need = 0;
    for (size_t i = 0; i + 4 < len && !need; i++)
        need = pat[i] == '\\' && (pat[i + 1] == 'p' || pat[i + 1] == 'P') && pat[i + 2] == '{' &&
               (pat[i + 3] == 'L' || pat[i + 3] == 'N') && pat[i + 4] == '}';
    if (!need) return buf_append(out, pat, len);
    pthread_once(&class_once, class_init);
    if (!class_l || !class_n) return err_nomem();
    for (size_t i = 0; i < len; i++) {
        if (pat[i] != '\\' || i + 1 >= len) {
            FORWARD_ERR(buf_putc(out, pat[i]));
            continue;
        }
        if (i + 4 < len && (pat[i + 1] == 'p' || pat[i + 1] == 'P') && pat[i + 2] == '{' &&
            (pat[i + 3] == 'L' || pat[i + 3] == 'N') && pat[i + 4] == '}') {
            const char *cl = pat[i + 3] == 'L' ? class_l : class_n;
            if (pat[i + 1] == 'P') { /* [^...] */
                FORWARD_ERR(buf_puts(out, "[^"));
                FORWARD_ERR(buf_puts(out, cl + 1));
            } else {
                FORWARD_ERR(buf_puts(out, cl));
            }
            i += 4;
            continue;
        }
        FORWARD_ERR(buf_putc(out, pat[i]));   /* an escape: copy it whole */
        FORWARD_ERR(buf_putc(out, pat[++i]));
    }
    return 0;
}

int tok_regex_new_hf(regex_t **re, const char *pat, size_t len, const char *what)
{
    struct buf b = BUF_INIT;
    int rc = rewrite_props(pat, len, &b);
    if (rc == 0) rc = tok_regex_new(re, b.data ? b.data : "", b.len, what);
    buf_release(&b);
    if (rc == ERR_FORMAT) /* name the pattern as written, not the rewrite */
        rc = err_set(ERR_FORMAT, "%s: bad regex '%.*s'", what, (int)(len > 200 ? 200 : len), pat);
    return rc;
}

int tok_regex_new(regex_t **re, const char *pat, size_t len, const char *what)
{
    tok_uc_init();
    OnigErrorInfo einfo;
    int r = onig_new(re, (const UChar *)pat, (const UChar *)pat + len, ONIG_OPTION_NONE,
                     ONIG_ENCODING_UTF8, ONIG_SYNTAX_ONIGURUMA, &einfo);
    if (r != ONIG_NORMAL) {
        UChar msg[ONIG_MAX_ERROR_MESSAGE_LEN];
        onig_error_code_to_str(msg, r, &einfo);
        *re = NULL;
        return err_set(ERR_FORMAT, "%s: bad regex '%.*s': %s", what, (int)(len > 200 ? 200 : len),
                       pat, (char *)msg);
    }
    return 0;
}

int tok_regex_literal(regex_t **re, const char *s, size_t len, const char *what)
{
    struct buf b = BUF_INIT;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        int alnum = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                    c >= 0x80;
        if ((!alnum && buf_putc(&b, '\\') < 0) || buf_putc(&b, c) < 0) {
            buf_release(&b);
            return err_nomem();
        }
    }
    int rc = tok_regex_new(re, b.data ? b.data : "", b.len, what);
    buf_release(&b);
    return rc;
}

/* tok_regex_find_matches: the onig crate's FindMatches (an empty match right
 * after the previous match is skipped by one character) wrapped in HF's
 * Pattern::find_matches (gaps become non-matches). */
int tok_regex_find_matches(struct tok_work *w, regex_t *re, size_t off, size_t len)
{
    w->nmt = 0;
    if (len == 0) return tok_ws_add_match(w, 0, 0, 0);
    FORWARD_ERR(tok_ws_utf8(w, off, len));
    if (!w->region && !(w->region = onig_region_new())) return err_nomem();
    const UChar *s = (const UChar *)w->u8.data, *end = s + w->u8.len;
    size_t nb = w->u8.len, last_end = 0, prev = 0;
    long last_match_end = -1;
    while (last_end <= nb) {
        int r = onig_search(re, s, end, s + last_end, end, w->region, ONIG_OPTION_NONE);
        if (r == ONIG_MISMATCH) break;
        if (r < 0) return err_set(ERR_INVALID, "regex search failed (%d)", r);
        size_t ms = (size_t)w->region->beg[0], me = (size_t)w->region->end[0];
        if (ms == me && last_match_end == (long)me) {
            size_t step = 1;
            if (last_end < nb) {
                int32_t cp;
                step = utf8_decode((const char *)s + last_end, nb - last_end, &cp);
            }
            last_end += step;
            continue;
        }
        last_end = me;
        last_match_end = (long)me;
        if (prev != ms) FORWARD_ERR(tok_ws_add_match(w, w->u8cp[prev], w->u8cp[ms], 0));
        FORWARD_ERR(tok_ws_add_match(w, w->u8cp[ms], w->u8cp[me], 1));
        prev = me;
    }
    if (prev != nb) FORWARD_ERR(tok_ws_add_match(w, w->u8cp[prev], len, 0));
    return 0;
}

/* ---- Unicode predicates (Rust char semantics) ---- */

int tok_uc_is_whitespace(int32_t cp)
{
    if (cp < 0x80) return cp == ' ' || (cp >= 9 && cp <= 13);
    return ONIGENC_IS_CODE_CTYPE(ONIG_ENCODING_UTF8, (OnigCodePoint)cp, ONIGENC_CTYPE_SPACE);
}

int tok_uc_is_numeric(int32_t cp)
{
    int x = cp < 0x80 ? -1 : tok_uc_compat(UC_NUM, cp);
    if (x >= 0) return x;
    utf8proc_category_t c = utf8proc_category(cp);
    return c == UTF8PROC_CATEGORY_ND || c == UTF8PROC_CATEGORY_NL || c == UTF8PROC_CATEGORY_NO;
}

/* tok_uc_is_word: \w of Rust's regex crate (UTS #18 word: Alphabetic, marks,
 * decimal digits, connector punctuation, Join_Control), which HF uses for
 * the Whitespace pre-tokenizer and the added-token word boundaries. */
int tok_uc_is_word(int32_t cp)
{
    if (cp < 0x80)
        return (cp >= '0' && cp <= '9') || (cp >= 'a' && cp <= 'z') || (cp >= 'A' && cp <= 'Z') ||
               cp == '_';
    int x = tok_uc_compat(UC_WORD, cp);
    if (x >= 0) return x;
    if (cp == 0x200C || cp == 0x200D) return 1;
    switch (utf8proc_category(cp)) {
    case UTF8PROC_CATEGORY_LU: case UTF8PROC_CATEGORY_LL: case UTF8PROC_CATEGORY_LT:
    case UTF8PROC_CATEGORY_LM: case UTF8PROC_CATEGORY_LO: case UTF8PROC_CATEGORY_NL:
    case UTF8PROC_CATEGORY_MN: case UTF8PROC_CATEGORY_MC: case UTF8PROC_CATEGORY_ME:
    case UTF8PROC_CATEGORY_ND: case UTF8PROC_CATEGORY_PC:
        return 1;
    default:
        return 0;
    }
}

int tok_uc_bl_class(int32_t cp)
{
    if (cp < 0x80) {
        if ((cp >= 'a' && cp <= 'z') || (cp >= 'A' && cp <= 'Z')) return 'L';
        if (cp >= '0' && cp <= '9') return 'N';
        if (cp == ' ' || (cp >= 9 && cp <= 13)) return 's';
        return 'o';
    }
    if (tok_uc_compat(UC_BL_L, cp) == 1) return 'L';
    if (tok_uc_compat(UC_BL_N, cp) == 1) return 'N';
    switch (utf8proc_category(cp)) {
    case UTF8PROC_CATEGORY_LU: case UTF8PROC_CATEGORY_LL: case UTF8PROC_CATEGORY_LT:
    case UTF8PROC_CATEGORY_LM: case UTF8PROC_CATEGORY_LO:
        return 'L';
    case UTF8PROC_CATEGORY_ND: case UTF8PROC_CATEGORY_NL: case UTF8PROC_CATEGORY_NO:
        return 'N';
    default:
        return tok_uc_is_whitespace(cp) ? 's' : 'o';
    }
}

int tok_uc_is_punct(int32_t cp)
{
    int x = cp < 0x80 ? -1 : tok_uc_compat(UC_PUNCT, cp);
    if (x >= 0) return x;
    switch (utf8proc_category(cp)) {
    case UTF8PROC_CATEGORY_PC: case UTF8PROC_CATEGORY_PD: case UTF8PROC_CATEGORY_PS:
    case UTF8PROC_CATEGORY_PE: case UTF8PROC_CATEGORY_PI: case UTF8PROC_CATEGORY_PF:
    case UTF8PROC_CATEGORY_PO:
        return 1;
    default:
        return 0;
    }
}

/* ---- split behaviors ---- */

int tok_parse_behavior(const char *s, int *out, const char *what)
{
    static const struct { const char *name; int b; } tab[] = {
        { "Removed", TOK_REMOVED }, { "Isolated", TOK_ISOLATED },
        { "MergedWithPrevious", TOK_MERGED_PREV }, { "MergedWithNext", TOK_MERGED_NEXT },
        { "Contiguous", TOK_CONTIGUOUS },
    };
    for (size_t i = 0; i < sizeof tab / sizeof tab[0]; i++)
        if (!strcmp(s, tab[i].name)) {
            *out = tab[i].b;
            return 0;
        }
    return err_set(ERR_UNSUPPORTED, "%s: unsupported split behavior '%s'", what, s);
}

/* tok_split_apply: HF NormalizedString::split. The folds only ever shrink the
 * match list, so they run in place over w->mt. */
int tok_split_apply(struct tok_work *w, size_t off, int behavior, int invert)
{
    struct tok_match *m = w->mt;
    size_t n = w->nmt, k = 0, first = 0;
    if (invert)
        for (size_t i = 0; i < n; i++) m[i].is_match = !m[i].is_match;
    int prev = 0;
    switch (behavior) {
    case TOK_REMOVED:
        k = n;
        break;
    case TOK_ISOLATED:
        for (size_t i = 0; i < n; i++) m[i].is_match = 0;
        k = n;
        break;
    case TOK_CONTIGUOUS:
        for (size_t i = 0; i < n; i++) {
            int im = m[i].is_match;
            if (im == prev && k > 0) m[k - 1].end = m[i].end;
            else m[k++] = (struct tok_match){ m[i].start, m[i].end, 0 };
            prev = im;
        }
        break;
    case TOK_MERGED_PREV:
        for (size_t i = 0; i < n; i++) {
            int im = m[i].is_match;
            if (im && !prev && k > 0) m[k - 1].end = m[i].end;
            else m[k++] = (struct tok_match){ m[i].start, m[i].end, 0 };
            prev = im;
        }
        break;
    case TOK_MERGED_NEXT:
        k = n;
        for (size_t i = n; i-- > 0;) {
            int im = m[i].is_match;
            if (im && !prev && k < n) m[k].start = m[i].start;
            else m[--k] = (struct tok_match){ m[i].start, m[i].end, 0 };
            prev = im;
        }
        first = k;
        k = n;
        break;
    }
    for (size_t i = first; i < k; i++)
        if (!m[i].is_match && m[i].end > m[i].start)
            FORWARD_ERR(tok_ws_add_split(w, off + m[i].start, m[i].end - m[i].start, -1));
    return 0;
}
