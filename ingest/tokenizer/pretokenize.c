/*
 * pretokenize.c - tokenizer.json pre-tokenizers (HF tokenizers
 * src/pre_tokenizers/): ByteLevel (GPT-2 regex, add_prefix_space, byte to
 * printable-char map), BertPreTokenizer, Whitespace, WhitespaceSplit,
 * Metaspace (replacement, prepend_scheme, split), Punctuation, Digits,
 * Split (String or Regex pattern, every behavior, invert),
 * CharDelimiterSplit, Sequence.
 *
 * Regexes go through Oniguruma, as in HF (onig crate); char predicates
 * follow Rust's char methods. Each pre-tokenizer maps the current split
 * list w->sp to a new one (HF PreTokenizedString::split), leaving the splits
 * that already hold an added token untouched.
 *
 * Not done: UnicodeScripts, FixedLength.
 */
#include <string.h>

#include "common/err.h"
#include "common/mem.h"
#include "common/utf8.h"
#include "ingest/tokenizer/tok_impl.h"

int tok_load_pattern(json_t *pat, regex_t **re, const char *what);

/* char_matches: HF's Pattern for Fn(char) -> bool: every matching char is
 * its own match, the gaps are non-matches. */
static int char_matches(struct tok_work *w, size_t off, size_t len, int (*pred)(int32_t, int32_t),
                        int32_t arg)
{
    w->nmt = 0;
    if (!len) return tok_ws_add_match(w, 0, 0, 0);
    size_t last = 0;
    for (size_t i = 0; i < len; i++) {
        if (!pred(w->cp[off + i], arg)) continue;
        if (last < i) FORWARD_ERR(tok_ws_add_match(w, last, i, 0));
        FORWARD_ERR(tok_ws_add_match(w, i, i + 1, 1));
        last = i + 1;
    }
    if (last < len) FORWARD_ERR(tok_ws_add_match(w, last, len, 0));
    return 0;
}

static int p_whitespace(int32_t c, int32_t a) { (void)a; return tok_uc_is_whitespace(c); }
static int p_bert_punct(int32_t c, int32_t a)
{
    (void)a;
    if (c < 0x80)
        return (c >= 0x21 && c <= 0x2F) || (c >= 0x3A && c <= 0x40) || (c >= 0x5B && c <= 0x60) ||
               (c >= 0x7B && c <= 0x7E);
    return tok_uc_is_punct(c);
}
static int p_numeric(int32_t c, int32_t a) { (void)a; return tok_uc_is_numeric(c); }
static int p_equal(int32_t c, int32_t a) { return c == a; }

static int split_by_char(struct tok_work *w, const struct tok_split *s, int (*pred)(int32_t, int32_t),
                         int32_t arg, int behavior)
{
    FORWARD_ERR(char_matches(w, s->off, s->len, pred, arg));
    return tok_split_apply(w, s->off, behavior, 0);
}

/* whitespace_split: Rust regex `\w+|[^\w\s]+`, the matches kept and the
 * rest removed: maximal runs of word chars or of other non-space chars. */
static int whitespace_split(struct tok_work *w, const struct tok_split *s)
{
    size_t i = 0;
    while (i < s->len) {
        int32_t c = w->cp[s->off + i];
        if (tok_uc_is_whitespace(c)) {
            i++;
            continue;
        }
        int word = tok_uc_is_word(c);
        size_t j = i + 1;
        while (j < s->len) {
            int32_t d = w->cp[s->off + j];
            if (tok_uc_is_whitespace(d) || tok_uc_is_word(d) != word) break;
            j++;
        }
        FORWARD_ERR(tok_ws_add_split(w, s->off + i, j - i, -1));
        i = j;
    }
    return 0;
}

