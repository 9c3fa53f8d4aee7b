/*
 * mem.h - checked allocation with a test fault hook.
 *
 * All project allocation goes through these so that tests can make the Nth
 * allocation fail (mem_fail_after) and check that every loader returns
 * ERR_NOMEM cleanly instead of crashing or leaking (SQLite's OOM tests).
 * They return NULL on failure like malloc; callers turn that into ERR_NOMEM.
 * Thread-safety: the fault counter is atomic; the hook is for tests only.
 *
 * Growing arrays: MEM_GROW for one array with its own capacity, mem_next_cap
 * and MEM_RESIZE for parallel arrays sharing one. Both set the error message
 * (err_nomem) and leave the array as it was on failure:
 *
 *     if (MEM_GROW(l->v, l->n + 1, l->cap) < 0) return ERR_NOMEM;   // message set
 *     l->v[l->n++] = x;
 *
 *     if (t->n == t->cap) {
 *         size_t cap = mem_next_cap(t->cap, t->n + 1);
 *         FORWARD_ERR(MEM_RESIZE(t->id, cap));
 *         FORWARD_ERR(MEM_RESIZE(t->len, cap));
 *         t->cap = cap;
 *     }
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

/* mem_next_cap: the capacity to grow cap to for need elements: the larger
 * of need and twice cap (16 from empty), so n pushes cost O(n) copying. */
size_t mem_next_cap(size_t cap, size_t need);

/* mem_resize: reallocate the array *pp (any object pointer, passed as its
 * address) to n elements of size bytes (overflow-checked). 0, or ERR_NOMEM
 * with the message set and *pp unchanged. */
int mem_resize(void *pp, size_t n, size_t size);
#define MEM_RESIZE(ptr, n) mem_resize(&(ptr), (n), sizeof *(ptr))

/* mem_grow: make *pp hold at least need elements, *cap allocated, growing
 * by mem_next_cap. 0, or ERR_NOMEM (message set; *pp and *cap unchanged).
 * MEM_GROW(ptr, need, cap): the same with ptr and its size_t cap named. */
int mem_grow(void *pp, size_t *cap, size_t need, size_t size);
#define MEM_GROW(ptr, need, cap) \
    ((size_t)(need) <= (cap) ? 0 : mem_grow(&(ptr), &(cap), (size_t)(need), sizeof *(ptr)))

/* mem_fail_after: make the allocation after the next n succeed fail (n >= 0);
 * -1 turns the hook off. Returns how many allocations happened since the last
 * call (tests use it to find how many points to try). */
long mem_fail_after(long n);

#endif
