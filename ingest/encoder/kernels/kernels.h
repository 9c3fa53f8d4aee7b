/*
 * kernels.h - the numeric operations of the forward passes (internal to
 * ingest/encoder). Shapes are given in the comments; all matrices are
 * row-major float32; "W" is a PyTorch Linear weight [out, in].
 *
 * Threading: every function that takes nt runs one OpenMP parallel region
 * of nt threads (or hands nt to the GEMM library); none is called from
 * inside a parallel region, so teams never nest.
 */
#ifndef SEMINDEX_KERNELS_H
#define SEMINDEX_KERNELS_H

#include <stddef.h>
#include <stdint.h>

enum model_act;

/* K_CLONES: compile a loop-heavy function once per instruction set (AVX-512F,
 * AVX2, baseline) and pick the clone at load time from what the CPU reports
 * (GCC's target_clones; feature names, not "arch=": an arch clone is taken
 * only on that exact CPU model, so an AVX-512 Zen 4 or AMX Xeon got
 * the AVX2 clone). The binary keeps the baseline ISA (no -march=native).
 * Without FP contraction (ISO C's default) the clones give the same bits. */
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__) && !defined(__SANITIZE_ADDRESS__)
#define K_CLONES __attribute__((target_clones("avx512f", "avx2", "default")))
#else
#define K_CLONES
#endif


/* mm_xwt: y[M, N] (row stride ldy) = beta * y + x[M, K] @ W[N, K]^T (+ b[N]).
 * beta is 0 or 1 (1 fuses a residual add). */
void mm_xwt(const float *x, int M, int K, const float *W, int N, const float *b, float *y, int ldy, float beta,
            int nt);

/* mm_backend: "onednn" or "openblas" (which library mm_xwt uses). */
const char *mm_backend(void);
/* mm_set_backend: which library mm_xwt uses from now on (benchmarks); the
 * default is oneDNN, or OpenBLAS when SEMINDEX_GEMM=openblas. */
enum mm_gemm { MM_GEMM_ONEDNN, MM_GEMM_OPENBLAS, MM_GEMM_LOOPS };
void mm_set_backend(enum mm_gemm which);
/* mm_stats: seconds spent in mm_xwt and flops done on this thread since
 * the last reset (fwd_run adds the flops of the shards other threads ran
 * for it, not their seconds). */
void mm_stats(double *seconds, double *flops, int reset);

/* mm_stats_add: account a product done elsewhere (qmatmul.c) in mm_stats. */
void mm_stats_add(double seconds, double flops);

/* ---- reduced precision (qmatmul.c) ----
 * A Linear weight W[N, K] is packed once (mm_pack) for one precision:
 * MM_BF16 (bf16 weights in oneDNN's preferred layout; x rounded to bf16 at
 * each call; f32 accumulation, bias and output) or MM_INT8 (s8 weights with
 * a per-output-channel scale; x quantized per row to s8; s32 accumulation
 * dequantized to f32). The packed copy does not refer to W afterwards. */
enum { MM_F32 = 0, MM_BF16 = 1, MM_INT8 = 2 };
struct mm_packed;

/* mm_pack: pack W. smooth (int8 only, NULL = none): per input channel
 * factors s[K] moved from the activations into the weights (x / s, W * s),
 * for inputs with outlier channels. MM_F32 (an exact slot inside an int8
 * model) keeps a pointer to W itself, which must outlive the packing: its
 * inputs are f32 rows and mm_run is mm_xwt. Errors: ERR_NOMEM,
 * ERR_UNSUPPORTED (oneDNN has no primitive for the precision on this CPU;
 * message names the ISA). */
int mm_pack(const float *W, int N, int K, int prec, const float *smooth, struct mm_packed **out);
/* mm_packed_prec: the precision p was packed for (MM_INT8 for a simulation). */
int mm_packed_prec(const struct mm_packed *p);
/* mm_pack_sim: an exact f32 simulation of the int8 scheme (error budgets,
 * tests): the weights are replaced once by their fake-quantized values
 * (wmode) and each input row by its fake-quantized values (xmode) -- the
 * same scales and rounding as mm_pack's path -- and multiplied in f32
 * (mm_xwt). MM_SIM_NONE: exact; MM_SIM_SYM: symmetric per row (s8, the real
 * scheme); MM_SIM_ASYM: asymmetric per row (u8 with a zero point).
 * smooth as mm_pack. Used like an MM_INT8 packing (mm_prepare_row, mm_run:
 * nothing is deferred). Errors: ERR_NOMEM. */
