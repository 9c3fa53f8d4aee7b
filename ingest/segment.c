/*
 * segment.c - document -> chunk spans (see segment.h for the rules).
 *
 * The sentence splitter is a single forward scan over code points with a
 * little state (quote/bracket depth of the current sentence); the rules are
 * the ones Korean corpora need most, not a trained model (kss, KoNLPy) and
 * not Unicode UAX #29 sentence boundaries.
 */
#include "ingest/segment.h"

#include <string.h>

#include "common/err.h"
#include "common/mem.h"
#include "common/utf8.h"
#include "ingest/tokenizer/tokenizer.h"

static int push(struct seg_spans *o, const char *text, size_t start, size_t end)
{
    size_t len, off = py_strip(text + start, end - start, &len);
    if (len == 0) return 0;
    FORWARD_ERR(MEM_GROW(o->v, o->n + 1, o->cap));
    o->v[o->n++] = (struct seg_span){ start + off, start + off + len };
    return 0;
}

void seg_spans_release(struct seg_spans *s)
{
    mem_free(s->v);
    memset(s, 0, sizeof *s);
}

const char *const seg_mode_names[] = { "doc", "line", "sentence", "paragraph", "window", NULL };

int seg_parse_mode(const char *s, enum seg_mode *out)
{
    for (int i = 0; i < 5; i++)
        if (!strcmp(s, seg_mode_names[i])) {
            *out = (enum seg_mode)i;
            return 0;
        }
    return err_set(ERR_INVALID, "unknown segmentation '%s' (use doc, line, sentence, paragraph or window)", s);
}

const char *seg_mode_name(enum seg_mode m) { return (unsigned)m < 5 ? seg_mode_names[m] : "?"; }

/* ---- lines and paragraphs -------------------------------------------------- */

static int split_lines(const char *t, size_t n, struct seg_spans *o)
{
    size_t start = 0;
    for (size_t i = 0; i < n; i++)
        if (t[i] == '\n') {
            FORWARD_ERR(push(o, t, start, i));
            start = i + 1;
        }
    return push(o, t, start, n);
}

static int blank(const char *t, size_t a, size_t b)
{
    size_t len;
    py_strip(t + a, b - a, &len);
    return len == 0;
}

static int split_paragraphs(const char *t, size_t n, struct seg_spans *o)
{
    size_t start = 0, line = 0;
    for (size_t i = 0; i <= n; i++) {
        if (i < n && t[i] != '\n') continue;
        if (blank(t, line, i)) {
            FORWARD_ERR(push(o, t, start, line));
            start = i < n ? i + 1 : n;
        }
        line = i + 1;
    }
    return push(o, t, start, n);
}

/* ---- sentences ------------------------------------------------------------- */

static int is_term(int32_t c)
{
    return c == '.' || c == '!' || c == '?' || c == 0x3002 || c == 0xFF01 || c == 0xFF1F || c == 0x2026;
}

static int is_opener(int32_t c)
{
    return c == '(' || c == '[' || c == '{' || c == 0x201C || c == 0x2018 || c == 0x300C || c == 0x300E ||
           c == 0x300A || c == 0x3008 || c == 0xFF08;
}

static int is_closer(int32_t c)
{
    return c == ')' || c == ']' || c == '}' || c == 0x201D || c == 0x2019 || c == 0x300D || c == 0x300F ||
           c == 0x300B || c == 0x3009 || c == 0xFF09;
}

static int is_hangul(int32_t c)
{
    return (c >= 0xAC00 && c <= 0xD7A3) || (c >= 0x1100 && c <= 0x11FF) || (c >= 0x3130 && c <= 0x318F);
}

static int is_final_syllable(int32_t c)
{
    static const int32_t f[] = { 0xB2E4 /* 다 */, 0xC694 /* 요 */, 0xAE4C /* 까 */, 0xC8E0 /* 죠 */,
                                 0xB124 /* 네 */, 0xAD70 /* 군 */, 0xB2C8 /* 니 */ };
    for (size_t i = 0; i < sizeof f / sizeof f[0]; i++)
        if (c == f[i]) return 1;
    return 0;
}

