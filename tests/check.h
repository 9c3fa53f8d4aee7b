/*
 * check.h - the tiny test vocabulary every tests/unit/test_*.c uses.
 *
 * A test file has one main() that calls TEST(name) blocks. A failed check
 * prints file:line and both values, marks the current test failed and goes on
 * (the test keeps running so one run shows every mismatch). SKIP(reason)
 * counts the test as skipped with the reason. The last line is
 * "RESULT <passed> <failed> <skipped>", which tests/run.sh adds up.
 *
 *     int main(void) {
 *         TEST("adds") { CHECK_INT(1 + 1, 2); }
 *         return test_summary();
 *     }
 *
 * Fixtures: fixtures_dir() gives $SEMINDEX_FIXTURES (default
 * ../shared/fixtures), or NULL when absent, in which case tests SKIP.
 */
#ifndef SEMINDEX_CHECK_H
#define SEMINDEX_CHECK_H

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "common/err.h"

static int t_passed, t_failed, t_skipped;
static int t_cur_failed, t_cur_skipped;
static const char *t_cur_name;

static void t_begin(const char *name)
{
    t_cur_name = name;
    t_cur_failed = 0;
    t_cur_skipped = 0;
}

static int t_end(void)
{
    if (t_cur_skipped) t_skipped++;
    else if (t_cur_failed) { t_failed++; printf("FAIL %s\n", t_cur_name); }
    else { t_passed++; printf("ok   %s\n", t_cur_name); }
    fflush(stdout);
    return 0;
}

/* TEST("name") { body } : runs body once, then records the outcome. */
#define TEST(name) for (int t_once_ = (t_begin(name), 1); t_once_; t_once_ = t_end())

#define SKIP(...)                                                  \
    do {                                                           \
        printf("skip %s: ", t_cur_name);                           \
        printf(__VA_ARGS__);                                       \
        printf("\n");                                              \
        t_cur_skipped = 1;                                         \
    } while (0)

#define T_FAIL(...)                                                \
    do {                                                           \
        printf("  %s:%d: ", __FILE__, __LINE__);                   \
        printf(__VA_ARGS__);                                       \
        printf("\n");                                              \
        t_cur_failed = 1;                                          \
    } while (0)

#define CHECK_TRUE(c)                                              \
    do { if (!(c)) T_FAIL("expected %s", #c); } while (0)

#define CHECK_INT(a, b)                                                        \
    do {                                                                       \
        long long a_ = (long long)(a), b_ = (long long)(b);                    \
        if (a_ != b_) T_FAIL("%s == %lld, expected %s == %lld", #a, a_, #b, b_); \
    } while (0)

#define CHECK_STR(a, b)                                                        \
    do {                                                                       \
        const char *a_ = (a), *b_ = (b);                                       \
        if (!a_ || !b_ || strcmp(a_, b_) != 0)                                 \
            T_FAIL("%s == \"%s\", expected \"%s\"", #a, a_ ? a_ : "(null)", b_ ? b_ : "(null)"); \
    } while (0)

#define CHECK_NEAR(a, b, tol)                                                  \
    do {                                                                       \
        double a_ = (double)(a), b_ = (double)(b);                             \
        if (!(fabs(a_ - b_) <= (tol)))                                         \
            T_FAIL("%s == %.9g, expected %.9g (tol %g)", #a, a_, b_, (double)(tol)); \
    } while (0)

/* CHECK_OK(expr): expr returns 0 (or >= 0); on failure print err_msg(). */
#define CHECK_OK(expr)                                                         \
    do {                                                                       \
        int ok_rc_ = (expr);                                                   \
        if (ok_rc_ < 0) T_FAIL("%s failed (%d): %s", #expr, ok_rc_, err_msg()); \
    } while (0)

static __attribute__((unused)) int test_summary(void)
{
    printf("RESULT %d %d %d\n", t_passed, t_failed, t_skipped);
    return t_failed ? 1 : 0;
}

/* check_cos: the cosine of rows a and b of d floats, in double (two zero
 * rows: 1); check_min_cos: the smallest over n such row pairs. */
static __attribute__((unused)) double check_cos(const float *a, const float *b, int d)
{
    double ab = 0, aa = 0, bb = 0;
    for (int j = 0; j < d; j++) {
        ab += (double)a[j] * b[j];
        aa += (double)a[j] * a[j];
        bb += (double)b[j] * b[j];
    }
    return aa == 0 && bb == 0 ? 1 : ab / sqrt(aa * bb + 1e-300);
}

static __attribute__((unused)) double check_min_cos(const float *a, const float *b, size_t n, int d)
{
    double worst = 1;
    for (size_t r = 0; r < n; r++) {
        double c = check_cos(a + r * d, b + r * d, d);
        if (!(c >= worst)) worst = c;
    }
    return worst;
}

/* fixtures_dir: the golden-data folder, or NULL (tests then SKIP). */
static __attribute__((unused)) const char *fixtures_dir(void)
{
    const char *d = getenv("SEMINDEX_FIXTURES");
    if (!d || !*d) d = "../shared/fixtures";
    struct stat st;
    if (stat(d, &st) != 0 || !S_ISDIR(st.st_mode)) return NULL;
    return d;
}

/* data_dir: $SEMINDEX_DATA (default ../shared/data) or NULL. */
static __attribute__((unused)) const char *data_dir(void)
{
    const char *d = getenv("SEMINDEX_DATA");
    if (!d || !*d) d = "../shared/data";
    struct stat st;
    if (stat(d, &st) != 0 || !S_ISDIR(st.st_mode)) return NULL;
    return d;
}

/* test_tmpdir: a fresh directory under $TMPDIR for this test binary. */
static __attribute__((unused)) const char *test_tmpdir(void)
{
    static char path[256];
    if (path[0]) return path;
    const char *t = getenv("TMPDIR");
    snprintf(path, sizeof path, "%s/semindex-test-XXXXXX", t && *t ? t : "/tmp");
    if (!mkdtemp(path)) { perror("mkdtemp"); exit(2); }
    return path;
}

#endif
