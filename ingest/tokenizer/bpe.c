/*
 * bpe.c - the BPE model of HF tokenizers (models/bpe/model.rs, word.rs).
 *
 * A piece is split into characters (with continuing_subword_prefix on all
 * but the first and end_of_word_suffix on the last), each looked up in the
 * vocabulary; unknown ones become <0xXX> byte tokens (byte_fallback) or
 * unk_token (fused when fuse_unk), or vanish when there is no unk_token.
 * Then merges are applied lowest rank first, leftmost first on equal rank,
 * from a binary heap over a linked list of symbols, exactly as word.rs
 * merge_all does: O(n log n) in the piece length. ignore_merges: a piece
 * that is itself in the vocabulary is one token. dropout is ignored
 * (inference). No word cache: results do not depend on one.
 */
#include <string.h>

#include "common/err.h"
#include "common/hash.h"
#include "common/mem.h"
#include "common/utf8.h"
#include "ingest/tokenizer/tok_impl.h"

struct sym {
    int32_t c, prev, next;
    uint32_t start, len;
};

struct merge {
    uint32_t rank, pos;
    int32_t new_id;
};

/* heap order: lower rank first, then lower position */
static int merge_less(const struct merge *a, const struct merge *b)
{
    return a->rank < b->rank || (a->rank == b->rank && a->pos < b->pos);
}

static void heap_push(struct merge *h, size_t *n, struct merge m)
{
    size_t i = (*n)++;
    while (i > 0) {
        size_t p = (i - 1) / 2;
        if (!merge_less(&m, &h[p])) break;
        h[i] = h[p];
        i = p;
    }
    h[i] = m;
}

static struct merge heap_pop(struct merge *h, size_t *n)
{
    struct merge top = h[0], last = h[--(*n)];
    size_t i = 0;
    for (;;) {
        size_t l = 2 * i + 1, r = l + 1, m = i;
        const struct merge *best = &last;
        if (l < *n && merge_less(&h[l], best)) { m = l; best = &h[l]; }
        if (r < *n && merge_less(&h[r], best)) { m = r; }
        if (m == i) break;
        h[i] = h[m];
        i = m;
    }
    if (*n) h[i] = last;
    return top;
}

static int get_merge(const struct tok_model *m, int32_t a, int32_t b, uint32_t *rank, int32_t *id)
{
    uint64_t v;
    if (!tok_u64map_get(&m->merges, (uint64_t)(uint32_t)a << 32 | (uint32_t)b, &v)) return 0;
    *rank = (uint32_t)(v >> 32);
    *id = (int32_t)(uint32_t)v;
    return 1;
}

static void sym_add(struct sym *s, size_t *n, int32_t c, uint32_t start, uint32_t len)
{
    size_t i = (*n)++;
    s[i] = (struct sym){ c, (int32_t)i - 1, -1, start, len };
    if (i > 0) s[i - 1].next = (int32_t)i;
}

static int bpe_merge(const struct tok_model *m, struct tok_work *w, const char *s, size_t n);

int tok_bpe_tokenize(const struct tok_model *m, struct tok_work *w, const char *s, size_t n)
{
    if (!n) return 0;
    if (!w->bpe_cache || n > BPE_CACHE_KEY) return bpe_merge(m, w, s, n);
    struct bpe_cache_slot *c = &w->bpe_cache[hash64(s, n, 0) & (BPE_CACHE_SLOTS - 1)];
    if (c->klen == n && !memcmp(c->key, s, n)) {
        uint32_t start = 0;
        for (size_t i = 0; i < c->ntok; i++) {
            FORWARD_ERR(tok_tokens_push(&w->tk, c->id[i], start, c->end[i]));
            start = c->end[i];
        }
        return 0;
    }
    size_t mark = w->tk.n;
    FORWARD_ERR(bpe_merge(m, w, s, n));
    size_t nt = w->tk.n - mark;
    /* cache only results that tile the word (byte fallback inside a char does not) */
    int tiles = nt <= BPE_CACHE_TOK;
    for (size_t i = 0; tiles && i < nt; i++)
        tiles = w->tk.bs[mark + i] == (i ? w->tk.be[mark + i - 1] : 0);
    if (tiles) {
        c->klen = (uint8_t)n;
        c->ntok = (uint8_t)nt;
        memcpy(c->key, s, n);
        for (size_t i = 0; i < nt; i++) {
            c->id[i] = w->tk.id[mark + i];
            c->end[i] = (uint16_t)w->tk.be[mark + i];
        }
    }
    return 0;
}

