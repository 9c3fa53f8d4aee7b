/*
 * tokenizer.c - loading tokenizer.json and the encode pipeline (HF
 * tokenizers tokenizer/mod.rs: encode_single_sequence, post_process,
 * truncate_encodings), plus the sentence-transformers steps around it
 * (str.strip(), do_lower_case, truncation to max_seq_length).
 *
 * The stages live in their own files (tok_impl.h lists them); this file
 * wires them: raw added tokens -> normalizer -> normalized added tokens ->
 * pre-tokenizer -> model -> truncation -> post-processor. Truncation is
 * "longest_first" on one sequence, right side: the content is cut to
 * max_length minus the special tokens the post-processor adds, then the
 * special tokens are added, as transformers + sentence-transformers do.
 */
#ifdef _OPENMP
#include <omp.h>
#endif
#include <string.h>
#include <utf8proc.h>

#include "common/err.h"
#include "common/fsutil.h"
#include "common/mem.h"
#include "common/utf8.h"
#include "ingest/tokenizer/tok_impl.h"
#include "ingest/tokenizer/tokenizer.h"

/* ---- models ---- */

int tok_vocab_load_object(struct tok_strmap *v, json_t *j, const char *what)
{
    if (!json_is_object(j)) return err_set(ERR_FORMAT, "%s: model.vocab must be an object", what);
    const char *key;
    json_t *val;
    json_object_foreach(j, key, val) {
        if (!json_is_integer(val) || json_integer_value(val) < 0 || json_integer_value(val) > INT32_MAX)
            return err_set(ERR_FORMAT, "%s: vocab entry '%s' has no valid id", what, key);
        FORWARD_ERR(tok_strmap_put(v, key, strlen(key), (int32_t)json_integer_value(val)));
    }
    return 0;
}

static int wordlevel_load(struct tok_model *m, json_t *j, const char *what)
{
    m->type = MODEL_WORDLEVEL;
    FORWARD_ERR(tok_vocab_load_object(&m->vocab, json_object_get(j, "vocab"), what));
    const char *unk = NULL;
    FORWARD_ERR(json_get_str(j, "unk_token", what, &unk));
    if (unk) m->unk_id = tok_strmap_get(&m->vocab, unk, strlen(unk));
    return 0;
}

int tok_model_load(struct tok_model *m, json_t *j, const char *what)
{
    memset(m, 0, sizeof *m);
    m->unk_id = -1;
    for (int b = 0; b < 256; b++) m->byte_id[b] = -1;
    if (!json_is_object(j)) return err_set(ERR_FORMAT, "%s: no \"model\" object", what);
    const char *type = json_string_value(json_object_get(j, "type"));
    if (!type) { /* untagged, as HF's ModelWrapper accepts it */
        if (json_object_get(j, "merges")) type = "BPE";
        else if (json_is_array(json_object_get(j, "vocab"))) type = "Unigram";
        else if (json_object_get(j, "max_input_chars_per_word")) type = "WordPiece";
        else type = "WordLevel";
    }
    if (!strcmp(type, "BPE")) return tok_bpe_load(m, j, what);
    if (!strcmp(type, "WordPiece")) return tok_wordpiece_load(m, j, what);
    if (!strcmp(type, "Unigram")) return tok_unigram_load(m, j, what);
    if (!strcmp(type, "WordLevel")) return wordlevel_load(m, j, what);
    return err_set(ERR_UNSUPPORTED, "%s: unsupported model type '%s'", what, type);
}

void tok_model_free(struct tok_model *m)
{
    tok_strmap_free(&m->vocab);
    tok_u64map_free(&m->merges);
    mem_free(m->prefix);
    mem_free(m->suffix);
    mem_free(m->score);
    mem_free(m->char_id);
    tok_trie_free(&m->trie);
}

int tok_model_tokenize(const struct tok_model *m, struct tok_work *w, const char *s, size_t n)
{
    switch (m->type) {
    case MODEL_BPE: return tok_bpe_tokenize(m, w, s, n);
    case MODEL_WORDPIECE: return tok_wordpiece_tokenize(m, w, s, n);
    case MODEL_UNIGRAM: return tok_unigram_tokenize(m, w, s, n);
    case MODEL_WORDLEVEL: {
        int32_t id = tok_strmap_get(&m->vocab, s, n);
        if (id < 0) id = m->unk_id;
        return id >= 0 ? tok_tokens_push(&w->tk, id, 0, (uint32_t)n) : 0;
    }
    }
    return 0;
}

/* ---- loading ---- */