enum { MM_SIM_NONE = 0, MM_SIM_SYM = 1, MM_SIM_ASYM = 2 };
int mm_pack_sim(const float *W, int N, int K, const float *smooth, int wmode, int xmode, struct mm_packed **out);
void mm_packed_free(struct mm_packed *p);
/* mm_packed_bytes: the bytes p owns (0 at MM_F32: the caller's weights) */
size_t mm_packed_bytes(const struct mm_packed *p);
/* mm_qbuf_size: scratch bytes mm_xwt_packed needs for M rows of K inputs,
 * N outputs. */
size_t mm_qbuf_size(int M, int K, int N);
/* mm_xwt_packed: y[M, N] (row stride ldy) = beta * y + x[M, K] @ W^T (+ b),
 * beta 0 or 1; qbuf: mm_qbuf_size(M, K, N) bytes, 64-aligned. Returns 0 or
 * ERR_UNSUPPORTED (oneDNN failed). */
int mm_xwt_packed(const float *x, int M, const struct mm_packed *p, const float *b, float *y, int ldy, float beta,
                  void *qbuf, int nt);
/* ---- the same product in two halves, for forward passes that fuse the
 * conversions into their neighbouring kernels (forward.h) ----
 * An input of p is prepared row by row (mm_prepare_row, callable from
 * inside a parallel region) into in (mm_qin_size(M, K) bytes, 64-aligned:
 * s8, bf16 or, at f32, a copy of the f32 rows (fused.c passes the rows
 * themselves to mm_run instead); sx[M] the int8 row scales). mm_run
 * multiplies. At int8 the dequantization can be left to the consumer: with
 * def != NULL the exact sums are written as f32 (into y at beta 0, into acc[M, N] at
 * beta 1) and def says how to finish row m, columns [n0, n1):
 *   y[n] = (beta ? y[n] : 0) + sx[m] * sw[n] * acc[m * ld + n] + b[n]
 * (mm_deferred_row; y may be the acc row itself at beta 0). At f32 and
 * bf16, and at int8 with def == NULL, y is complete on return and def->acc
 * is NULL. */
struct mm_deferred {
    const float *acc; /* NULL: nothing deferred */
    int ld;
    const float *sx, *sw, *b;
};
size_t mm_qin_size(int M, int K);
void mm_prepare_row(const struct mm_packed *p, const float *x, void *in, float *sx, int m);
int mm_run(const struct mm_packed *p, int M, const void *in, const float *sx, const float *b, float *y, int ldy,
           float beta, float *acc, struct mm_deferred *def, int nt);
void mm_deferred_row(const struct mm_deferred *d, int m, int n0, int n1, float *y, int beta);

/* mm_conv_stats: seconds this thread spent (inside mm_xwt_packed)
 * converting inputs to bf16/s8 and dequantizing outputs since the last reset. */
void mm_conv_stats(double *seconds, int reset);
/* mm_precision_name: "f32", "bf16", "int8". */
const char *mm_precision_name(int prec);
/* mm_precision_native: 1 when the CPU oneDNN uses has native instructions
 * for prec (AVX512_BF16 for bf16, VNNI for int8), else 0 (still correct,
 * slower). */
int mm_precision_native(int prec);
/* mm_packed_impl: the oneDNN implementation mm_run uses for p at M rows
 * (one thread), e.g. "brg:avx512_core_vnni"; "f32", "emulated", or "none"
 * when there is no primitive. Valid until this thread's next mm_run. */
const char *mm_packed_impl(const struct mm_packed *p, int M);
/* mm_bf16_fast: 1 where bf16 GEMMs beat f32 ones, decided by the CPU alone
 * (never by a timing): oneDNN dispatches to AMX, or to AVX512_BF16 on an AMD
 * CPU (Zen 4 on: vdpbf16ps does twice the multiply-adds of an f32 FMA per
 * cycle). An Intel AVX512_BF16 CPU without AMX runs vdpbf16ps at half that
 * rate, below f32 (tools/isa_peak; docs/encoder.md, "int8 scheme"). */