static int bpe_merge(const struct tok_model *m, struct tok_work *w, const char *s, size_t n)
{
    if (m->ignore_merges) {
        int32_t id = tok_strmap_get(&m->vocab, s, n);
        if (id >= 0) return tok_tokens_push(&w->tk, id, 0, (uint32_t)n);
    }
    /* at most 4 symbols per byte with byte fallback (never more than n) */
    FORWARD_ERR(mem_grow(&w->scratch, &w->capscratch, (n + 1) * sizeof(struct sym), 1));
    struct sym *sy = w->scratch;
    size_t ns = 0;
    size_t plen = m->prefix ? strlen(m->prefix) : 0, slen = m->suffix ? strlen(m->suffix) : 0;
    char stack[64];
    int have_unk = 0;
    uint32_t unk_start = 0, unk_len = 0;
    for (size_t i = 0; i < n;) {
        int32_t cp;
        size_t k = utf8_decode(s + i, n - i, &cp);
        int first = i == 0, last = i + k == n;
        const char *key = s + i;
        size_t klen = k;
        char *heap = NULL;
        if ((!first && plen) || (last && slen)) {
            size_t need = k + (!first ? plen : 0) + (last ? slen : 0);
            char *d = need <= sizeof stack ? stack : (heap = mem_alloc(need));
            if (!d) return err_nomem();
            size_t o = 0;
            if (!first && plen) { memcpy(d, m->prefix, plen); o += plen; }
            memcpy(d + o, s + i, k);
            o += k;
            if (last && slen) { memcpy(d + o, m->suffix, slen); o += slen; }
            key = d;
            klen = o;
        }
        int32_t id = m->char_id && cp >= 0 && cp < 0x800 ? m->char_id[cp] : tok_strmap_get(&m->vocab, key, klen);
        if (id >= 0) {
            if (have_unk) {
                sym_add(sy, &ns, m->unk_id, unk_start, unk_len);
                have_unk = 0;
            }
            sym_add(sy, &ns, id, (uint32_t)i, (uint32_t)k);
        } else {
            int done = 0;
            if (m->byte_fallback) {
                /* every byte of the (prefixed) key must have a <0xXX> token */
                size_t b;
                for (b = 0; b < klen && m->byte_id[(unsigned char)key[b]] >= 0; b++) {}
                if (b == klen) {
                    if (klen > k) {
                        /* byte tokens get length 1 each; keep offsets inside the char */
                        FORWARD_ERR(mem_grow(&w->scratch, &w->capscratch,
                                             (ns + klen + (n - i) + 1) * sizeof(struct sym), 1));
                        sy = w->scratch;
                    }
                    for (b = 0; b < klen; b++) {
                        uint32_t st = (uint32_t)(i + (b < k ? b : k - 1));
                        sym_add(sy, &ns, m->byte_id[(unsigned char)key[b]], st, 1);
                    }
                    done = 1;
                }
            }
            if (!done && m->unk_id >= 0) {
                if (have_unk && m->fuse_unk) {
                    unk_len += (uint32_t)k;
                } else {
                    if (have_unk) sym_add(sy, &ns, m->unk_id, unk_start, unk_len);
                    have_unk = 1;
                    unk_start = (uint32_t)i;
                    unk_len = (uint32_t)k;
                }
            }
        }
        mem_free(heap);
        i += k;
    }
    if (have_unk) sym_add(sy, &ns, m->unk_id, unk_start, unk_len);
    if (ns == 0) return 0;
    FORWARD_ERR(mem_grow(&w->scratch2, &w->capscratch2, ns + 2, sizeof(struct merge)));
    struct merge *hp = w->scratch2;
    size_t nh = 0;
    for (size_t i = 0; i + 1 < ns; i++) {
        uint32_t rank;
        int32_t nid;
        if (get_merge(m, sy[i].c, sy[i + 1].c, &rank, &nid))
            heap_push(hp, &nh, (struct merge){ rank, (uint32_t)i, nid });
    }
    /* each merge pushes at most 2 entries and removes a symbol: 3n bound */
    size_t cap_heap = w->capscratch2;
    while (nh) {
        struct merge top = heap_pop(hp, &nh);
        struct sym *cur = &sy[top.pos];
        if (cur->len == 0 || cur->next < 0) continue;
        struct sym right = sy[cur->next];
        uint32_t rank;
        int32_t nid;
        if (!get_merge(m, cur->c, right.c, &rank, &nid) || nid != top.new_id) continue;
        int32_t next_pos = cur->next;
        cur->c = top.new_id;
        cur->len += right.len;
        cur->next = right.next;
        sy[next_pos].len = 0;
        if (right.next >= 0) sy[right.next].prev = (int32_t)top.pos;
        if (nh + 2 > cap_heap) {
            FORWARD_ERR(mem_grow(&w->scratch2, &w->capscratch2, nh + 2, sizeof(struct merge)));
            hp = w->scratch2;
            cap_heap = w->capscratch2;
        }
        if (cur->prev >= 0 && get_merge(m, sy[cur->prev].c, cur->c, &rank, &nid))
            heap_push(hp, &nh, (struct merge){ rank, (uint32_t)cur->prev, nid });
        if (cur->next >= 0 && get_merge(m, cur->c, sy[cur->next].c, &rank, &nid))
            heap_push(hp, &nh, (struct merge){ rank, top.pos, nid });
    }
    for (size_t i = 0; i < ns; i++) {
        if (!sy[i].len) continue;
        FORWARD_ERR(tok_tokens_push(&w->tk, sy[i].c, sy[i].start, sy[i].start + sy[i].len));
    }
    return 0;
}

