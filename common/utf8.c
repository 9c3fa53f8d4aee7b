/*
 * utf8.c - strict UTF-8 decoding, U+FFFD replacement, Python str.strip().
 */
#include "common/utf8.h"

#include "common/err.h"

size_t utf8_decode(const char *str, size_t n, int32_t *cp)
{
    const unsigned char *s = (const unsigned char *)str;
    unsigned c = s[0];
    if (c < 0x80) { *cp = (int32_t)c; return 1; }
    int need;
    uint32_t v;
    unsigned lo = 0x80, hi = 0xBF; /* allowed range of the second byte */
    if (c >= 0xC2 && c <= 0xDF) { need = 1; v = c & 0x1F; }
    else if (c >= 0xE0 && c <= 0xEF) {
        need = 2; v = c & 0x0F;
        if (c == 0xE0) lo = 0xA0;
        if (c == 0xED) hi = 0x9F;
    } else if (c >= 0xF0 && c <= 0xF4) {
        need = 3; v = c & 0x07;
        if (c == 0xF0) lo = 0x90;
        if (c == 0xF4) hi = 0x8F;
    } else { *cp = -1; return 1; }
    size_t i = 1;
    for (int k = 0; k < need; k++, i++) {
        if (i >= n) { *cp = -1; return i; }
        unsigned b = s[i];
        unsigned l = k == 0 ? lo : 0x80, h = k == 0 ? hi : 0xBF;
        if (b < l || b > h) { *cp = -1; return i; }
        v = (v << 6) | (b & 0x3F);
    }
    *cp = (int32_t)v;
    return i;
}

size_t utf8_encode(int32_t cp, char *out)
{
    unsigned char *o = (unsigned char *)out;
    if (cp < 0x80) { o[0] = (unsigned char)cp; return 1; }
    if (cp < 0x800) {
        o[0] = (unsigned char)(0xC0 | (cp >> 6));
        o[1] = (unsigned char)(0x80 | (cp & 0x3F));
        return 2;
    }
    if (cp < 0x10000) {
        o[0] = (unsigned char)(0xE0 | (cp >> 12));
        o[1] = (unsigned char)(0x80 | ((cp >> 6) & 0x3F));
        o[2] = (unsigned char)(0x80 | (cp & 0x3F));
        return 3;
    }
    o[0] = (unsigned char)(0xF0 | (cp >> 18));
    o[1] = (unsigned char)(0x80 | ((cp >> 12) & 0x3F));
    o[2] = (unsigned char)(0x80 | ((cp >> 6) & 0x3F));
    o[3] = (unsigned char)(0x80 | (cp & 0x3F));
    return 4;
}

int utf8_valid(const char *s, size_t n)
{
    size_t i = 0;
    while (i < n) {
        if ((unsigned char)s[i] < 0x80) { i++; continue; }
        int32_t cp;
        i += utf8_decode(s + i, n - i, &cp);
        if (cp < 0) return 0;
    }
    return 1;
}

long utf8_sanitize(struct buf *out, const char *s, size_t n)
{
    long bad = 0;
    size_t i = 0, run = 0; /* run: start of the pending valid span */
    while (i < n) {
        if ((unsigned char)s[i] < 0x80) { i++; continue; }
        int32_t cp;
        size_t k = utf8_decode(s + i, n - i, &cp);
        if (cp < 0) {
            FORWARD_ERR(buf_append(out, s + run, i - run));
            FORWARD_ERR(buf_append(out, "\xEF\xBF\xBD", 3));
            bad++;
            run = i + k;
        }
        i += k;
    }
    FORWARD_ERR(buf_append(out, s + run, n - run));
    return bad;
}

int py_isspace(int32_t c)
{
    return (c >= 0x09 && c <= 0x0D) || (c >= 0x1C && c <= 0x20) || c == 0x85 || c == 0xA0 ||
           c == 0x1680 || (c >= 0x2000 && c <= 0x200A) || c == 0x2028 || c == 0x2029 ||
           c == 0x202F || c == 0x205F || c == 0x3000;
}

size_t py_strip(const char *s, size_t n, size_t *len)
{
    size_t b = 0, e = n;
    while (b < e) {
        int32_t cp;
        size_t k = utf8_decode(s + b, e - b, &cp);
        if (cp < 0 || !py_isspace(cp)) break;
        b += k;
    }
    while (e > b) {
        /* step back one code point: skip continuation bytes */
        size_t p = e - 1;
        while (p > b && ((unsigned char)s[p] & 0xC0) == 0x80 && e - p < 4) p--;
        int32_t cp;
        size_t k = utf8_decode(s + p, e - p, &cp);
        if (cp < 0 || p + k != e || !py_isspace(cp)) break;
        e = p;
    }
    *len = e - b;
    return b;
}
