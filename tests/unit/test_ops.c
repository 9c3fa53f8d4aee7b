/*
 * test_ops.c - the vectorised row kernels of ingest/encoder/kernels/ops.c
 * on every instruction set this CPU has (AVX-512, AVX2 + FMA, scalar):
 *
 *   - gelu_row (exact-erf GELU, with and without the GeGLU gate) against a
 *     double-precision erf reference, over [-10, 10] and every tail length;
 *   - exp_sub_row (softmax exponentials) against double exp, and its sum;
 *   - the vector paths agree with the scalar erff/expf path to a few ulp.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ingest/encoder/kernels/kernels.h"
#include "tests/check.h"

static double gelu_ref(double x)
{
    return 0.5 * x * (1.0 + erf(x * 0.70710678118654752));
}

/* error in float ulps (2^-23) of the larger of |ref| and |x| / 2: for
 * x << 0, 0.5 x (1 + erf) cancels in float whatever erf is used (torch's
 * float GELU too), so the error is measured against the terms' size */
static double err_ulp(double got, double ref, double x)
{
    double m = fabs(ref) > 0.5 * fabs(x) ? fabs(ref) : 0.5 * fabs(x);
    if (m < 1e-30) m = 1e-30;
    return fabs(got - ref) / m / 0x1p-23;
}

static void check_level(int level)
{
    int n = 4099;
    float *x = malloc(n * sizeof *x), *g = malloc(n * sizeof *g), *y = malloc(n * sizeof *y),
          *e = malloc(n * sizeof *e);
    for (int i = 0; i < n; i++) {
        x[i] = -10.0f + 20.0f * (float)i / (float)(n - 1);
        g[i] = 1.0f + (float)(i % 7) * 0.25f;
    }
    double worst = 0;
    for (int len = 1; len <= 40; len++) {
        memset(y, 0x7f, n * sizeof *y);
        gelu_row(x + 100, NULL, y, len);
        for (int i = 0; i < len; i++) {
            double u = err_ulp(y[i], gelu_ref(x[100 + i]), x[100 + i]);
            if (u > worst) worst = u;
        }
        float sentinel;
        memset(&sentinel, 0x7f, sizeof sentinel);
        CHECK_TRUE(memcmp(&y[len], &sentinel, sizeof sentinel) == 0);
    }
    gelu_row(x, NULL, y, n);
    for (int i = 0; i < n; i++) {
        double u = err_ulp(y[i], gelu_ref(x[i]), x[i]);
        if (u > worst) worst = u;
    }
    gelu_row(x, g, y, n);
    for (int i = 0; i < n; i++) {
        double u = err_ulp(y[i], gelu_ref(x[i]) * g[i], x[i] * g[i]);
        if (u > worst) worst = u;
    }
    /* in place */
    memcpy(e, x, n * sizeof *e);
    gelu_row(e, NULL, e, n);
    gelu_row(x, NULL, y, n);
    CHECK_TRUE(memcmp(e, y, n * sizeof *e) == 0);
    printf("  %-6s gelu worst %.2f ulp\n", ops_isa_name(), worst);
    CHECK_TRUE(worst <= 3.0);

    worst = 0;
    for (int len = 1; len <= 70; len++) {
        for (int i = 0; i < len; i++) e[i] = -20.0f + 0.37f * (float)i;
        e[len] = 12345.0f;
        float sum = exp_sub_row(e, len, 1.5f);
        double rs = 0;
        for (int i = 0; i < len; i++) {
            double r = exp((double)(-20.0f + 0.37f * (float)i) - 1.5);
            rs += r;
            double u = fabs(e[i] - r) / r / 0x1p-23;
            if (u > worst) worst = u;
        }
        CHECK_NEAR(sum / rs, 1.0, 1e-5);
        CHECK_TRUE(e[len] == 12345.0f);
    }
    printf("  %-6s exp  worst %.2f ulp\n", ops_isa_name(), worst);
    CHECK_TRUE(worst <= 3.0);
    free(x);
    free(g);
    free(y);
    free(e);
}

int main(void)
{
    int best = ops_set_isa(-1);
    for (int level = best; level >= OPS_SCALAR; level--) {
        char name[64];
        int got = ops_set_isa(level);
        snprintf(name, sizeof name, "row kernels at %s", ops_isa_name());
        TEST(name) {
            CHECK_INT(got, level);
            check_level(level);
        }
    }
    TEST("ops: the best instruction set is chosen at start") {
        CHECK_INT(ops_set_isa(99), best);
    }
    return test_summary();
}