static int32_t cp_at(const char *t, size_t n, size_t i, size_t *k)
{
    int32_t c;
    *k = utf8_decode(t + i, n - i, &c);
    return c;
}

/* cp_before: the code point ending just before byte i (>= start), or -1. */
static int32_t cp_before(const char *t, size_t start, size_t i)
{
    if (i <= start) return -1;
    size_t j = i - 1;
    while (j > start && ((unsigned char)t[j] & 0xC0) == 0x80) j--;
    size_t k;
    return cp_at(t, i, j, &k);
}

static int ascii_space(int32_t c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == 0x3000 || c == 0xA0; }

/* word_before: the bytes [w, i) of the non-space run ending at i. */
static size_t word_before(const char *t, size_t start, size_t i)
{
    size_t w = i;
    while (w > start && t[w - 1] != ' ' && t[w - 1] != '\t' && t[w - 1] != '\n') w--;
    return w;
}

static int abbreviation(const char *w, size_t n)
{
    static const char *const ab[] = { "Mr", "Mrs", "Ms", "Dr", "Prof", "St", "vs", "etc", "e.g", "i.e", "No",
                                      "Jr", "Sr", "Inc", "Co", "Ltd", "cf", "Fig", "al" };
    while (n && (w[0] == '(' || w[0] == '"')) w++, n--;
    if (n == 1 && w[0] >= 'A' && w[0] <= 'Z') return 1; /* an initial: J. K. Rowling */
    for (size_t i = 0; i < sizeof ab / sizeof ab[0]; i++)
        if (strlen(ab[i]) == n && !memcmp(ab[i], w, n)) return 1;
    return 0;
}

static int all_digits(const char *w, size_t n)
{
    if (n == 0 || n > 3) return 0;
    for (size_t i = 0; i < n; i++)
        if (w[i] < '0' || w[i] > '9') return 0;
    return 1;
}

static int quotative(const char *t, size_t n, size_t i)
{
    static const char *const q[] = { "라고", "하고", "라며", "라는", "고", "며" };
    while (i < n && (t[i] == ' ' || t[i] == '\t')) i++;
    for (size_t k = 0; k < sizeof q / sizeof q[0]; k++) {
        size_t m = strlen(q[k]);
        if (i + m <= n && !memcmp(t + i, q[k], m)) {
            /* "고" and "며" only as a whole particle, not the start of a word like 고양이 */
            if (m == 3 && i + m < n && (unsigned char)t[i + m] >= 0x80) {
                size_t kk;
                if (is_hangul(cp_at(t, n, i + m, &kk))) continue;
            }
            return 1;
        }
    }
    return 0;
}

static int split_sentences(const char *t, size_t n, struct seg_spans *o)
{
    size_t start = 0, i = 0;
    int depth = 0, dq = 0;
    while (i < n) {
        size_t k;
        int32_t c = cp_at(t, n, i, &k);
        if (c == '\n') {
            FORWARD_ERR(push(o, t, start, i));
            start = i + 1;
            depth = dq = 0;
            i++;
            continue;
        }
        if (is_opener(c)) depth++;
        else if (is_closer(c)) { if (depth > 0) depth--; }
        else if (c == '"') dq = !dq;
        if (!is_term(c)) {
            i += k;
            continue;
        }
        /* the terminator run */
        size_t j = i, dots = 0;
        int strong = 0, ell = 0;
        while (j < n) {
            size_t kk;
            int32_t d = cp_at(t, n, j, &kk);
            if (!is_term(d)) break;
            if (d == '.') dots++;
            if (d == 0x2026) ell = 1;
            if (d == '!' || d == '?' || d == 0xFF01 || d == 0xFF1F) strong = 1;
            j += kk;
        }
        if (dots >= 2) ell = 1;
        int32_t prev = cp_before(t, start, i);
        int inside = depth > 0 || dq;
        /* closing quotes and brackets that belong to this sentence end */
        size_t q = j;
        int closed = 0;
        while (q < n) {
            size_t kk;
            int32_t d = cp_at(t, n, q, &kk);
            if (is_closer(d)) { if (depth > 0) depth--; }
            else if (d == '"' && dq) dq = 0;
            else if (d == '\'') { }
            else break;
            closed = 1;
            q += kk;
        }
        if (depth > 0 || dq) { /* still inside a quotation */
            i = q;
            continue;
        }
        size_t kn = 0;
        int32_t next = q < n ? cp_at(t, n, q, &kn) : -1;
        int end = 0;
        if (next < 0 || ascii_space(next)) end = 1;
        else if (is_hangul(prev) && (is_hangul(next) || is_opener(next) || next == '"')) end = 1;
        if (end && inside && closed && quotative(t, n, q)) end = 0;
        if (end && !inside && !strong && !ell && dots == 1 && j == i + 1) {
            size_t w = word_before(t, start, i);
            if (abbreviation(t + w, i - w)) end = 0;
            else if (all_digits(t + w, i - w) && blank(t, start, w)) end = 0; /* "1. 첫째" */
        }
        if (end && ell && !strong && next >= 0 && next != '\n' && !is_final_syllable(prev)) end = 0;
        if (end) {
            FORWARD_ERR(push(o, t, start, q));
            start = q;
        }
        i = q;
    }
    return push(o, t, start, n);
}

