/*
 * mem.c - allocation wrappers with a fault-injection hook (see mem.h).
 */
#include "mem.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static _Atomic long fail_countdown = -1;
static _Atomic long n_allocs;

static int should_fail(void)
{
    n_allocs++;
    if (fail_countdown < 0) return 0;
    return fail_countdown-- == 0;
}

long mem_fail_after(long n)
{
    long seen = n_allocs;
    n_allocs = 0;
    fail_countdown = n;
    return seen;
}

void *mem_alloc(size_t n)
{
    if (should_fail()) return NULL;
    return malloc(n ? n : 1);
}

void *mem_calloc(size_t n, size_t size)
{
    if (should_fail()) return NULL;
    return calloc(n ? n : 1, size ? size : 1);
}

void *mem_alloc_array(size_t n, size_t size)
{
    if (size && n > SIZE_MAX / size) return NULL;
    return mem_alloc(n * size);
}

void *mem_realloc(void *p, size_t n)
{
    if (should_fail()) return NULL;
    return realloc(p, n ? n : 1);
}

void *mem_aligned(size_t align, size_t n)
{
    if (should_fail()) return NULL;
    void *p = NULL;
    if (posix_memalign(&p, align, n ? n : align) != 0) return NULL;
    return p;
}

char *mem_strndup(const char *s, size_t n)
{
    char *d = mem_alloc(n + 1);
    if (!d) return NULL;
    memcpy(d, s, n);
    d[n] = 0;
    return d;
}

char *mem_strdup(const char *s)
{
    return mem_strndup(s, strlen(s));
}

void mem_free(void *p)
{
    free(p);
}
