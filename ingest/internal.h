/*
 * internal.h - helpers the files of ingest_run share (not installed, not in
 * semindex.h): worker.c (setup, encoder), prep.c (prep thread), reembed.c
 * (the model check and the --reembed migration), settings.c and keys.c. The
 * pipeline's types are in job.h.
 */
#ifndef SEMINDEX_INGEST_INTERNAL_H
#define SEMINDEX_INGEST_INTERNAL_H

#include <limits.h>
#include <stdint.h>
#include <string.h>

#include "common/err.h"
#include "ingest/encoder/encoder.h"
#include "ingest/ingest.h"
#include "ingest/tokenizer/tokenizer.h"

/* ingest_count_tokens: n_tokens and truncated of a chunk (the same for every
 * path a chunk takes: new, copied, re-embedded); token ids into te for
 * transformer models. The builtin encoder has no tokenizer: its n_tokens is
 * the number of code points. */
static inline int ingest_count_tokens(const struct tok *tok, const char *s, size_t n, struct tok_encoding *te,
                                      int32_t *n_tokens, uint8_t *truncated)
{
    if (!tok) {
        int64_t c = 0;
        for (size_t i = 0; i < n; i++) c += ((unsigned char)s[i] & 0xC0) != 0x80;
        *n_tokens = c > INT32_MAX ? INT32_MAX : (int32_t)c;
        *truncated = 0;
        return 0;
    }
    FORWARD_ERR(tok_encode(tok, s, n, 0, te));
    *n_tokens = (int32_t)te->n;
    *truncated = (uint8_t)(te->truncated != 0);
    return 0;
}

/* ingest_vec_finite: 0 when v holds a NaN or Inf (bit test: immune to -ffast-math). */
static inline int ingest_vec_finite(const float *v, int n)
{
    for (int i = 0; i < n; i++) {
        uint32_t u;
        memcpy(&u, v + i, sizeof u);
        if ((u & 0x7f800000u) == 0x7f800000u) return 0;
    }
    return 1;
}

/* ingest_check_model: record e's model in a new store; in a store of another
 * model or precision, ERR_MISMATCH unless o->reembed, which starts the
 * migration; then finish a migration in progress (meta "reembed": the next
 * chunk id), counting st->reembedded. Caller holds the writer lock. */
int ingest_check_model(struct store *s, struct enc *e, const struct ingest_options *o, struct ingest_stats *st);

struct ingest_job;

/* ingest_save_settings (settings.c): record this run's settings in meta
 * "settings" and set j->settings, the hash a shard record keeps of the
 * settings that shaped its chunks, and j->legacy_same. Caller holds the
 * writer lock; j->s, j->e and j->o are set. */
int ingest_save_settings(struct ingest_job *j);

/* ingest_shard_keys (keys.c): j->keys[i] and sorted[i] = the shards[0..j->n)
 * in key order (keys owned by the caller, mem_free each); meta "root"
 * recorded, an old store's absolute keys made relative first. ERR_INVALID
 * for a shard given twice, ERR_MISMATCH for an old store whose keys are not
 * under the root, ERR_NOTFOUND for a missing --root. */
int ingest_shard_keys(struct ingest_job *j, const char *const *shards, const char **sorted);

#endif
