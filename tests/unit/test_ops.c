/*
 * test_ops.c - the vectorised row kernels of ingest/encoder/kernels/ops.c
 * on every instruction set this CPU has (AVX-512, AVX2 + FMA, scalar):
 *
 *   - gelu_row (exact-erf GELU, with and without the GeGLU gate) against a
 *     double-precision erf reference, over [-10, 10] and every tail length;
 *   - exp_sub_row (softmax exponentials) against double exp, and its sum;
 *   - the vector paths agree with the scalar erff/expf path to a few ulp;
 *   - layernorm_row (with and without bias, in place) against a double
 *     reference, for every tail length and the model widths.
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

    /* LayerNorm: error in ulps of the output's size (w = 1, no bias: the
     * normalised values are O(1)); an offset mean checks the two-pass variance */
    worst = 0;
    int widths[] = { 1, 2, 7, 8, 9, 15, 16, 17, 31, 33, 64, 100, 312, 768, 1024 };
    for (size_t k = 0; k < sizeof widths / sizeof *widths; k++) {
        int H = widths[k];
        for (int i = 0; i < H; i++) {
            e[i] = 1.0f;
            g[i] = 0.5f + (float)(i % 5) * 0.125f;
            x[i] = 3.0f + sinf((float)i * 0.7f) * (1.0f + (float)(i % 3));
        }
        for (int bias = 0; bias < 2; bias++) {
            y[H] = 12345.0f;
            layernorm_row(x, y, H, bias ? e : g, bias ? g : NULL, 1e-5f);
            CHECK_TRUE(y[H] == 12345.0f);
            double mean = 0, var = 0;
            for (int i = 0; i < H; i++) mean += x[i];
            mean /= H;
            for (int i = 0; i < H; i++) var += (x[i] - mean) * (x[i] - mean);
            double rstd = 1.0 / sqrt(var / H + 1e-5);
            for (int i = 0; i < H; i++) {
                double r = (x[i] - mean) * rstd * (bias ? 1.0 : g[i]) + (bias ? g[i] : 0.0);
                double u = fabs(y[i] - r) / (fabs(r) > 1 ? fabs(r) : 1) / 0x1p-23;
                if (u > worst) worst = u;
            }
        }
        /* in place gives the same row */
        memcpy(e + 2048, x, H * sizeof *x);
        layernorm_row(e + 2048, e + 2048, H, g, NULL, 1e-5f);
        layernorm_row(x, y, H, g, NULL, 1e-5f);
        CHECK_TRUE(memcmp(e + 2048, y, H * sizeof *y) == 0);
    }
    printf("  %-6s layernorm worst %.2f ulp\n", ops_isa_name(), worst);
    CHECK_TRUE(worst <= 8.0);
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
