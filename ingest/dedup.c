/*
 * dedup.c - where each chunk's vector comes from (dedup.h): hash sets of the
 * batches in flight, store lookups, and the texts of rejected chunks.
 */
#include "ingest/dedup.h"

#include <string.h>

#include "common/err.h"
#include "common/mem.h"
#include "index/store/store.h"
#include "ingest/job.h"

static int hash_eq(struct hash128 a, struct hash128 b) { return a.lo == b.lo && a.hi == b.hi; }

/* set_find: the entry of text x in h, NULL if none */
static const struct dedup_entry *set_find(const struct dedup_set *h, struct hash128 x)
{
    for (size_t i = (size_t)x.lo & h->mask;; i = (i + 1) & h->mask) {
        if (!h->slot[i].h.lo && !h->slot[i].h.hi) return NULL;
        if (hash_eq(h->slot[i].h, x)) return &h->slot[i];
    }
}

/* set_add: text x of chunk seq into h (the first chunk of a text stays) */
static void set_add(struct dedup_set *h, struct hash128 x, uint64_t seq)
{
    if (!x.lo && !x.hi) return;
    size_t i = (size_t)x.lo & h->mask;
    while (h->slot[i].h.lo || h->slot[i].h.hi) {
        if (hash_eq(h->slot[i].h, x)) return;
        i = (i + 1) & h->mask;
    }
    h->slot[i].h = x;
    h->slot[i].seq = seq;
}

/* sets_push: drop the sets of committed batches (a snapshot begun after the
 * caller loaded `committed` sees their texts) and add an empty one for batch
 * seq, sized for n texts at most half full. */
static int sets_push(struct dedup *d, uint64_t committed, uint64_t seq, uint32_t shard, size_t n)
{
    size_t k = 0;
    for (size_t i = 0; i < d->n_sets; i++) {
        if (d->sets[i].seq <= committed) mem_free(d->sets[i].slot);
        else d->sets[k++] = d->sets[i];
    }
    d->n_sets = k;
    if (d->n_sets == d->cap_sets) {
        size_t cap = d->cap_sets ? d->cap_sets * 2 : 16;
        struct dedup_set *v = mem_realloc(d->sets, cap * sizeof *v);
        if (!v) return err_nomem();
        d->sets = v;
        d->cap_sets = cap;
    }
    size_t sz = 16;
    while (sz < n * 2) sz *= 2;
    struct dedup_set cur = { seq, shard, mem_calloc(sz, sizeof(struct dedup_entry)), sz - 1 };
    if (!cur.slot) return err_nomem();
    d->sets[d->n_sets++] = cur;
    return 0;
}

int dedup_mark(struct dedup *d, struct store *s, uint64_t committed, struct batch *b, int dim)
{
    FORWARD_ERR(sets_push(d, committed, b->seq, b->shard, b->n_chunks));
    struct dedup_set *cur = &d->sets[d->n_sets - 1];
    b->vecs = mem_alloc_array(b->n_chunks * (size_t)dim, sizeof(float));
    if (!b->vecs) return err_nomem();
    struct store_txn *t;
    FORWARD_ERR(store_read_begin_pending(s, &t));
    int rc = 0;
    for (size_t i = 0; i < b->n_chunks && rc == 0; i++) {
        struct batch_chunk *c = &b->chunks[i];
        const struct dedup_entry *twin = NULL;
        size_t k = 0;
        for (; k < d->n_sets && !twin; k++) twin = set_find(&d->sets[k], c->h);
        uint64_t id;
        if (twin) {
            c->how = DEDUP_PENDING;
            c->twin_shard = d->sets[k - 1].shard;
            c->twin_seq = twin->seq;
        } else if ((rc = store_text_lookup(t, c->h, &id)) == 1 &&
                   store_get_vector(t, id, b->vecs + i * (size_t)dim) == 0) {
            c->how = DEDUP_STORED;
            rc = 0;
        } else if (rc >= 0) {
            rc = 0;
            c->how = DEDUP_ENCODE;
            set_add(cur, c->h, c->chunk_seq);
        }
    }
    store_read_end(t);
    return rc;
}

static int is_bad(const struct dedup *d, struct hash128 h)
{
    for (size_t i = 0; i < d->n_bad; i++)
        if (hash_eq(d->bad[i], h)) return 1;
    return 0;
}

void dedup_forget_shard(struct dedup *d, uint32_t shard)
{
    size_t k = 0;
    for (size_t i = 0; i < d->n_sets; i++) {
        if (d->sets[i].shard == shard) mem_free(d->sets[i].slot);
        else d->sets[k++] = d->sets[i];
    }
    d->n_sets = k;
}

int dedup_vector(struct dedup *d, struct store_txn *t, const uint64_t *ordinal, uint64_t id, struct batch_chunk *c,
                 float *vec)
{
    if (c->how == DEDUP_PENDING && is_bad(d, c->h)) c->how = DEDUP_BAD;
    if (c->how == DEDUP_BAD) {
        if (is_bad(d, c->h)) return 1;
        if (d->n_bad == d->cap_bad) {
            size_t cap = d->cap_bad ? 2 * d->cap_bad : 16;
            struct hash128 *p = mem_realloc(d->bad, cap * sizeof *p);
            if (!p) return err_nomem();
            d->bad = p;
            d->cap_bad = cap;
        }
        d->bad[d->n_bad++] = c->h;
        return 1;
    }
    if (c->how != DEDUP_PENDING) return 0;
    /* its twin was written earlier in this run, in a shard that is not
     * dropped (dedup_forget_shard) */
    uint64_t twin = store_make_id(ordinal[c->twin_shard], c->twin_seq);
    int rc = store_get_vector(t, twin, vec);
    if (rc == ERR_NOTFOUND)
        return err_set(ERR_STORE, "chunk %llu: the vector of chunk %llu, which has the same text, is missing",
                       (unsigned long long)id,
                       (unsigned long long)twin);
    return rc;
}

void dedup_release(struct dedup *d)
{
    for (size_t i = 0; i < d->n_sets; i++) mem_free(d->sets[i].slot);
    mem_free(d->sets);
    mem_free(d->bad);
    memset(d, 0, sizeof *d);
}
