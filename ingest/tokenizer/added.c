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
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/err.h"
#include "common/mem.h"
#include "common/utf8.h"
#include "ingest/tokenizer/tok_impl.h"

static int32_t cp_before(const struct tok_work *w, size_t off, size_t i)
{
    return i > 0 ? w->cp[off + i - 1] : -1;
}

int tok_added_split(const struct tok_added *a, const struct tok_trie *trie, struct tok_work *w)
{
    if (trie->n <= 1) return 0; /* no patterns */
    w->nsp2 = 0;
    for (size_t si = 0; si < w->nsp; si++) {
        struct tok_split s = w->sp[si];
        if (s.id >= 0 || s.len == 0) {
            if (s.id >= 0) FORWARD_ERR(tok_ws_add_split(w, s.off, s.len, s.id));
            continue;
        }
        FORWARD_ERR(tok_ws_utf8(w, s.off, s.len));
        const unsigned char *u = (const unsigned char *)w->u8.data;
        size_t nb = w->u8.len, start_offset = 0; /* in code points */
        for (size_t i = 0; i < nb;) {
            int32_t node = 0, best = -1;
            size_t bend = 0;
            for (size_t k = i; k < nb; k++) {
                node = tok_trie_step(trie, node, u[k]);
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
                if ((before >= 0 && tok_uc_is_word(before)) || (after >= 0 && tok_uc_is_word(after))) continue;
            }
            if (t->lstrip) {
                size_t ns = start;
                while (ns > start_offset && tok_uc_is_whitespace(w->cp[s.off + ns - 1])) ns--;
                start = ns > start_offset ? ns : start_offset;
            }
            if (t->rstrip)
                while (stop < s.len && tok_uc_is_whitespace(w->cp[s.off + stop])) stop++;
            if (start_offset < start) FORWARD_ERR(tok_ws_add_split(w, s.off + start_offset, start - start_offset, -1));
            FORWARD_ERR(tok_ws_add_split(w, s.off + start, stop - start, t->id));
            start_offset = stop;
        }
        if (start_offset < s.len) FORWARD_ERR(tok_ws_add_split(w, s.off + start_offset, s.len - start_offset, -1));
    }
    tok_ws_swap_splits(w);
    return 0;
}

static int normalize_content(const struct tok *t, const char *s, size_t n, struct buf *out)
{
    struct tok_work w = { 0 };
    int rc = 0;
    for (size_t i = 0; i < n && rc == 0;) {
        int32_t cp;
        size_t k = utf8_decode(s + i, n - i, &cp);
        rc = tok_ws_push(&w, cp < 0 ? 0xFFFD : cp, (uint32_t)i, (uint32_t)(i + k));
        i += k;
    }
    size_t off = 0, len = w.n;
    if (rc == 0) rc = tok_norm_apply(t->norm, &w, 0, w.n, &off, &len);
    if (rc == 0) rc = tok_ws_utf8(&w, off, len);
    if (rc == 0) {
        buf_reset(out);
        rc = buf_append(out, w.u8.data ? w.u8.data : "", w.u8.len);
    }
    tok_ws_release(&w);
    return rc;
}

/* added_add: HF AddedVocabulary::add_tokens for one token. A content
 * already added is ignored (HF compares tokens by content). HF ignores the
 * "id" of the file: a token of the model's vocabulary gets its vocabulary
 * id, a new one the next id after the vocabulary and the added tokens. */
static int added_add(struct tok *t, const struct tok_added_token *in)
{
    struct tok_added *a = &t->added;
    if (!in->len) return 0;
    for (size_t k = 0; k < a->n; k++)
        if (a->tok[k].len == in->len && !memcmp(a->tok[k].content, in->content, in->len)) return 0;
    struct tok_added_token *nt = mem_realloc(a->tok, (a->n + 1) * sizeof *nt);
    if (!nt) return err_nomem();
    a->tok = nt;
    struct tok_added_token *tk = &a->tok[a->n];
    *tk = *in;
    if (!(tk->content = mem_strndup(in->content, in->len))) return err_nomem();
    int32_t vid = tok_strmap_get(&t->model.vocab, in->content, in->len);
    if (vid >= 0) {
        tk->id = vid;
    } else {
        size_t vsize = t->model.type == MODEL_UNIGRAM ? t->model.n_pieces : t->model.vocab.n;
        int64_t max = -1;
        for (size_t k = 0; k < a->n; k++)
            if (a->tok[k].id > max) max = a->tok[k].id;
        if (max < 0) tk->id = (int32_t)vsize;
        else if ((size_t)max >= vsize || vsize == 0) tk->id = (int32_t)(max + 1);
        else tk->id = (int32_t)vsize;
    }
    a->n++;
    return 0;
}

/* parse_token: an AddedToken object (tokenizer.json added_tokens,
 * tokenizer_config.json added_tokens_decoder, special_tokens_map.json) or a
 * plain string (special_tokens_map.json: a special token, default flags). */