/* ---- loading ---- */

static int merge_parts(json_t *e, const char **a, size_t *la, const char **b, size_t *lb)
{
    if (json_is_string(e)) {
        const char *s = json_string_value(e);
        size_t n = json_string_length(e);
        const char *sp = memchr(s, ' ', n);
        if (!sp || memchr(sp + 1, ' ', n - (size_t)(sp + 1 - s))) return -1;
        *a = s;
        *la = (size_t)(sp - s);
        *b = sp + 1;
        *lb = n - *la - 1;
        return 0;
    }
    if (json_is_array(e) && json_array_size(e) == 2 && json_is_string(json_array_get(e, 0)) &&
        json_is_string(json_array_get(e, 1))) {
        *a = json_string_value(json_array_get(e, 0));
        *la = json_string_length(json_array_get(e, 0));
        *b = json_string_value(json_array_get(e, 1));
        *lb = json_string_length(json_array_get(e, 1));
        return 0;
    }
    return -1;
}

static int opt_str(json_t *j, const char *key, char **out, const char *what)
{
    json_t *v = json_object_get(j, key);
    if (!v || json_is_null(v)) return 0;
    if (!json_is_string(v)) return err_set(ERR_FORMAT, "%s: model.%s must be a string", what, key);
    if (!json_string_length(v)) return 0;
    *out = mem_strdup(json_string_value(v));
    return *out ? 0 : err_nomem();
}

int tok_bpe_load(struct tok_model *m, json_t *j, const char *what)
{
    m->type = MODEL_BPE;
    FORWARD_ERR(tok_vocab_load_object(&m->vocab, json_object_get(j, "vocab"), what));
    FORWARD_ERR(opt_str(j, "continuing_subword_prefix", &m->prefix, what));
    FORWARD_ERR(opt_str(j, "end_of_word_suffix", &m->suffix, what));
    char *unk = NULL;
    FORWARD_ERR(opt_str(j, "unk_token", &unk, what));
    if (unk) {
        m->unk_id = tok_strmap_get(&m->vocab, unk, strlen(unk));
        int missing = m->unk_id < 0;
        if (missing) err_set(ERR_FORMAT, "%s: unk_token '%s' is not in the vocabulary", what, unk);
        mem_free(unk);
        if (missing) return ERR_FORMAT;
    }
    FORWARD_ERR(json_get_bool(j, "fuse_unk", what, &m->fuse_unk));
    FORWARD_ERR(json_get_bool(j, "byte_fallback", what, &m->byte_fallback));
    FORWARD_ERR(json_get_bool(j, "ignore_merges", what, &m->ignore_merges));
    for (int b = 0; b < 256; b++) {
        char key[8];
        snprintf(key, sizeof key, "<0x%02X>", b);
        m->byte_id[b] = tok_strmap_get(&m->vocab, key, 6);
    }
    if (!m->prefix && !m->suffix) {
        m->char_id = mem_alloc_array(0x800, sizeof *m->char_id);
        if (!m->char_id) return err_nomem();
        for (int32_t c = 0; c < 0x800; c++) {
            char u[4];
            size_t k = utf8_encode(c, u);
            m->char_id[c] = tok_strmap_get(&m->vocab, u, k);
        }
    }
    json_t *merges = json_object_get(j, "merges");
    if (!merges || json_is_null(merges)) return 0;
    if (!json_is_array(merges)) return err_set(ERR_FORMAT, "%s: model.merges must be an array", what);
    size_t plen = m->prefix ? strlen(m->prefix) : 0;
    struct buf nt = BUF_INIT;
    int rc = 0;
    for (size_t i = 0; i < json_array_size(merges); i++) {
        const char *a, *b;
        size_t la, lb;
        if (merge_parts(json_array_get(merges, i), &a, &la, &b, &lb) < 0) {
            rc = err_set(ERR_FORMAT, "%s: merge %zu is not \"a b\" or [a, b]", what, i);
            break;
        }
        int32_t ia = tok_strmap_get(&m->vocab, a, la), ib = tok_strmap_get(&m->vocab, b, lb);
        if (ia < 0 || ib < 0 || lb < plen) {
            rc = err_set(ERR_FORMAT, "%s: merge %zu '%.*s %.*s': token not in the vocabulary", what,
                         i, (int)la, a, (int)lb, b);
            break;
        }
        buf_reset(&nt);
        if (buf_append(&nt, a, la) < 0 || buf_append(&nt, b + plen, lb - plen) < 0) {
            rc = err_nomem();
            break;
        }
        int32_t in = tok_strmap_get(&m->vocab, nt.data, nt.len);
        if (in < 0) {
            rc = err_set(ERR_FORMAT, "%s: merge %zu: '%s' is not in the vocabulary", what, i, nt.data);
            break;
        }
        rc = tok_u64map_put(&m->merges, (uint64_t)(uint32_t)ia << 32 | (uint32_t)ib,
                        (uint64_t)i << 32 | (uint32_t)in);
        if (rc < 0) break;
    }
    buf_release(&nt);
    return rc;
}
