/*
 * isa_peak.c - the multiply-adds per nanosecond one core's vector units
 * reach for each precision the encoder uses, so that a GEMM rate can be
 * read against what the CPU can do at all:
 *
 *   f32   vfmadd231ps  zmm: 16 multiply-adds per instruction
 *   bf16  vdpbf16ps    zmm: 32 (pairs of bf16 products into 16 f32 sums)
 *   int8  vpdpbusd     zmm: 64 (quadruples of u8 x s8 into 16 s32 sums)
 *
 * Method: 12 independent accumulator chains per loop (more than any of
 * these instructions' latency x throughput), 400M instructions of each
 * kind, timed by the thread's CPU clock (CLOCK_THREAD_CPUTIME_ID, so time
 * the scheduler gives to other processes does not count); best of --rounds.
 * One thread: run it beside nothing heavy, since an SMT sibling or the
 * power budget of a busy package lowers what one core gets. A kind the CPU
 * lacks (by __builtin_cpu_supports) prints "unsupported".
 *
 *     build/tools/isa_peak [--rounds N]
 *
 * Output is key-value lines, as the benchmarks print:
 *     f32_macs_per_ns 81.3
 *     bf16_macs_per_ns 39.9
 *     int8_macs_per_ns 243.0
 *     bf16_vs_f32 0.49
 *     int8_vs_f32 2.99
 * These are instruction ceilings, not GEMM rates: oneDNN's kernels reach a
 * share of them (docs/performance.md compares the two).
 */
#include <immintrin.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define ISA_INSTR 400000000L /* instructions per measurement */

static double cpu_now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
    return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

/* Each kernel keeps 12 accumulators in registers (distinct starting values,
 * so the compiler cannot fold the chains into one) and returns the seconds
 * the loop took; *chk gets their sum, printed with -v so the work is used. */
#define CHAINS(OP) OP(0) OP(1) OP(2) OP(3) OP(4) OP(5) OP(6) OP(7) OP(8) OP(9) OP(10) OP(11)

__attribute__((target("avx512f"), noinline)) static double run_f32(double *chk)
{
    __m512 x = _mm512_set1_ps(1.0001f), y = _mm512_set1_ps(0.9999f);
#define DECL(i) __m512 a##i = _mm512_set1_ps((float)(i));
    CHAINS(DECL)
#undef DECL
    double t = cpu_now();
    for (long k = 0; k < ISA_INSTR / 12; k++) {
#define STEP(i) a##i = _mm512_fmadd_ps(x, y, a##i);
        CHAINS(STEP)
#undef STEP
    }
    t = cpu_now() - t;
    double s = 0;
#define SUM(i) s += _mm512_reduce_add_ps(a##i);
    CHAINS(SUM)
#undef SUM
    *chk = s;
    return t;
}

__attribute__((target("avx512f,avx512bf16"), noinline)) static double run_bf16(double *chk)
{
    __m512bh x = (__m512bh)_mm512_set1_epi16(0x3f80), y = x; /* 1.0 in bf16 */
#define DECL(i) __m512 a##i = _mm512_set1_ps((float)(i));
    CHAINS(DECL)
#undef DECL
    double t = cpu_now();
    for (long k = 0; k < ISA_INSTR / 12; k++) {
#define STEP(i) a##i = _mm512_dpbf16_ps(a##i, x, y);
        CHAINS(STEP)
#undef STEP
    }
    t = cpu_now() - t;
    double s = 0;
#define SUM(i) s += _mm512_reduce_add_ps(a##i);
    CHAINS(SUM)
#undef SUM
    *chk = s;
    return t;
}

__attribute__((target("avx512f,avx512vnni"), noinline)) static double run_int8(double *chk)
{
    __m512i x = _mm512_set1_epi8(1), y = x;
#define DECL(i) __m512i a##i = _mm512_set1_epi32(i);
    CHAINS(DECL)
#undef DECL
    double t = cpu_now();
    for (long k = 0; k < ISA_INSTR / 12; k++) {
#define STEP(i) a##i = _mm512_dpbusd_epi32(a##i, x, y);
        CHAINS(STEP)
#undef STEP
    }
    t = cpu_now() - t;
    double s = 0;
#define SUM(i) s += (double)_mm512_reduce_add_epi32(a##i);
    CHAINS(SUM)
#undef SUM
    *chk = s;
    return t;
}

struct kind {
    const char *name;
    int macs;                 /* multiply-adds per instruction */
    int supported;
    double (*run)(double *chk);
};

static const char usage[] = "usage: isa_peak [--rounds N] [-v]\n";

int main(int argc, char **argv)
{
    int rounds = 3, verbose = 0;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--rounds") && i + 1 < argc) {
            rounds = atoi(argv[++i]);
        } else if (!strcmp(argv[i], "-v")) {
            verbose = 1;
        } else if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
            fputs(usage, stdout);
            return 0;
        } else {
            fputs(usage, stderr);
            return 2;
        }
    }
    if (rounds < 1 || rounds > 100) {
        fprintf(stderr, "error: --rounds: '%d' is not a number in [1, 100]\n", rounds);
        return 2;
    }
    __builtin_cpu_init();
    struct kind k[] = {
        { "f32", 16, __builtin_cpu_supports("avx512f"), run_f32 },
        { "bf16", 32, __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bf16"), run_bf16 },
        { "int8", 64, __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512vnni"), run_int8 },
    };
    double rate[3] = { 0 };
    for (int i = 0; i < 3; i++) {
        if (!k[i].supported) {
            printf("%s_macs_per_ns unsupported\n", k[i].name);
            continue;
        }
        for (int r = 0; r < rounds; r++) {
            double chk, s = k[i].run(&chk);
            double v = s > 0 ? (double)k[i].macs * (double)ISA_INSTR / s * 1e-9 : 0;
            if (v > rate[i]) rate[i] = v;
            if (verbose) fprintf(stderr, "%s round %d: %.3f s (check %g)\n", k[i].name, r + 1, s, chk);
        }
        printf("%s_macs_per_ns %.1f\n", k[i].name, rate[i]);
    }
    for (int i = 1; i < 3; i++)
        if (rate[0] > 0 && rate[i] > 0) printf("%s_vs_f32 %.2f\n", k[i].name, rate[i] / rate[0]);
    return 0;
}