/* metaspace: replace ' ' by the replacement, prepend it, split before it. */
static int metaspace(const struct tok_pretok *p, struct tok_work *w, const struct tok_split *s)
{
    size_t start = w->n;
    int prepend = 0;
    if (p->prepend_scheme == PREPEND_ALWAYS) prepend = 1;
    else if (p->prepend_scheme == PREPEND_FIRST) prepend = w->os[s->off] == 0;
    int32_t first = w->cp[s->off] == ' ' ? p->replacement : w->cp[s->off];
    if (prepend && first != p->replacement)
        FORWARD_ERR(tok_ws_push(w, p->replacement, w->os[s->off], w->oe[s->off])); /* HF: the first char's alignment */
    for (size_t i = 0; i < s->len; i++) {
        int32_t c = w->cp[s->off + i];
        FORWARD_ERR(tok_ws_push(w, c == ' ' ? p->replacement : c, w->os[s->off + i], w->oe[s->off + i]));
    }
    struct tok_split ns = { start, w->n - start, -1 };
    if (!p->split) return tok_ws_add_split(w, ns.off, ns.len, -1);
    return split_by_char(w, &ns, p_equal, p->replacement, TOK_MERGED_NEXT);
}

/* gpt2_match: length of the match of the GPT-2 pattern
 *   's|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+
 * at c[i..n) (never 0), alternatives tried in order as Oniguruma does; the
 * classes come from tok_uc_bl_class so they are those of HF's Oniguruma. */
static size_t gpt2_match(const int32_t *c, const char *cls, size_t i, size_t n)
{
    if (c[i] == '\'' && i + 1 < n) {
        int32_t a = c[i + 1], b = i + 2 < n ? c[i + 2] : 0;
        if (a == 's' || a == 't' || a == 'm' || a == 'd') return 2;
        if ((a == 'r' && b == 'e') || (a == 'v' && b == 'e') || (a == 'l' && b == 'l')) return 3;
    }
    size_t j = i;
    if (c[i] == ' ' && i + 1 < n && cls[i + 1] != 's') j = i + 1;
    char k = cls[j];
    if (k != 's') { /* ' ?\p{L}+', ' ?\p{N}+' or ' ?[^\s\p{L}\p{N}]+' */
        while (j < n && cls[j] == k) j++;
        return j - i;
    }
    while (j < n && cls[j] == 's') j++;
    if (j == n || j - i == 1) return j - i;  /* \s+(?!\S) to the end, or \s+ */
    return j - i - 1;                         /* \s+(?!\S): leave one space for the word */
}

static int gpt2_split(struct tok_work *w, size_t off, size_t len)
{
    if (w->capcls < len + 1) {
        char *p = mem_realloc(w->cls, len + 1);
        if (!p) return err_nomem();
        w->cls = p;
        w->capcls = len + 1;
    }
    char *cls = w->cls;
    for (size_t i = 0; i < len; i++) cls[i] = (char)tok_uc_bl_class(w->cp[off + i]);
    for (size_t i = 0; i < len;) {
        size_t m = gpt2_match(w->cp + off, cls, i, len);
        FORWARD_ERR(tok_ws_add_split(w, off + i, m, -1));
        i += m;
    }
    return 0;
}

static int bytelevel_split(const struct tok_pretok *p, struct tok_work *w, const struct tok_split *s)
{
    size_t off = s->off, len = s->len;
    if (p->add_prefix_space && w->cp[off] != ' ') {
        size_t start = w->n;
        FORWARD_ERR(tok_ws_push(w, ' ', w->os[off], w->oe[off]));
        for (size_t i = 0; i < len; i++)
            FORWARD_ERR(tok_ws_push(w, w->cp[off + i], w->os[off + i], w->oe[off + i]));
        off = start;
        len = w->n - start;
    }
    if (!p->use_regex) return tok_ws_add_split(w, off, len, -1);
    return gpt2_split(w, off, len);
}

