/*
 * unigram.c - the Unigram model of HF tokenizers (models/unigram/model.rs,
 * encode_optimized), SentencePiece's Viterbi segmentation.
 *
 * For each byte position the best-scoring path ending there is kept; every
 * vocabulary piece starting at a position (a common-prefix search of the
 * piece trie) proposes score(piece) + best(start); a position with no
 * one-character piece also gets the unknown character at min_score - 10.
 * Ties keep the first candidate (shorter pieces are proposed first), which
 * is HF's tie-break (SentencePiece's own may differ). Consecutive unknowns
 * are fused into one unk (fuse_unk, always on in HF's Unigram); with
 * byte_fallback an unknown piece becomes its <0xXX> byte tokens.
 * Linear in the piece length times the longest vocabulary piece.
 */
#include <float.h>
#include <string.h>

#include "common/err.h"
#include "common/mem.h"
#include "common/utf8.h"
#include "ingest/tokenizer/tok_impl.h"

#define UNK_PENALTY 10.0

struct node {
    double score;
    int64_t start;  /* -1 = not reached */
    int32_t id;
};

static int emit(const struct tok_model *m, struct tok_work *w, const char *s, uint32_t a, uint32_t b)
{
    if (a == b) return 0;
    int32_t id = tok_strmap_get(&m->vocab, s + a, b - a);
    if (id >= 0) return tok_tokens_push(&w->tk, id, a, b);
    if (m->byte_fallback) {
        uint32_t i;
        for (i = a; i < b && m->byte_id[(unsigned char)s[i]] >= 0; i++) {}
        if (i == b) {
            for (i = a; i < b; i++) FORWARD_ERR(tok_tokens_push(&w->tk, m->byte_id[(unsigned char)s[i]], a, b));
            return 0;
        }
    }
    /* no unk_id: HF fails the whole encode (MissingUnkId); we drop the piece */
    return m->unk_id >= 0 ? tok_tokens_push(&w->tk, m->unk_id, a, b) : 0;
}

int tok_unigram_tokenize(const struct tok_model *m, struct tok_work *w, const char *s, size_t n)
{
    if (!n) return 0;
    FORWARD_ERR(mem_grow(&w->scratch, &w->capscratch, (n + 1) * sizeof(struct node), 1));
    struct node *best = w->scratch;
    for (size_t i = 0; i <= n; i++) best[i] = (struct node){ 0.0, -1, 0 };
    double unk_score = m->min_score - UNK_PENALTY;
    for (size_t at = 0; at < n;) {
        double here = best[at].score;
        int32_t cp;
        size_t mblen = utf8_decode(s + at, n - at, &cp);
        int single = 0;
        int32_t node = 0;
        for (size_t k = at; k < n; k++) {
            node = tok_trie_step(&m->trie, node, (unsigned char)s[k]);
            if (node < 0) break;
            int32_t id = m->trie.val[node];
            if (id < 0) continue;
            size_t end = k + 1;
            double cand = m->score[id] + here;
            if (best[end].start < 0 || cand > best[end].score) {
                best[end] = (struct node){ cand, (int64_t)at, id };
            }
            if (end - at == mblen) single = 1;
        }
        if (!single) {
            double cand = unk_score + here;
            if (best[at + mblen].start < 0 || cand > best[at + mblen].score)
                best[at + mblen] = (struct node){ cand, (int64_t)at, m->unk_id };
        }
        at += mblen;
    }
    /* backtrack, fusing runs of unk, then emit in order */
    size_t mark = w->tk.n;
    size_t end = n;
    uint32_t fuse_end = 0;
    int fusing = 0;
    while (end > 0) {
        struct node *nd = &best[end];
        size_t st = (size_t)nd->start;
        if (m->unk_id >= 0 && nd->id == m->unk_id) {
            if (!fusing) {
                fusing = 1;
                fuse_end = (uint32_t)end;
            }
        } else {
            if (fusing) {
                FORWARD_ERR(tok_tokens_push(&w->tk, -1, (uint32_t)end, fuse_end));
                fusing = 0;
            }
            FORWARD_ERR(tok_tokens_push(&w->tk, -1, (uint32_t)st, (uint32_t)end));
        }
        end = st;
    }
    if (fusing) FORWARD_ERR(tok_tokens_push(&w->tk, -1, 0, fuse_end));
    /* the spans were pushed in reverse: take them out and re-emit */
    size_t cnt = w->tk.n - mark;
    uint32_t *spans = mem_alloc_array(cnt ? 2 * cnt : 1, sizeof *spans);
    if (!spans) return err_nomem();
    for (size_t i = 0; i < cnt; i++) {
        spans[2 * i] = w->tk.bs[w->tk.n - 1 - i];
        spans[2 * i + 1] = w->tk.be[w->tk.n - 1 - i];
    }
    w->tk.n = mark;
    int rc = 0;
    for (size_t i = 0; i < cnt && rc == 0; i++) rc = emit(m, w, s, spans[2 * i], spans[2 * i + 1]);
    mem_free(spans);
    return rc;
}

int tok_unigram_load(struct tok_model *m, json_t *j, const char *what)
{
    m->type = MODEL_UNIGRAM;
    json_t *vocab = json_object_get(j, "vocab");
    if (!json_is_array(vocab)) return err_set(ERR_FORMAT, "%s: Unigram model.vocab must be an array", what);
    m->n_pieces = json_array_size(vocab);
    m->score = mem_alloc_array(m->n_pieces ? m->n_pieces : 1, sizeof *m->score);
    if (!m->score) return err_nomem();
    FORWARD_ERR(tok_trie_init(&m->trie));
    m->min_score = m->n_pieces ? DBL_MAX : 0.0;
    for (size_t i = 0; i < m->n_pieces; i++) {
        json_t *e = json_array_get(vocab, i);
        json_t *p = json_array_get(e, 0), *sc = json_array_get(e, 1);
        if (!json_is_string(p) || !json_is_number(sc))
            return err_set(ERR_FORMAT, "%s: Unigram piece %zu is not [string, score]", what, i);
        const char *ps = json_string_value(p);
        size_t pl = json_string_length(p);
        m->score[i] = json_number_value(sc);
        if (m->score[i] < m->min_score) m->min_score = m->score[i];
        FORWARD_ERR(tok_strmap_put(&m->vocab, ps, pl, (int32_t)i)); /* a duplicate: the last wins */
    }
    for (size_t i = 0; i < m->n_pieces; i++) {
        json_t *p = json_array_get(json_array_get(vocab, i), 0);
        const char *ps = json_string_value(p);
        size_t pl = json_string_length(p);
        if (pl) FORWARD_ERR(tok_trie_insert(&m->trie, ps, pl, tok_strmap_get(&m->vocab, ps, pl)));
    }
    int64_t unk = -1;
    json_t *u = json_object_get(j, "unk_id");
    if (json_is_integer(u)) unk = json_integer_value(u);
    else if (u && !json_is_null(u)) return err_set(ERR_FORMAT, "%s: model.unk_id must be an integer", what);
    if (unk >= (int64_t)m->n_pieces) return err_set(ERR_FORMAT, "%s: unk_id %lld out of range", what, (long long)unk);
    m->unk_id = (int32_t)unk;
    FORWARD_ERR(json_get_bool(j, "byte_fallback", what, &m->byte_fallback));
    for (int b = 0; b < 256; b++) {
        char key[8];
        snprintf(key, sizeof key, "<0x%02X>", b);
        m->byte_id[b] = tok_strmap_get(&m->vocab, key, 6);
    }
    return 0;
}
