/*
 * jsonl.c - JSON string literals for the streaming outputs (jsonl.h).
 */
#include "jsonl.h"

#include <stdint.h>

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
