/*
 * hash.c - xxHash3 wrappers (see hash.h).
 */
#include "common/hash.h"

#include <stdio.h>
#include <xxhash.h>

uint64_t hash64(const void *p, size_t n, uint64_t seed)
{
    return XXH3_64bits_withSeed(p, n, seed);
}

struct hash128 hash128(const void *p, size_t n)
{
    XXH128_hash_t h = XXH3_128bits(p, n);
    return (struct hash128){ h.low64, h.high64 };
}

void hash_hex128(struct hash128 h, char out[33])
{
    snprintf(out, 33, "%016llx%016llx", (unsigned long long)h.hi, (unsigned long long)h.lo);
}

struct hash_stream *hash_stream_create(void)
{
    XXH3_state_t *s = XXH3_createState();
    if (s) XXH3_128bits_reset(s);
    return (struct hash_stream *)s;
}

void hash_stream_update(struct hash_stream *s, const void *p, size_t n)
{
    XXH3_128bits_update((XXH3_state_t *)s, p, n);
}

struct hash128 hash_stream_digest(struct hash_stream *s)
{
    XXH128_hash_t h = XXH3_128bits_digest((XXH3_state_t *)s);
    return (struct hash128){ h.low64, h.high64 };
}

void hash_stream_free(struct hash_stream *s)
{
    if (s) XXH3_freeState((XXH3_state_t *)s);
}