int mm_bf16_fast(void);
/* mm_isa_name: the instruction set oneDNN dispatches to, e.g.
 * "avx512_core_bf16" (honours ONEDNN_MAX_CPU_ISA). */
const char *mm_isa_name(void);

/* mm_ref: the same product with plain loops (benchmark baseline, oracle). */
void mm_ref(const float *x, int M, int K, const float *W, int N, const float *b, float *y, int ldy, float beta);

/* layernorm: y[T, H] = (x - mean) / sqrt(var + eps) * w (+ b); y may be x.
 * layernorm_row: one row of it (inside a caller's parallel region). */
void layernorm(const float *x, float *y, int T, int H, const float *w, const float *b, float eps, int nt);
void layernorm_row(const float *x, float *y, int H, const float *w, const float *b, float eps);

/* act_inplace: x[n] = act(x[n]). */
void act_inplace(float *x, size_t n, enum model_act a, int nt);

/* geglu: out[T, n] = act(in[T, 0:n]) * in[T, n:2n] (n = n_inner);
 * geglu_row: one row of it. */
void geglu(const float *in, float *out, int T, int n_inner, enum model_act a, int nt);
void geglu_row(const float *in, float *out, int n_inner, enum model_act a);

float act_scalar(float x, enum model_act a);

/* Vectorised row kernels (ops.c) with the instruction set chosen once at
 * start from the CPU: OPS_AVX512, OPS_AVX2 (with FMA) or OPS_SCALAR. */
enum { OPS_SCALAR = 0, OPS_AVX2 = 1, OPS_AVX512 = 2 };
/* ops_set_isa: use level (clamped to what the CPU has; < 0: the best);
 * returns the level now used (tests compare the paths). */
int ops_set_isa(int level);
/* ops_isa_name: "avx512", "avx2" or "scalar". */
const char *ops_isa_name(void);
/* gelu_row: y[i] = gelu_erf(x[i]) (* g[i] when g != NULL); y may be x. */
void gelu_row(const float *x, const float *g, float *y, int n);
/* exp_sub_row: x[i] = expf(x[i] - sub); returns the sum. */
float exp_sub_row(float *x, int n, float sub);

/* rope_table: cos/sin[L, d/2] for positions 0..L-1, inv_freq = theta^(-2j/d),
 * computed in float32 as transformers does. */
void rope_table(float *cosv, float *sinv, int L, int d, double theta);

/* attention over packed sequences: qkv[T, 3H] (q | k | v, heads of d
 * columns each), seq_off[n_seq + 1] token offsets. RoPE (rotate_half) is
 * applied in place to q and k first when cosv != NULL, at each token's index
 * in its sequence. Token i attends to j in its own sequence with
 * |i - j| <= window (window < 0: all). ctx[T, H] gets the heads concatenated.
 * scratch: nt * ATTN_SCRATCH(max_len, d) floats. dq (NULL: none): qkv holds
 * an int8 GEMM's deferred sums (dq->acc == qkv), dequantized in place by
 * the work item that owns them (its head's q, k, v columns) first.
 * out (NULL: none): the next GEMM's input; with at least 4 sequences per
 * thread the work items are whole sequences and each writes its finished
 * ctx rows into out (mm_prepare_row), and attention returns 1; otherwise
 * the items are (sequence, head) pairs, out is not written, it returns 0. */
struct attn_out {
    const struct mm_packed *p;
    void *in;
    float *sx;
};
/* scores and K^T rows padded to a multiple of 16 keys (ATTN_PAD): ATTN_QB
 * rows of scores (queries scored together), then K^T, then 16 floats of
 * slack for the last block of scores read past a window */
#define ATTN_PAD(n) (((size_t)(n) + 15) & ~(size_t)15)
#define ATTN_QB 4
#define ATTN_SCRATCH(max_len, d) (ATTN_PAD(max_len) * (size_t)((d) + ATTN_QB) + 16)
int attention(float *qkv, int T, const int *seq_off, int n_seq, const int *seq_of, int heads, int d,
              const float *cosv, const float *sinv, int window, float *ctx, float *scratch, int max_len,
              const struct mm_deferred *dq, const struct attn_out *out, int nt);

#endif
