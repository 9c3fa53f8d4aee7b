/*
 * added.c - added tokens (HF tokenizer/added_vocabulary.rs).
 *
 * The added_tokens of tokenizer.json, special or not, are matched before
 * the model in two passes: tokens with normalized=false against the raw
 * text, then tokens with normalized=true (their content run through the
 * normalizer at load time) against each normalized piece. Matching is
 * leftmost-longest, as HF's Aho-Corasick automaton with
 * MatchKind::LeftmostLongest, and a search resumes at the end of the
 * previous match even when that match was discarded (single_word) or its
 * span was widened (rstrip). single_word: the match must not touch a word
 * character (\w) on either side. lstrip/rstrip: the whitespace before/after
 * the match is absorbed into it (lstrip never reaching back before the
 * previous match). encode_special_tokens is not supported (always false).
 */
#include <string.h>

#include "err.h"
#include "mem.h"
#include "tok_impl.h"
#include "utf8.h"

static int32_t cp_before(const struct tok_work *w, size_t off, size_t i)
{
    return i > 0 ? w->cp[off + i - 1] : -1;
}

int added_split(const struct tok_added *a, const struct tok_trie *trie, struct tok_work *w)
{
    if (trie->n <= 1) return 0; /* no patterns */
    w->nsp2 = 0;
    for (size_t si = 0; si < w->nsp; si++) {
        struct tok_split s = w->sp[si];
        if (s.id >= 0 || s.len == 0) {
            if (s.id >= 0) FORWARD_ERR(ws_add_split(w, s.off, s.len, s.id));
            continue;
        }
        FORWARD_ERR(ws_utf8(w, s.off, s.len));
        const unsigned char *u = (const unsigned char *)w->u8.data;
        size_t nb = w->u8.len, start_offset = 0; /* in code points */
        for (size_t i = 0; i < nb;) {
            int32_t node = 0, best = -1;
            size_t bend = 0;
            for (size_t k = i; k < nb; k++) {
                node = trie_step(trie, node, u[k]);
                if (node < 0) break;
                if (trie->val[node] >= 0) {
                    best = trie->val[node];
                    bend = k + 1;
                }
            }
            if (best < 0) {
                i++;
                continue;
            }
            const struct tok_added_token *t = &a->tok[best];
            size_t start = w->u8cp[i], stop = w->u8cp[bend];
            i = bend;
            if (t->single_word) {
                int32_t before = cp_before(w, s.off, start);
                int32_t after = stop < s.len ? w->cp[s.off + stop] : -1;
                if ((before >= 0 && uc_is_word(before)) || (after >= 0 && uc_is_word(after))) continue;
            }
            if (t->lstrip) {
                size_t ns = start;
                while (ns > 0 && uc_is_whitespace(w->cp[s.off + ns - 1])) ns--;
                start = ns > start_offset ? ns : start_offset;
            }
            if (t->rstrip)
                while (stop < s.len && uc_is_whitespace(w->cp[s.off + stop])) stop++;
            if (start_offset < start) FORWARD_ERR(ws_add_split(w, s.off + start_offset, start - start_offset, -1));
            FORWARD_ERR(ws_add_split(w, s.off + start, stop - start, t->id));
            start_offset = stop;
        }
        if (start_offset < s.len) FORWARD_ERR(ws_add_split(w, s.off + start_offset, s.len - start_offset, -1));
    }
    ws_swap_splits(w);
    return 0;
}

static int normalize_content(const struct tok *t, const char *s, size_t n, struct buf *out)
{
    struct tok_work w = { 0 };
    int rc = 0;
    for (size_t i = 0; i < n && rc == 0;) {
        int32_t cp;
        size_t k = utf8_decode(s + i, n - i, &cp);
        rc = ws_push(&w, cp < 0 ? 0xFFFD : cp, (uint32_t)i, (uint32_t)(i + k));
        i += k;
    }
    size_t off = 0, len = w.n;
    if (rc == 0) rc = norm_apply(t->norm, &w, 0, w.n, &off, &len);
    if (rc == 0) rc = ws_utf8(&w, off, len);
    if (rc == 0) {
        buf_reset(out);
        rc = buf_append(out, w.u8.data ? w.u8.data : "", w.u8.len);
    }
    ws_release(&w);
    return rc;
}

