/*
 * jsonl.c - JSON string literals and the row writer of the streaming
 * outputs (jsonl.h).
 */
#include "common/jsonl.h"

#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "common/err.h"
#include "common/utf8.h"

int jsonl_str(struct buf *b, const char *s, size_t n)
{
    static const char hex[] = "0123456789abcdef";
    FORWARD_ERR(buf_reserve(b, n + 2));
    FORWARD_ERR(buf_putc(b, '"'));
    size_t i = 0;
    while (i < n) {
        unsigned char c = (unsigned char)s[i];
        if (c >= 0x80) {
            int32_t cp;
            size_t k = utf8_decode(s + i, n - i, &cp);
            if (cp < 0) { FORWARD_ERR(buf_append(b, "\xEF\xBF\xBD", 3)); }
            else FORWARD_ERR(buf_append(b, s + i, k));
            i += k;
            continue;
        }
        if (c == '"' || c == '\\') {
            char e[2] = { '\\', (char)c };
            FORWARD_ERR(buf_append(b, e, 2));
        } else if (c == '\n') FORWARD_ERR(buf_append(b, "\\n", 2));
        else if (c == '\t') FORWARD_ERR(buf_append(b, "\\t", 2));
        else if (c == '\r') FORWARD_ERR(buf_append(b, "\\r", 2));
        else if (c < 0x20 || c == 0x7f) {
            char e[6] = { '\\', 'u', '0', '0', hex[c >> 4], hex[c & 15] };
            FORWARD_ERR(buf_append(b, e, 6));
        } else FORWARD_ERR(buf_putc(b, c));
        i++;
    }
    return buf_putc(b, '"');
}

/* ---- rows ---------------------------------------------------------------- */

static void begin(struct jsonl_row *r, struct buf *b, int compact)
{
    r->b = b;
    r->n = 0;
    r->compact = compact;
    r->rc = buf_putc(b, '{');
}

void jsonl_begin(struct jsonl_row *r, struct buf *b) { begin(r, b, 0); }
void jsonl_begin_compact(struct jsonl_row *r, struct buf *b) { begin(r, b, 1); }

/* sep: between fields and between array items, ", " or "," */
static int sep(const struct jsonl_row *r) { return buf_append(r->b, ", ", r->compact ? 1 : 2); }

/* key: the separator before every field but the first, then "key": */
static int key(struct jsonl_row *r, const char *k)
{
    if (r->rc) return r->rc;
    if (r->n++ && (r->rc = sep(r)) < 0) return r->rc;
    if ((r->rc = jsonl_str(r->b, k, strlen(k))) < 0) return r->rc;
    return r->rc = buf_append(r->b, ": ", r->compact ? 1 : 2);
}

/* num: one number by fmt, formatted once on the stack (buf_printf formats
 * twice: to measure, then to write); a longer one ("%.6f" of 1e300) through
 * buf_printf's path */
__attribute__((format(printf, 2, 3))) static int num(struct buf *b, const char *fmt, ...)
{
    char t[64];
    va_list ap, again;
    va_start(ap, fmt);
    va_copy(again, ap);
    int n = vsnprintf(t, sizeof t, fmt, ap);
    va_end(ap);
    int rc;
    if (n < 0) rc = err_set(ERR_INVALID, "bad format string");
    else if ((size_t)n < sizeof t) rc = buf_append(b, t, (size_t)n);
    else if ((rc = buf_reserve(b, (size_t)n)) == 0) {
        vsnprintf(b->data + b->len, (size_t)n + 1, fmt, again);
        b->len += (size_t)n;
    }
    va_end(again);
    return rc;
}

static int null(struct buf *b) { return buf_append(b, "null", 4); }

void jsonl_strn(struct jsonl_row *r, const char *k, const char *s, size_t n)
{
    if (key(r, k) == 0) r->rc = s ? jsonl_str(r->b, s, n) : null(r->b);
}

void jsonl_buf(struct jsonl_row *r, const char *k, const struct buf *s)
{
    if (key(r, k) == 0) r->rc = jsonl_str(r->b, s->data ? s->data : "", s->len);
}

void jsonl_u64(struct jsonl_row *r, const char *k, uint64_t v)
{
    if (key(r, k) == 0) r->rc = num(r->b, "%llu", (unsigned long long)v);
}

void jsonl_i64(struct jsonl_row *r, const char *k, int64_t v)
{
    if (key(r, k) == 0) r->rc = num(r->b, "%lld", (long long)v);
}

void jsonl_num(struct jsonl_row *r, const char *k, double v, int decimals)
{
    if (key(r, k) == 0) r->rc = isfinite(v) ? num(r->b, "%.*f", decimals, v) : null(r->b);
}

void jsonl_real(struct jsonl_row *r, const char *k, double v, int digits)
{
    if (key(r, k) == 0) r->rc = isfinite(v) ? num(r->b, "%.*g", digits, v) : null(r->b);
}

void jsonl_bool(struct jsonl_row *r, const char *k, int v)
{
    if (key(r, k) == 0) r->rc = v ? buf_append(r->b, "true", 4) : buf_append(r->b, "false", 5);
}

void jsonl_null(struct jsonl_row *r, const char *k)
{
    if (key(r, k) == 0) r->rc = null(r->b);
}

/* ---- arrays: one loop, an item writer per element type --------------------- */

typedef int (*item_fn)(const struct jsonl_row *r, const void *v, size_t i);

static void array(struct jsonl_row *r, const char *k, const void *v, size_t n, item_fn item)
{
    if (key(r, k) < 0) return;
    int rc = buf_putc(r->b, '[');
    for (size_t i = 0; i < n && rc == 0; i++)
        if (!i || (rc = sep(r)) == 0) rc = item(r, v, i);
    r->rc = rc ? rc : buf_putc(r->b, ']');
}

static int float_item(const struct jsonl_row *r, const void *v, size_t i)
{
    double x = ((const float *)v)[i];
    return isfinite(x) ? num(r->b, "%.9g", x) : null(r->b);
}

static int int_item(const struct jsonl_row *r, const void *v, size_t i)
{
    return num(r->b, "%d", (int)((const int32_t *)v)[i]);
}

static int i64_item(const struct jsonl_row *r, const void *v, size_t i)
{
    return num(r->b, "%lld", (long long)((const int64_t *)v)[i]);
}

static int pair_item(const struct jsonl_row *r, const void *v, size_t i)
{
    const int32_t *p = (const int32_t *)v + 2 * i;
    return num(r->b, r->compact ? "[%d,%d]" : "[%d, %d]", (int)p[0], (int)p[1]);
}

void jsonl_floats(struct jsonl_row *r, const char *k, const float *v, size_t n) { array(r, k, v, n, float_item); }
void jsonl_ints(struct jsonl_row *r, const char *k, const int32_t *v, size_t n) { array(r, k, v, n, int_item); }
void jsonl_i64s(struct jsonl_row *r, const char *k, const int64_t *v, size_t n) { array(r, k, v, n, i64_item); }
void jsonl_int_pairs(struct jsonl_row *r, const char *k, const int32_t *v, size_t n)
{
    array(r, k, v, n, pair_item);
}

int jsonl_end(struct jsonl_row *r)
{
    if (r->rc == 0) r->rc = buf_append(r->b, "}\n", 2);
    return r->rc;
}