/* load_side_json: a small side file (tokenizer_config.json, config.json,
 * special_tokens_map.json); huge integers such as model_max_length 1e30 are
 * read as reals. *out stays NULL when the file is absent. */
static int load_side_json(const char *path, json_t **out)
{
    struct buf b = BUF_INIT;
    *out = NULL;
    if (!fs_exists(path)) return 0;
    int rc = fs_read_file(path, &b, 16 << 20);
    if (rc == 0) {
        json_error_t je;
        *out = json_loadb(b.data ? b.data : "", b.len, JSON_DECODE_INT_AS_REAL, &je);
        if (!*out)
            rc = err_set(ERR_FORMAT, "cannot parse '%s': %s at line %d, column %d", path, je.text, je.line,
                         je.column);
    }
    buf_release(&b);
    return rc;
}

/* read_int_key: an integer key of dir/file, or -1 when the file or key is absent */
static int read_int_key(const char *dir, const char *file, const char *key, int64_t *out)
{
    struct buf p = BUF_INIT;
    json_t *j = NULL;
    *out = -1;
    int rc = fs_join(&p, dir, file);
    if (rc == 0) rc = load_side_json(p.data, &j);
    if (rc == 0 && j) {
        json_t *v = json_object_get(j, key);
        if (json_is_integer(v)) *out = json_integer_value(v);
        else if (json_is_real(v) && json_real_value(v) >= 0 && json_real_value(v) < 9e18)
            *out = (int64_t)json_real_value(v);
    }
    json_decref(j);
    buf_release(&p);
    return rc;
}

/* load_sbert_config: max_seq_length and do_lower_case as sentence-transformers
 * reads them: sentence_bert_config.json, else min(max_position_embeddings of
 * config.json, model_max_length of tokenizer_config.json) when both exist. */
static int load_sbert_config(struct tok *t, const char *dir)
{
    struct buf p = BUF_INIT;
    json_t *j = NULL;
    int rc = fs_join(&p, dir, "sentence_bert_config.json");
    if (rc == 0) rc = json_load_path(p.data, 1 << 20, &j);
    if (rc == ERR_NOTFOUND) {
        err_clear();
        rc = 0;
    } else if (rc == 0) {
        int64_t msl = t->max_length;
        rc = json_get_int(j, "max_seq_length", p.data, &msl);
        if (rc == 0 && (msl < 0 || msl > INT32_MAX))
            rc = err_set(ERR_FORMAT, "%s: max_seq_length %lld out of range", p.data, (long long)msl);
        if (rc == 0) {
            t->max_length = (int)msl;
            rc = json_get_bool(j, "do_lower_case", p.data, &t->do_lower_case);
        }
    }
    if (rc == 0 && !j) {
        int64_t mpe, mml;
        rc = read_int_key(dir, "config.json", "max_position_embeddings", &mpe);
        if (rc == 0) rc = read_int_key(dir, "tokenizer_config.json", "model_max_length", &mml);
        if (rc == 0 && mpe > 0 && mml > 0) {
            int64_t m = mpe < mml ? mpe : mml;
            if (m <= INT32_MAX) t->max_length = (int)m;
        }
    }
    json_decref(j);
    buf_release(&p);
    return rc;
}

static int build_id_table(struct tok *t, const char *what)
{
    size_t size = 0;
    const struct tok_strmap *v = &t->model.vocab;
    for (size_t i = 0; i < v->n; i++)
        if ((size_t)v->val[i] + 1 > size) size = (size_t)v->val[i] + 1;
    for (size_t i = 0; i < t->added.n; i++)
        if ((size_t)t->added.tok[i].id + 1 > size) size = (size_t)t->added.tok[i].id + 1;
    /* ids may be sparse, but not absurdly: the table is one pointer per id */
    size_t entries = v->n + t->added.n;
    if (size > 16 * entries + (1u << 20))
        return err_set(ERR_FORMAT, "%s: token id %zu out of range for %zu tokens", what, size - 1, entries);
    t->vocab_size = size;
    t->id_to_token = mem_calloc(size ? size : 1, sizeof *t->id_to_token);
    if (!t->id_to_token) return err_nomem();
    for (size_t i = 0; i < v->n; i++) t->id_to_token[v->val[i]] = v->blob.data + v->koff[i];
    for (size_t i = 0; i < t->added.n; i++) t->id_to_token[t->added.tok[i].id] = t->added.tok[i].content;
    return 0;
}

