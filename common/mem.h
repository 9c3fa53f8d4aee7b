/*
 * mem.h - checked allocation with a test fault hook.
 *
 * All project allocation goes through these so that tests can make the Nth
 * allocation fail (mem_fail_after) and check that every loader returns
 * ERR_NOMEM cleanly instead of crashing or leaking (SQLite's OOM tests).
 * They return NULL on failure like malloc; callers turn that into ERR_NOMEM.
 * Thread-safety: the fault counter is atomic; the hook is for tests only.
 */
#ifndef SEMINDEX_MEM_H
#define SEMINDEX_MEM_H

#include <stddef.h>

void *mem_alloc(size_t n);                 /* malloc */
void *mem_calloc(size_t n, size_t size);   /* calloc, overflow-checked */
void *mem_realloc(void *p, size_t n);      /* realloc */
void *mem_alloc_array(size_t n, size_t size); /* malloc(n*size), overflow-checked */
void *mem_aligned(size_t align, size_t n); /* aligned_alloc-like; free with mem_free */
char *mem_strdup(const char *s);
char *mem_strndup(const char *s, size_t n);
void mem_free(void *p);

/* mem_fail_after: make the allocation after the next n succeed fail (n >= 0);
 * -1 turns the hook off. Returns how many allocations happened since the last
 * call (tests use it to find how many points to try). */
long mem_fail_after(long n);

#endif