/* apply_one: one pre-tokenizer step over one split (appends to sp2). */
static int apply_one(const struct tok_pretok *p, struct tok_work *w, const struct tok_split *s)
{
    switch (p->type) {
    case PRE_BYTELEVEL:
        return bytelevel_split(p, w, s);
    case PRE_BERT: {
        /* whitespace removed, then punctuation isolated */
        size_t first = w->nsp2;
        FORWARD_ERR(split_by_char(w, s, p_whitespace, 0, TOK_REMOVED));
        size_t last = w->nsp2;
        for (size_t i = first; i < last; i++) {
            struct tok_split t = w->sp2[i];
            FORWARD_ERR(split_by_char(w, &t, p_bert_punct, 0, TOK_ISOLATED));
        }
        /* drop the intermediate pieces [first, last) */
        memmove(w->sp2 + first, w->sp2 + last, (w->nsp2 - last) * sizeof *w->sp2);
        w->nsp2 -= last - first;
        return 0;
    }
    case PRE_WHITESPACE:
        return whitespace_split(w, s);
    case PRE_WHITESPACE_SPLIT:
        return split_by_char(w, s, p_whitespace, 0, TOK_REMOVED);
    case PRE_METASPACE:
        return metaspace(p, w, s);
    case PRE_PUNCTUATION:
        return split_by_char(w, s, p_bert_punct, 0, p->behavior);
    case PRE_DIGITS:
        return split_by_char(w, s, p_numeric, 0, p->individual_digits ? TOK_ISOLATED : TOK_CONTIGUOUS);
    case PRE_CHAR_DELIMITER:
        return split_by_char(w, s, p_equal, p->replacement, TOK_REMOVED);
    case PRE_SPLIT:
        FORWARD_ERR(tok_regex_find_matches(w, p->re, s->off, s->len));
        return tok_split_apply(w, s->off, p->behavior, p->invert);
    }
    return 0;
}

int tok_pretok_apply(const struct tok_pretok *p, struct tok_work *w, int last)
{
    if (p->type == PRE_SEQUENCE) {
        for (size_t i = 0; i < p->nsub; i++)
            FORWARD_ERR(tok_pretok_apply(&p->sub[i], w, last && i + 1 == p->nsub));
        return 0;
    }
    w->nsp2 = 0;
    for (size_t i = 0; i < w->nsp; i++) {
        struct tok_split s = w->sp[i];
        if (s.id >= 0 || s.len == 0) {
            if (s.id >= 0) FORWARD_ERR(tok_ws_add_split(w, s.off, s.len, s.id));
            continue;
        }
        FORWARD_ERR(apply_one(p, w, &s));
    }
    tok_ws_swap_splits(w);
    if (p->type == PRE_BYTELEVEL && last) {
        w->bl_pending = 1;
    } else if (p->type == PRE_BYTELEVEL) {
        /* then every piece is mapped byte by byte to printable chars */
        for (size_t i = 0; i < w->nsp; i++) {
            struct tok_split *s = &w->sp[i];
            if (s->id >= 0) continue;
            size_t off, len;
            FORWARD_ERR(tok_bytelevel_map(w, s->off, s->len, &off, &len));
            w->sp[i].off = off;
            w->sp[i].len = len;
        }
    }
    return 0;
}

/* ---- loading ---- */

static int first_cp(const char *s, int32_t *out)
{
    size_t n = strlen(s);
    if (!n) return -1;
    int32_t cp;
    utf8_decode(s, n, &cp);
    *out = cp < 0 ? 0xFFFD : cp;
    return 0;
}

