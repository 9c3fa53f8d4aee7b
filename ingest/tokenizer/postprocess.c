/*
 * postprocess.c - tokenizer.json post-processors for a single sequence
 * (HF processors/): TemplateProcessing ("single" template with its
 * special_tokens table), BertProcessing ([CLS] $A [SEP]),
 * RobertaProcessing (<s> $A </s>), ByteLevel (offsets only: adds no
 * token) and Sequence (each in turn).
 *
 * They are loaded into one form: a list of items, each a run of special
 * ids or the sequence itself. Pair templates are not used (semindex
 * encodes single texts); trim_offsets is not applied to offsets.
 */
#include <string.h>

#include "common/err.h"
#include "common/mem.h"
#include "ingest/tokenizer/tok_impl.h"

int32_t tok_token_to_id(const struct tok *t, const char *token);

static int add_item(struct tok_post *p, int is_seq, const int32_t *ids, size_t nids)
{
    struct tok_piece *it = mem_realloc(p->item, (p->nitem + 1) * sizeof *it);
    if (!it) return err_nomem();
    p->item = it;
    it = &p->item[p->nitem++];
    it->is_seq = is_seq;
    it->nids = nids;
    it->ids = NULL;
    if (nids) {
        it->ids = mem_alloc_array(nids, sizeof *ids);
        if (!it->ids) return err_nomem();
        memcpy(it->ids, ids, nids * sizeof *ids);
    }
    return 0;
}

/* pair_id: BertProcessing/RobertaProcessing "cls": ["[CLS]", 101] */
static int pair_id(json_t *j, const char *key, int32_t *id, const char *what)
{
    json_t *v = json_object_get(j, key);
    json_t *i = json_array_get(v, 1);
    if (!json_is_integer(i)) return err_set(ERR_FORMAT, "%s: post_processor.%s must be [token, id]", what, key);
    *id = (int32_t)json_integer_value(i);
    return 0;
}

static int load_template(struct tok_post *p, json_t *j, const char *what)
{
    json_t *single = json_object_get(j, "single"), *st = json_object_get(j, "special_tokens");
    if (!json_is_array(single)) return err_set(ERR_FORMAT, "%s: TemplateProcessing without \"single\"", what);
    for (size_t i = 0; i < json_array_size(single); i++) {
        json_t *e = json_array_get(single, i);
        json_t *sp = json_object_get(e, "SpecialToken"), *sq = json_object_get(e, "Sequence");
        if (sq) {
            const char *sid = json_string_value(json_object_get(sq, "id"));
            if (!sid || strcmp(sid, "A"))
                return err_set(ERR_FORMAT, "%s: single template refers to sequence '%s'", what, sid ? sid : "?");
            FORWARD_ERR(add_item(p, 1, NULL, 0));
            continue;
        }
        const char *name = json_string_value(json_object_get(sp, "id"));
        if (!name) return err_set(ERR_FORMAT, "%s: template item %zu is neither SpecialToken nor Sequence", what, i);
        json_t *ids = json_object_get(json_object_get(st, name), "ids");
        if (!json_is_array(ids))
            return err_set(ERR_FORMAT, "%s: template special token '%s' missing from special_tokens", what, name);
        size_t n = json_array_size(ids);
        int32_t *v = mem_alloc_array(n ? n : 1, sizeof *v);
        if (!v) return err_nomem();
        for (size_t k = 0; k < n; k++) {
            json_t *x = json_array_get(ids, k);
            if (!json_is_integer(x)) {
                mem_free(v);
                return err_set(ERR_FORMAT, "%s: special token '%s' has a non-integer id", what, name);
            }
            v[k] = (int32_t)json_integer_value(x);
        }
        int rc = add_item(p, 0, v, n);
        mem_free(v);
        FORWARD_ERR(rc);
    }
    return 0;
}

int tok_post_load(struct tok *t, struct tok_post *p, json_t *j, const char *what)
{
    memset(p, 0, sizeof *p);
    (void)t;
    const char *type = json_string_value(json_object_get(j, "type"));
    if (!type) return err_set(ERR_FORMAT, "%s: post_processor without a \"type\"", what);
    if (!strcmp(type, "TemplateProcessing")) {
        p->type = POST_TEMPLATE;
        return load_template(p, j, what);
    }
    if (!strcmp(type, "BertProcessing") || !strcmp(type, "RobertaProcessing")) {
        p->type = POST_TEMPLATE;
        int32_t cls, sep;
        FORWARD_ERR(pair_id(j, "cls", &cls, what));
        FORWARD_ERR(pair_id(j, "sep", &sep, what));
        FORWARD_ERR(add_item(p, 0, &cls, 1));
        FORWARD_ERR(add_item(p, 1, NULL, 0));
        return add_item(p, 0, &sep, 1);
    }
    if (!strcmp(type, "ByteLevel")) {
        p->type = POST_BYTELEVEL;
        return 0;
    }
    if (!strcmp(type, "Sequence")) {
        p->type = POST_SEQUENCE;
        json_t *arr = json_object_get(j, "processors");
        if (!json_is_array(arr)) return err_set(ERR_FORMAT, "%s: Sequence without \"processors\"", what);
        p->nsub = json_array_size(arr);
        p->sub = mem_calloc(p->nsub ? p->nsub : 1, sizeof *p->sub);
        if (!p->sub) return err_nomem();
        for (size_t i = 0; i < p->nsub; i++) {
            int rc = tok_post_load(t, &p->sub[i], json_array_get(arr, i), what);
            if (rc < 0) {
                p->nsub = i + 1;
                return rc;
            }
        }
        return 0;
    }
    return err_set(ERR_UNSUPPORTED, "%s: unsupported post_processor type '%s'", what, type);
}

size_t tok_post_n_added(const struct tok_post *p)
{
    size_t n = 0;
    if (!p) return 0;
    for (size_t i = 0; i < p->nitem; i++) n += p->item[i].nids;
    for (size_t i = 0; i < p->nsub; i++) n += tok_post_n_added(&p->sub[i]);
    return n;
}

void tok_post_free(struct tok_post *p)
{
    if (!p) return;
    for (size_t i = 0; i < p->nitem; i++) mem_free(p->item[i].ids);
    mem_free(p->item);
    for (size_t i = 0; i < p->nsub; i++) tok_post_free(&p->sub[i]);
    mem_free(p->sub);
}