static int tok_load_json(struct tok *t, json_t *root, const char *what)
{
    if (!json_is_object(root)) return err_set(ERR_FORMAT, "%s: not a JSON object", what);
    FORWARD_ERR(tok_model_load(&t->model, json_object_get(root, "model"), what));
    json_t *n = json_object_get(root, "normalizer");
    if (n && !json_is_null(n)) {
        if (!(t->norm = mem_calloc(1, sizeof *t->norm))) return err_nomem();
        FORWARD_ERR(tok_norm_load(t->norm, n, what));
    }
    json_t *p = json_object_get(root, "pre_tokenizer");
    if (p && !json_is_null(p)) {
        if (!(t->pre = mem_calloc(1, sizeof *t->pre))) return err_nomem();
        FORWARD_ERR(tok_pretok_load(t->pre, p, what));
    }
    json_t *pp = json_object_get(root, "post_processor");
    if (pp && !json_is_null(pp)) {
        if (!(t->post = mem_calloc(1, sizeof *t->post))) return err_nomem();
        FORWARD_ERR(tok_post_load(t, t->post, pp, what));
    }
    FORWARD_ERR(tok_added_load(t, json_object_get(root, "added_tokens"), what));
    json_t *tr = json_object_get(root, "truncation");
    if (json_is_object(tr)) {
        int64_t ml = 0;
        FORWARD_ERR(json_get_int(tr, "max_length", what, &ml));
        if (ml > 0 && ml <= INT32_MAX) t->max_length = (int)ml;
    }
    return 0;
}

/* load_side_files: tokenizer_config.json and special_tokens_map.json, for
 * the tokens transformers adds on top of tokenizer.json. */
static int load_side_files(struct tok *t, const char *dir)
{
    struct buf pc = BUF_INIT, ps = BUF_INIT;
    json_t *config = NULL, *map = NULL;
    int rc = fs_join(&pc, dir, "tokenizer_config.json");
    if (rc == 0) rc = fs_join(&ps, dir, "special_tokens_map.json");
    if (rc == 0) rc = load_side_json(pc.data, &config);
    if (rc == 0) rc = load_side_json(ps.data, &map);
    if (rc == 0) rc = tok_added_load_config(t, config, map, pc.data, ps.data);
    json_decref(config);
    json_decref(map);
    buf_release(&pc);
    buf_release(&ps);
    return rc;
}

int tok_load(const char *dir, struct tok **out)
{
    *out = NULL;
    struct tok *t = mem_calloc(1, sizeof *t);
    if (!t) return err_nomem();
    tok_uc_init();
    struct buf path = BUF_INIT;
    json_t *root = NULL;
    int is_dir = fs_is_dir(dir), rc = 0;
    if (!is_dir && !fs_exists(dir))
        rc = err_set(ERR_NOTFOUND, "cannot load tokenizer: '%s' is neither a model directory nor a tokenizer.json file", dir);
    else if (is_dir) rc = fs_join(&path, dir, "tokenizer.json");
    else rc = buf_puts(&path, dir);
    if (rc == 0) rc = json_load_path(path.data, 0, &root);
    if (rc == 0) rc = tok_load_json(t, root, path.data);
    if (rc == 0 && is_dir) rc = load_side_files(t, dir);
    if (rc == 0) rc = tok_added_build(t);
    if (rc == 0) rc = build_id_table(t, path.data);
    if (rc == 0 && is_dir) rc = load_sbert_config(t, dir);
    if (rc == 0 && !(t->path = buf_detach(&path, NULL))) rc = err_nomem();
    json_decref(root);
    buf_release(&path);
    if (rc < 0) {
        tok_free(t);
        return rc;
    }
    *out = t;
    return 0;
}

int tok_load_mem(const void *data, size_t size, const char *name, struct tok **out)
{
    *out = NULL;
    struct tok *t = mem_calloc(1, sizeof *t);
    if (!t) return err_nomem();
    tok_uc_init();
    json_error_t je;
    json_t *root = json_loadb(data, size, 0, &je);
    int rc = root ? 0 : err_set(ERR_FORMAT, "%s: invalid JSON at line %d: %s", name, je.line, je.text);
    if (rc == 0) rc = tok_load_json(t, root, name);
    if (rc == 0) rc = tok_added_build(t);
    if (rc == 0) rc = build_id_table(t, name);
    if (rc == 0 && !(t->path = mem_strdup(name))) rc = err_nomem();
    json_decref(root);
    if (rc < 0) {
        tok_free(t);
        return rc;
    }
    *out = t;
    return 0;
}