int tok_pretok_load(struct tok_pretok *p, json_t *j, const char *what)
{
    memset(p, 0, sizeof *p);
    const char *type = json_string_value(json_object_get(j, "type"));
    if (!type) return err_set(ERR_FORMAT, "%s: pre_tokenizer without a \"type\"", what);
    if (!strcmp(type, "ByteLevel")) {
        p->type = PRE_BYTELEVEL;
        p->add_prefix_space = p->use_regex = 1;
        FORWARD_ERR(json_get_bool(j, "add_prefix_space", what, &p->add_prefix_space));
        FORWARD_ERR(json_get_bool(j, "use_regex", what, &p->use_regex));
    } else if (!strcmp(type, "BertPreTokenizer")) {
        p->type = PRE_BERT;
    } else if (!strcmp(type, "Whitespace")) {
        p->type = PRE_WHITESPACE;
    } else if (!strcmp(type, "WhitespaceSplit")) {
        p->type = PRE_WHITESPACE_SPLIT;
    } else if (!strcmp(type, "Metaspace")) {
        p->type = PRE_METASPACE;
        p->replacement = 0x2581;
        p->split = 1;
        p->prepend_scheme = PREPEND_ALWAYS;
        const char *r = json_string_value(json_object_get(j, "replacement"));
        if (r && first_cp(r, &p->replacement) < 0)
            return err_set(ERR_FORMAT, "%s: Metaspace replacement is empty", what);
        json_t *aps = json_object_get(j, "add_prefix_space"); /* legacy form */
        if (json_is_boolean(aps)) p->prepend_scheme = json_is_true(aps) ? PREPEND_ALWAYS : PREPEND_NEVER;
        const char *ps = json_string_value(json_object_get(j, "prepend_scheme"));
        if (ps) {
            if (!strcmp(ps, "always")) p->prepend_scheme = PREPEND_ALWAYS;
            else if (!strcmp(ps, "first")) p->prepend_scheme = PREPEND_FIRST;
            else if (!strcmp(ps, "never")) p->prepend_scheme = PREPEND_NEVER;
            else return err_set(ERR_UNSUPPORTED, "%s: unsupported Metaspace prepend_scheme '%s'", what, ps);
        }
        FORWARD_ERR(json_get_bool(j, "split", what, &p->split));
    } else if (!strcmp(type, "Punctuation")) {
        p->type = PRE_PUNCTUATION;
        p->behavior = TOK_ISOLATED;
        const char *b = json_string_value(json_object_get(j, "behavior"));
        if (b) FORWARD_ERR(tok_parse_behavior(b, &p->behavior, what));
    } else if (!strcmp(type, "Digits")) {
        p->type = PRE_DIGITS;
        FORWARD_ERR(json_get_bool(j, "individual_digits", what, &p->individual_digits));
    } else if (!strcmp(type, "CharDelimiterSplit")) {
        p->type = PRE_CHAR_DELIMITER;
        const char *d = json_string_value(json_object_get(j, "delimiter"));
        if (!d || first_cp(d, &p->replacement) < 0)
            return err_set(ERR_FORMAT, "%s: CharDelimiterSplit without \"delimiter\"", what);
    } else if (!strcmp(type, "Split")) {
        p->type = PRE_SPLIT;
        const char *b = json_string_value(json_object_get(j, "behavior"));
        if (!b) return err_set(ERR_FORMAT, "%s: Split without \"behavior\"", what);
        FORWARD_ERR(tok_parse_behavior(b, &p->behavior, what));
        FORWARD_ERR(json_get_bool(j, "invert", what, &p->invert));
        FORWARD_ERR(tok_load_pattern(json_object_get(j, "pattern"), &p->re, what));
    } else if (!strcmp(type, "Sequence")) {
        p->type = PRE_SEQUENCE;
        json_t *arr = json_object_get(j, "pretokenizers");
        if (!json_is_array(arr)) return err_set(ERR_FORMAT, "%s: Sequence without \"pretokenizers\"", what);
        p->nsub = json_array_size(arr);
        p->sub = mem_calloc(p->nsub ? p->nsub : 1, sizeof *p->sub);
        if (!p->sub) return err_nomem();
        for (size_t i = 0; i < p->nsub; i++) {
            int rc = tok_pretok_load(&p->sub[i], json_array_get(arr, i), what);
            if (rc < 0) {
                p->nsub = i + 1;
                return rc;
            }
        }
    } else {
        return err_set(ERR_UNSUPPORTED, "%s: unsupported pre_tokenizer type '%s'", what, type);
    }
    return 0;
}

void tok_pretok_free(struct tok_pretok *p)
{
    if (!p) return;
    if (p->re) onig_free(p->re);
    for (size_t i = 0; i < p->nsub; i++) tok_pretok_free(&p->sub[i]);
    mem_free(p->sub);
}
