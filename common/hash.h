/*
 * hash.h - content hashes (xxHash from Debian's libxxhash).
 *
 * hash64 for keys and fingerprints; hash128 where collisions would silently
 * merge data (text dedup, shard content hashes). Streaming state for files.
 * Not cryptographic: inputs are the user's own corpus, not an adversary's.
 */
#ifndef SEMINDEX_HASH_H
#define SEMINDEX_HASH_H

#include <stddef.h>
#include <stdint.h>

struct hash128 { uint64_t lo, hi; };

uint64_t hash64(const void *p, size_t n, uint64_t seed);
struct hash128 hash128(const void *p, size_t n);

/* hash_hex128: 32 lowercase hex digits + NUL into out[33]. */
void hash_hex128(struct hash128 h, char out[33]);

/* Streaming 128-bit hash (for shard files and weights). */
struct hash_stream;
struct hash_stream *hash_stream_create(void);
void hash_stream_update(struct hash_stream *s, const void *p, size_t n);
struct hash128 hash_stream_digest(struct hash_stream *s);
void hash_stream_free(struct hash_stream *s);

#endif
