/*
 * buf.h - a growable, owned byte buffer (git's strbuf, reduced).
 *
 * Invariant: data[len] == 0 whenever data != NULL, so a buf holding text is
 * always a C string. Growth is geometric. Functions return 0 or ERR_NOMEM.
 *
 *     struct buf b = BUF_INIT;
 *     buf_printf(&b, "%d", 42);
 *     use(b.data, b.len);
 *     buf_release(&b);
 */
#ifndef SEMINDEX_BUF_H
#define SEMINDEX_BUF_H

#include <stddef.h>

struct buf {
    char *data;
    size_t len, cap;
};

#define BUF_INIT { NULL, 0, 0 }

int buf_reserve(struct buf *b, size_t extra);        /* room for len+extra+1 */
int buf_append(struct buf *b, const void *p, size_t n);
int buf_putc(struct buf *b, int c);
int buf_puts(struct buf *b, const char *s);
int buf_printf(struct buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void buf_reset(struct buf *b);                        /* len = 0, keep memory */
void buf_release(struct buf *b);                      /* free, back to BUF_INIT */
char *buf_detach(struct buf *b, size_t *len);         /* caller owns result (mem_free) */

#endif
