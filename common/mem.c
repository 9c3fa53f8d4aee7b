/*
 * mem.c - allocation wrappers with a fault-injection hook (see mem.h).
 */
#include "common/mem.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/err.h"

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

size_t mem_next_cap(size_t cap, size_t need)
{
    size_t c = cap ? (cap > SIZE_MAX / 2 ? SIZE_MAX : 2 * cap) : 16;
    return c > need ? c : need;
}

int mem_resize(void *pp, size_t n, size_t size)
{
    void *p;
    memcpy(&p, pp, sizeof p);  /* pp is the address of some T *: copied, not type-punned */
    if (size && n > SIZE_MAX / size) return err_nomem();
    p = mem_realloc(p, n * size);
    if (!p) return err_nomem();
    memcpy(pp, &p, sizeof p);
    return 0;
}

int mem_grow(void *pp, size_t *cap, size_t need, size_t size)
{
    if (need <= *cap) return 0;
    size_t c = mem_next_cap(*cap, need);
    FORWARD_ERR(mem_resize(pp, c, size));
    *cap = c;
    return 0;
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
