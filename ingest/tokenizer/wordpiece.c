/*
 * wordpiece.c - the WordPiece model of HF tokenizers (models/wordpiece/).
 *
 * Greedy longest-match-first from the left: at each position the longest
 * vocabulary entry (prefixed with continuing_subword_prefix after the first
 * piece) is taken; if some position has no match, or the word is longer
 * than max_input_chars_per_word characters, the whole word is unk_token.
 * Candidates start at the longest vocabulary entry, so the cost is O(L * K)
 * lookups for an L-byte word and K-byte longest entry.
 */
#include <string.h>

#include "common/err.h"
#include "common/mem.h"
#include "common/utf8.h"
#include "ingest/tokenizer/tok_impl.h"

int tok_wordpiece_tokenize(const struct tok_model *m, struct tok_work *w, const char *s, size_t n)
{
    size_t nchars = 0;
    for (size_t i = 0; i < n; i++) nchars += ((unsigned char)s[i] & 0xC0) != 0x80;
    if (nchars > m->max_chars) return tok_tokens_push(&w->tk, m->unk_id, 0, (uint32_t)n);
    size_t plen = m->prefix ? strlen(m->prefix) : 0, mark = w->tk.n;
    char *key = mem_alloc(plen + n + 1);
    if (!key) return err_nomem();
    if (plen) memcpy(key, m->prefix, plen);
    size_t start = 0;
    int rc = 0;
    while (start < n) {
        /* no entry is longer than max_key bytes: start there (same result,
         * linear instead of quadratic time in a long word) */
        size_t lim = m->max_key + 1 > (start > 0 ? plen : 0) ? m->max_key - (start > 0 ? plen : 0) : 0;
        size_t end = n - start > lim ? start + lim : n;
        while (end > start && end < n && ((unsigned char)s[end] & 0xC0) == 0x80) end--;
        if (end == start) end = start + 1; /* nothing fits: the loop below fails at once */
        int32_t id = -1;
        while (start < end) {
            const char *k = s + start;
            size_t kl = end - start;
            if (start > 0) {
                memcpy(key + plen, s + start, kl);
                k = key;
                kl += plen;
            }
            id = tok_strmap_get(&m->vocab, k, kl);
            if (id >= 0) break;
            /* drop the last character */
            end--;
            while (end > start && ((unsigned char)s[end] & 0xC0) == 0x80) end--;
        }
        if (id < 0) {
            w->tk.n = mark;
            rc = tok_tokens_push(&w->tk, m->unk_id, 0, (uint32_t)n);
            break;
        }
        if ((rc = tok_tokens_push(&w->tk, id, (uint32_t)start, (uint32_t)end)) < 0) break;
        start = end;
    }
    mem_free(key);
    return rc;
}

int tok_wordpiece_load(struct tok_model *m, json_t *j, const char *what)
{
    m->type = MODEL_WORDPIECE;
    FORWARD_ERR(tok_vocab_load_object(&m->vocab, json_object_get(j, "vocab"), what));
    const char *unk = "[UNK]", *prefix = "##";
    FORWARD_ERR(json_get_str(j, "unk_token", what, &unk));
    FORWARD_ERR(json_get_str(j, "continuing_subword_prefix", what, &prefix));
    int64_t maxc = 100;
    FORWARD_ERR(json_get_int(j, "max_input_chars_per_word", what, &maxc));
    if (maxc < 0) return err_set(ERR_FORMAT, "%s: max_input_chars_per_word %lld < 0", what, (long long)maxc);
    m->max_chars = (size_t)maxc;
    m->unk_id = tok_strmap_get(&m->vocab, unk, strlen(unk));
    if (m->unk_id < 0) return err_set(ERR_FORMAT, "%s: unk_token '%s' is not in the vocabulary", what, unk);
    if (*prefix && !(m->prefix = mem_strdup(prefix))) return err_nomem();
    for (size_t i = 0; i < m->vocab.n; i++)
        if (m->vocab.klen[i] > m->max_key) m->max_key = m->vocab.klen[i];
    return 0;
}