/* ---- token windows --------------------------------------------------------- */

static int windows(const struct seg_options *opt, const char *t, size_t n, struct seg_spans *o)
{
    int W = opt->window, O = opt->overlap;
    RETURN_ERR_IF(W <= 0 || O < 0 || O >= W, ERR_INVALID, "window %d with overlap %d: need window > overlap >= 0",
                  W, O);
    size_t cnt = 0, cap = 0;
    size_t *st = NULL, *en = NULL;
    int rc = 0;
    if (opt->tok) {
        struct tok_encoding e = TOK_ENCODING_INIT;
        rc = tok_encode(opt->tok, t, n, TOK_OFFSETS | TOK_NO_TRUNCATE | TOK_NO_SPECIAL | TOK_NO_STRIP, &e);
        if (rc == 0) {
            st = mem_alloc_array(e.n ? e.n : 1, sizeof *st);
            en = mem_alloc_array(e.n ? e.n : 1, sizeof *en);
            if (!st || !en) rc = err_nomem();
            for (size_t i = 0; rc == 0 && i < e.n; i++) {
                int32_t a = e.offsets[2 * i], b = e.offsets[2 * i + 1];
                if (a < 0 || b < a || (size_t)b > n) continue;
                st[cnt] = (size_t)a;
                en[cnt] = (size_t)b;
                cnt++;
            }
        }
        tok_encoding_release(&e);
    } else {
        for (size_t i = 0; rc == 0 && i < n;) {
            size_t k;
            int32_t c = cp_at(t, n, i, &k);
            if (py_isspace(c)) {
                i += k;
                continue;
            }
            size_t a = i;
            while (i < n && !py_isspace(cp_at(t, n, i, &k))) i += k;
            if (cnt == cap) {
                size_t nc = mem_next_cap(cap, cnt + 1);
                if ((rc = MEM_RESIZE(st, nc)) < 0 || (rc = MEM_RESIZE(en, nc)) < 0) break;
                cap = nc;
            }
            st[cnt] = a;
            en[cnt] = i;
            cnt++;
        }
    }
    for (size_t w = 0; rc == 0 && w < cnt; w += (size_t)(W - O)) {
        size_t last = w + (size_t)W < cnt ? w + (size_t)W : cnt;
        rc = push(o, t, st[w], en[last - 1]);
        if (last == cnt) break;
    }
    mem_free(st);
    mem_free(en);
    return rc;
}

int seg_split(const struct seg_options *o, const char *text, size_t len, struct seg_spans *out)
{
    out->n = 0;
    switch (o->mode) {
    case SEG_DOC: return push(out, text, 0, len);
    case SEG_LINE: return split_lines(text, len, out);
    case SEG_PARAGRAPH: return split_paragraphs(text, len, out);
    case SEG_SENTENCE: return split_sentences(text, len, out);
    case SEG_WINDOW: return windows(o, text, len, out);
    }
    return err_set(ERR_INVALID, "unknown segmentation mode %d", (int)o->mode);
}
