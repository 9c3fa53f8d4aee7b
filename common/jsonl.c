/*
 * jsonl.c - JSON string literals for the streaming outputs (jsonl.h).
 */
#include "jsonl.h"

#include <math.h>
#include <stdint.h>
#include <string.h>

#include "err.h"
#include "utf8.h"

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

void jsonl_begin(struct jsonl_row *r, struct buf *b)
{
    r->b = b;
    r->n = 0;
    r->rc = buf_putc(b, '{');
}

/* key: ", " before every field but the first, then "key": */
static int key(struct jsonl_row *r, const char *k)
{
    if (r->rc) return r->rc;
    if (r->n++ && (r->rc = buf_append(r->b, ", ", 2)) < 0) return r->rc;
    if ((r->rc = jsonl_str(r->b, k, strlen(k))) < 0) return r->rc;
    return r->rc = buf_append(r->b, ": ", 2);
}

void jsonl_strn(struct jsonl_row *r, const char *k, const char *s, size_t n)
{
    if (key(r, k) < 0) return;
    r->rc = s ? jsonl_str(r->b, s, n) : buf_append(r->b, "null", 4);
}

void jsonl_u64(struct jsonl_row *r, const char *k, uint64_t v)
{
    if (key(r, k) == 0) r->rc = buf_printf(r->b, "%llu", (unsigned long long)v);
}

void jsonl_i64(struct jsonl_row *r, const char *k, int64_t v)
{
    if (key(r, k) == 0) r->rc = buf_printf(r->b, "%lld", (long long)v);
}

void jsonl_num(struct jsonl_row *r, const char *k, double v, int decimals)
{
    if (key(r, k) < 0) return;
    r->rc = isfinite(v) ? buf_printf(r->b, "%.*f", decimals, v) : buf_append(r->b, "null", 4);
}

void jsonl_bool(struct jsonl_row *r, const char *k, int v)
{
    if (key(r, k) == 0) r->rc = v ? buf_append(r->b, "true", 4) : buf_append(r->b, "false", 5);
}

void jsonl_null(struct jsonl_row *r, const char *k)
{
    if (key(r, k) == 0) r->rc = buf_append(r->b, "null", 4);
}

void jsonl_floats(struct jsonl_row *r, const char *k, const float *v, size_t n)
{
    if (key(r, k) < 0) return;
    int rc = buf_putc(r->b, '[');
    for (size_t i = 0; i < n && rc == 0; i++)
        rc = isfinite(v[i]) ? buf_printf(r->b, i ? ", %.9g" : "%.9g", (double)v[i])
                            : buf_puts(r->b, i ? ", null" : "null");
    r->rc = rc ? rc : buf_putc(r->b, ']');
}

void jsonl_ints(struct jsonl_row *r, const char *k, const int32_t *v, size_t n)
{
    if (key(r, k) < 0) return;
    int rc = buf_putc(r->b, '[');
    for (size_t i = 0; i < n && rc == 0; i++) rc = buf_printf(r->b, i ? ",%d" : "%d", (int)v[i]);
    r->rc = rc ? rc : buf_putc(r->b, ']');
}

int jsonl_end(struct jsonl_row *r)
{
    if (r->rc == 0) r->rc = buf_append(r->b, "}\n", 2);
    return r->rc;
}