int added_load(struct tok *t, json_t *arr, const char *what)
{
    struct tok_added *a = &t->added;
    FORWARD_ERR(trie_init(&a->raw));
    FORWARD_ERR(trie_init(&a->norm));
    if (!arr || json_is_null(arr)) return 0;
    if (!json_is_array(arr)) return err_set(ERR_FORMAT, "%s: added_tokens must be an array", what);
    size_t n = json_array_size(arr);
    a->tok = mem_calloc(n ? n : 1, sizeof *a->tok);
    if (!a->tok) return ERR_NOMEM;
    for (size_t i = 0; i < n; i++) {
        json_t *e = json_array_get(arr, i);
        json_t *c = json_object_get(e, "content"), *id = json_object_get(e, "id");
        if (!json_is_string(c) || !json_is_integer(id) || json_integer_value(id) < 0 ||
            json_integer_value(id) > INT32_MAX)
            return err_set(ERR_FORMAT, "%s: added_tokens[%zu] needs a string \"content\" and an integer \"id\"", what, i);
        struct tok_added_token *tk = &a->tok[a->n];
        const char *cs = json_string_value(c);
        size_t cl = json_string_length(c), k;
        if (!cl) continue;
        for (k = 0; k < a->n && !(a->tok[k].len == cl && !memcmp(a->tok[k].content, cs, cl)); k++) {}
        if (k < a->n) continue; /* a duplicate: HF keeps the first */
        tk->len = cl;
        tk->content = mem_strndup(cs, cl);
        if (!tk->content) return ERR_NOMEM;
        a->n++;
        /* HF ignores the "id" of the file: a token of the model's vocabulary
         * gets its vocabulary id, a new one the next id after the model's
         * vocabulary and the added tokens (AddedVocabulary::add_tokens) */
        int32_t vid = strmap_get(&t->model.vocab, cs, cl);
        if (vid >= 0) {
            tk->id = vid;
        } else {
            size_t vsize = t->model.type == MODEL_UNIGRAM ? t->model.n_pieces : t->model.vocab.n;
            int64_t max = -1;
            for (k = 0; k + 1 < a->n; k++)
                if (a->tok[k].id > max) max = a->tok[k].id;
            if (max < 0) tk->id = (int32_t)vsize;
            else if ((size_t)max >= vsize || vsize == 0) tk->id = (int32_t)(max + 1);
            else tk->id = (int32_t)vsize;
        }
        (void)id;
        FORWARD_ERR(json_get_bool(e, "special", what, &tk->special));
        tk->normalized = !tk->special;
        FORWARD_ERR(json_get_bool(e, "single_word", what, &tk->single_word));
        FORWARD_ERR(json_get_bool(e, "lstrip", what, &tk->lstrip));
        FORWARD_ERR(json_get_bool(e, "rstrip", what, &tk->rstrip));
        FORWARD_ERR(json_get_bool(e, "normalized", what, &tk->normalized));
    }
    struct buf nb = BUF_INIT;
    int rc = 0;
    for (size_t i = 0; i < a->n && rc == 0; i++) {
        struct tok_added_token *tk = &a->tok[i];
        if (!tk->normalized || !t->norm) {
            if (tk->normalized) rc = trie_insert(&a->norm, tk->content, tk->len, (int32_t)i);
            else rc = trie_insert(&a->raw, tk->content, tk->len, (int32_t)i);
            continue;
        }
        rc = normalize_content(t, tk->content, tk->len, &nb);
        if (rc == 0 && nb.len) rc = trie_insert(&a->norm, nb.data, nb.len, (int32_t)i);
    }
    buf_release(&nb);
    return rc;
}

void added_free(struct tok_added *a)
{
    for (size_t i = 0; i < a->n; i++) mem_free(a->tok[i].content);
    mem_free(a->tok);
    trie_free(&a->raw);
    trie_free(&a->norm);
    memset(a, 0, sizeof *a);
}
