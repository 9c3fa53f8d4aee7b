/*
 * ucd_gen.c - compare the tokenizer's Unicode predicates (utf8proc,
 * Oniguruma) with what the HF core answers (ucd_probe.js output on stdin)
 * and print the differences as C range tables for ucd_compat.c.
 *
 *   node tests/oracle/ucd_probe.js > probe.txt
 *   cc -Iingest/tokenizer -Icommon tests/oracle/ucd_gen.c build/libsemindex.a \
 *      -lutf8proc -lonig -lxxhash -ljansson -fopenmp -o /tmp/ucd_gen
 *   /tmp/ucd_gen < probe.txt
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <utf8proc.h>

#include "tok_impl.h"

#define N 0x110000
static unsigned char hf[4][N];
static const char *names[4] = { "punct", "num", "other", "mn" };

static int mine(int k, int32_t c)
{
    switch (k) {
    case 0:
        if (c < 0x80)
            return (c >= 0x21 && c <= 0x2F) || (c >= 0x3A && c <= 0x40) || (c >= 0x5B && c <= 0x60) ||
                   (c >= 0x7B && c <= 0x7E);
        {
            utf8proc_category_t g = utf8proc_category(c);
            return g >= UTF8PROC_CATEGORY_PC && g <= UTF8PROC_CATEGORY_PO;
        }
    case 1: {
        utf8proc_category_t g = utf8proc_category(c);
        return g == UTF8PROC_CATEGORY_ND || g == UTF8PROC_CATEGORY_NL || g == UTF8PROC_CATEGORY_NO;
    }
    case 2: {
        if (c == 0 || c == 0xFFFD) return 1;
        if (c == 9 || c == 10 || c == 13) return 0;
        utf8proc_category_t g = utf8proc_category(c);
        return g == UTF8PROC_CATEGORY_CC || g == UTF8PROC_CATEGORY_CF || g == UTF8PROC_CATEGORY_CO;
    }
    default: return c >= 0x300 && utf8proc_category(c) == UTF8PROC_CATEGORY_MN;
    }
}

int main(void)
{
    char name[16];
    unsigned x;
    uc_init();
    while (scanf("%15s %x", name, &x) == 2)
        for (int k = 0; k < 4; k++)
            if (!strcmp(name, names[k]) && x < N) hf[k][x] = 1;
    hf[0]['a'] = 0;
    for (int k = 0; k < 4; k++) {
        for (int want = 0; want <= 1; want++) {
            printf("/* %s: HF says %s, utf8proc says %s */\n", names[k], want ? "yes" : "no", want ? "no" : "yes");
            long start = -1;
            for (long c = 0; c <= N; c++) {
                int diff = c < N && !(c >= 0xD800 && c <= 0xDFFF) && c != 'a' &&
                           hf[k][c] == want && mine(k, (int32_t)c) != want;
                if (diff && start < 0) start = c;
                if (!diff && start >= 0) {
                    printf("    { 0x%04lX, 0x%04lX },\n", start, c - 1);
                    start = -1;
                }
            }
        }
    }
    return 0;
}