static int parse_token(json_t *e, int special_default, struct tok_added_token *tk, const char *what,
                       const char *where)
{
    memset(tk, 0, sizeof *tk);
    tk->special = special_default;
    if (json_is_string(e)) {
        tk->content = (char *)json_string_value(e);
        tk->len = json_string_length(e);
        tk->normalized = !tk->special;
        return 0;
    }
    json_t *c = json_object_get(e, "content");
    if (!json_is_string(c)) return err_set(ERR_FORMAT, "%s: %s needs a string \"content\"", what, where);
    tk->content = (char *)json_string_value(c);
    tk->len = json_string_length(c);
    FORWARD_ERR(json_get_bool(e, "special", what, &tk->special));
    tk->normalized = !tk->special;
    FORWARD_ERR(json_get_bool(e, "single_word", what, &tk->single_word));
    FORWARD_ERR(json_get_bool(e, "lstrip", what, &tk->lstrip));
    FORWARD_ERR(json_get_bool(e, "rstrip", what, &tk->rstrip));
    FORWARD_ERR(json_get_bool(e, "normalized", what, &tk->normalized));
    return 0;
}

int tok_added_load(struct tok *t, json_t *arr, const char *what)
{
    if (!arr || json_is_null(arr)) return 0;
    if (!json_is_array(arr)) return err_set(ERR_FORMAT, "%s: added_tokens must be an array", what);
    for (size_t i = 0; i < json_array_size(arr); i++) {
        struct tok_added_token tk;
        char where[64];
        snprintf(where, sizeof where, "added_tokens[%zu]", i);
        FORWARD_ERR(parse_token(json_array_get(arr, i), 0, &tk, what, where));
        FORWARD_ERR(added_add(t, &tk));
    }
    return 0;
}

static int cmp_id(const void *a, const void *b)
{
    long long x = *(const long long *)a, y = *(const long long *)b;
    return x < y ? -1 : x > y;
}

/* tok_added_load_config: what transformers' PreTrainedTokenizerFast adds at
 * load time: the added_tokens_decoder of tokenizer_config.json (by id), then
 * the special tokens of special_tokens_map.json, when their content is not
 * an added token yet. */
int tok_added_load_config(struct tok *t, json_t *config, json_t *special_map, const char *what_config,
                      const char *what_map)
{
    json_t *dec = json_object_get(config, "added_tokens_decoder");
    if (json_is_object(dec)) {
        size_t n = json_object_size(dec), k = 0;
        long long *ids = mem_alloc_array(n ? n : 1, sizeof *ids);
        if (!ids) return err_nomem();
        const char *key;
        json_t *v;
        json_object_foreach(dec, key, v) ids[k++] = strtoll(key, NULL, 10);
        qsort(ids, n, sizeof *ids, cmp_id);
        int rc = 0;
        for (k = 0; k < n && rc == 0; k++) {
            char key2[32];
            snprintf(key2, sizeof key2, "%lld", ids[k]);
            json_t *e = json_object_get(dec, key2);
            struct tok_added_token tk;
            if (!e) continue;
            rc = parse_token(e, 0, &tk, what_config, "added_tokens_decoder entry");
            if (rc == 0) rc = added_add(t, &tk);
        }
        mem_free(ids);
        FORWARD_ERR(rc);
    }
    static const char *const attrs[] = { "bos_token", "eos_token", "unk_token", "sep_token",
                                         "pad_token", "cls_token", "mask_token" };
    for (size_t i = 0; special_map && i < sizeof attrs / sizeof attrs[0]; i++) {
        json_t *e = json_object_get(special_map, attrs[i]);
        if (!e || json_is_null(e)) continue;
        struct tok_added_token tk;
        FORWARD_ERR(parse_token(e, 1, &tk, what_map, attrs[i]));
        tk.special = 1;
        FORWARD_ERR(added_add(t, &tk));
    }
    json_t *extra = special_map ? json_object_get(special_map, "additional_special_tokens") : NULL;
    for (size_t i = 0; json_is_array(extra) && i < json_array_size(extra); i++) {
        struct tok_added_token tk;
        FORWARD_ERR(parse_token(json_array_get(extra, i), 1, &tk, what_map, "additional_special_tokens"));
        tk.special = 1;
        FORWARD_ERR(added_add(t, &tk));
    }
    return 0;
}

/* tok_added_build: the two matching tries (raw and normalized contents). */
int tok_added_build(struct tok *t)
{
    struct tok_added *a = &t->added;
    tok_trie_free(&a->raw);
    tok_trie_free(&a->norm);
    FORWARD_ERR(tok_trie_init(&a->raw));
    FORWARD_ERR(tok_trie_init(&a->norm));
    struct buf nb = BUF_INIT;
    int rc = 0;
    for (size_t i = 0; i < a->n && rc == 0; i++) {
        struct tok_added_token *tk = &a->tok[i];
        if (!tk->normalized || !t->norm) {
            if (tk->normalized) rc = tok_trie_insert(&a->norm, tk->content, tk->len, (int32_t)i);
            else rc = tok_trie_insert(&a->raw, tk->content, tk->len, (int32_t)i);
            continue;
        }
        rc = normalize_content(t, tk->content, tk->len, &nb);
        if (rc == 0 && nb.len) rc = tok_trie_insert(&a->norm, nb.data, nb.len, (int32_t)i);
    }
    buf_release(&nb);
    return rc;
}

void tok_added_free(struct tok_added *a)
{
    for (size_t i = 0; i < a->n; i++) mem_free(a->tok[i].content);
    mem_free(a->tok);
    tok_trie_free(&a->raw);
    tok_trie_free(&a->norm);
    memset(a, 0, sizeof *a);
}