void tok_free(struct tok *t)
{
    if (!t) return;
    tok_model_free(&t->model);
    tok_norm_free(t->norm);
    mem_free(t->norm);
    tok_pretok_free(t->pre);
    mem_free(t->pre);
    tok_post_free(t->post);
    mem_free(t->post);
    tok_added_free(&t->added);
    mem_free(t->id_to_token);
    mem_free(t->path);
    mem_free(t);
}

int tok_max_length(const struct tok *t) { return t->max_length; }
void tok_set_max_length(struct tok *t, int max_length) { t->max_length = max_length > 0 ? max_length : 0; }
size_t tok_vocab_size(const struct tok *t) { return t->vocab_size; }

int32_t tok_token_to_id(const struct tok *t, const char *token)
{
    size_t n = strlen(token);
    for (size_t i = 0; i < t->added.n; i++)
        if (t->added.tok[i].len == n && !memcmp(t->added.tok[i].content, token, n)) return t->added.tok[i].id;
    return tok_strmap_get(&t->model.vocab, token, n);
}

const char *tok_id_to_token(const struct tok *t, int32_t id)
{
    if (id < 0 || (size_t)id >= t->vocab_size) return NULL;
    return t->id_to_token[id];
}

/* ---- encoding ---- */

static int enc_reserve(struct tok_encoding *e, size_t need)
{
    if (need <= e->cap) return 0;
    size_t cap = mem_next_cap(e->cap, need);
    FORWARD_ERR(MEM_RESIZE(e->ids, cap));
    FORWARD_ERR(MEM_RESIZE(e->offsets, 2 * cap));   /* (start, end) pairs */
    e->cap = cap;
    return 0;
}

static int enc_push(struct tok_encoding *e, int32_t id, uint32_t s, uint32_t end)
{
    if (e->n == e->cap) FORWARD_ERR(enc_reserve(e, e->n + 1));
    e->ids[e->n] = id;
    e->offsets[2 * e->n] = (int32_t)s;
    e->offsets[2 * e->n + 1] = (int32_t)end;
    e->n++;
    return 0;
}

/* post_apply: wrap the n content tokens at the front of e in the
 * template(s) of p. */
static int post_apply(const struct tok_post *p, struct tok_encoding *e)
{
    if (p->type == POST_SEQUENCE) {
        for (size_t i = 0; i < p->nsub; i++) FORWARD_ERR(post_apply(&p->sub[i], e));
        return 0;
    }
    if (p->type != POST_TEMPLATE) return 0;
    size_t before = 0, after = 0, seen_seq = 0;
    for (size_t i = 0; i < p->nitem; i++) {
        if (p->item[i].is_seq) seen_seq = 1;
        else if (seen_seq) after += p->item[i].nids;
        else before += p->item[i].nids;
    }
    size_t n = e->n;
    if (!seen_seq) n = 0; /* a template without $A drops the sequence */
    FORWARD_ERR(enc_reserve(e, before + n + after + 1));
    memmove(e->ids + before, e->ids, n * sizeof *e->ids);
    memmove(e->offsets + 2 * before, e->offsets, 2 * n * sizeof *e->offsets);
    size_t k = 0;
    seen_seq = 0;
    for (size_t i = 0; i < p->nitem; i++) {
        const struct tok_piece *it = &p->item[i];
        if (it->is_seq) {
            if (!seen_seq) k += n;
            seen_seq = 1;
            continue;
        }
        for (size_t j = 0; j < it->nids; j++) {
            e->ids[k] = it->ids[j];
            e->offsets[2 * k] = e->offsets[2 * k + 1] = 0;
            k++;
        }
    }
    e->n = k;
    return 0;
}

static int encode_work(const struct tok *t, struct tok_work *w, const char *text, size_t len,
                       int flags, struct tok_encoding *e)
{
    e->n = 0;
    e->n_untruncated = 0;
    e->truncated = 0;
    e->n_replaced = 0;
    if (len > UINT32_MAX - 8) return err_set(ERR_INVALID, "text of %zu bytes is too long", len);
    /* decode (invalid UTF-8 -> U+FFFD, counted); origins are byte offsets */
    FORWARD_ERR(tok_ws_reserve(w, len + 1));
    for (size_t i = 0; i < len;) {
        int32_t cp;
        size_t k = utf8_decode(text + i, len - i, &cp);
        if (cp < 0) {
            cp = 0xFFFD;
            e->n_replaced++;
        }
        w->cp[w->n] = cp;
        w->os[w->n] = (uint32_t)i;
        w->oe[w->n] = (uint32_t)(i + k);
        w->n++;
        i += k;
    }
    size_t a = 0, b = w->n;
    if (!(flags & TOK_NO_STRIP)) {
        while (a < b && py_isspace(w->cp[a])) a++;
        while (b > a && py_isspace(w->cp[b - 1])) b--;
        if (a > 0) {
            uint32_t base = w->os[a];
            for (size_t i = a; i < b; i++) {
                w->os[i] -= base;
                w->oe[i] -= base;
            }
        }
    }
    if (t->do_lower_case)
        for (size_t i = a; i < b; i++) w->cp[i] = w->cp[i] == 0x130 ? 'i' : utf8proc_tolower(w->cp[i]);
    w->nsp2 = 0;
    if (b > a) FORWARD_ERR(tok_ws_add_split(w, a, b - a, -1));
    tok_ws_swap_splits(w);

    FORWARD_ERR(tok_added_split(&t->added, &t->added.raw, w));
    if (t->norm) {
        for (size_t i = 0; i < w->nsp; i++) {
            if (w->sp[i].id >= 0) continue;
            size_t off, nlen;
            FORWARD_ERR(tok_norm_apply(t->norm, w, w->sp[i].off, w->sp[i].len, &off, &nlen));
            w->sp[i].off = off;
            w->sp[i].len = nlen;
        }
    }
    FORWARD_ERR(tok_added_split(&t->added, &t->added.norm, w));
    w->bl_pending = 0;
    if (t->pre) FORWARD_ERR(tok_pretok_apply(t->pre, w, 1));

    for (size_t i = 0; i < w->nsp; i++) {
        struct tok_split s = w->sp[i];
        if (s.len == 0) continue;
        if (s.id >= 0) {
            FORWARD_ERR(enc_push(e, s.id, w->os[s.off], w->oe[s.off + s.len - 1]));
            continue;
        }
        size_t mark = w->n;
        if (w->bl_pending) FORWARD_ERR(tok_bytelevel_map(w, s.off, s.len, &s.off, &s.len));
        FORWARD_ERR(tok_ws_utf8(w, s.off, s.len));
        w->tk.n = 0;
        FORWARD_ERR(tok_model_tokenize(&t->model, w, w->u8.data, w->u8.len));
        for (size_t k = 0; k < w->tk.n; k++) {
            uint32_t cs = w->u8cp[w->tk.bs[k]], ce = w->u8cp[w->tk.be[k]];
            uint32_t os = w->os[s.off + cs];
            uint32_t oe = ce > cs ? w->oe[s.off + ce - 1] : os;
            FORWARD_ERR(enc_push(e, w->tk.id[k], os, oe));
        }
        w->n = mark; /* the mapped copy is no longer needed */
    }

    int special = !(flags & TOK_NO_SPECIAL) && t->post;
    size_t n_added = special ? tok_post_n_added(t->post) : 0;
    e->n_untruncated = e->n + n_added;
    if (t->max_length > 0 && !(flags & TOK_NO_TRUNCATE)) {
        size_t limit = (size_t)t->max_length > n_added ? (size_t)t->max_length - n_added : 0;
        if (e->n > limit) e->n = limit;
    }
    if (special) FORWARD_ERR(post_apply(t->post, e));
    e->truncated = e->n_untruncated > e->n;
    return 0;
}

int tok_encode(const struct tok *t, const char *text, size_t len, int flags, struct tok_encoding *e)
{
    struct tok_work w = { 0 };
    int rc = encode_work(t, &w, len ? text : "", len, flags, e);
    tok_ws_release(&w);
    if (rc < 0) e->n = 0;
    return rc;
}

void tok_encoding_release(struct tok_encoding *e)
{
    mem_free(e->ids);
    mem_free(e->offsets);
    memset(e, 0, sizeof *e);
}

int tok_encode_batch(const struct tok *t, const char *const *texts, const size_t *lens, size_t n,
                     int flags, struct tok_encoding *out, int n_threads)
{
    int first = 0;
#ifdef _OPENMP
    if (n_threads <= 0) n_threads = omp_get_max_threads();
#else
    (void)n_threads;
#endif
#pragma omp parallel num_threads(n_threads)
    {
        struct tok_work w = { 0 };
        if (t->model.type == MODEL_BPE) w.bpe_cache = mem_calloc(BPE_CACHE_SLOTS, sizeof *w.bpe_cache);
#pragma omp for schedule(dynamic, 16)
        for (size_t i = 0; i < n; i++) {
            w.n = 0;
            int rc = encode_work(t, &w, lens[i] ? texts[i] : "", lens[i], flags, &out[i]);
            if (rc < 0) {
                out[i].n = 0;
#pragma omp critical
                if (!first) first = rc;
            }
        }
        tok_ws_release(&w);
    }
    return first;
}
