/*
 * matmul.c - y = x @ W^T (+ b) through a real GEMM library.
 *
 * Backends: oneDNN's matmul primitive (the CPU backend PyTorch uses;
 * Debian libdnnl 2.6, OpenMP runtime) and OpenBLAS cblas_sgemm (OpenMP
 * build). oneDNN is the default; SEMINDEX_GEMM=openblas selects OpenBLAS.
 * W stays in PyTorch's [out, in] layout: oneDNN reads it as a K x N matrix
 * with strides (1, K), OpenBLAS as a transposed operand, so mmap'ed weights
 * are used in place.
 *
 * oneDNN primitives are created per shape (M, N, K, ldy, bias, beta) and
 * kept in a small per-thread cache; oneDNN also keeps its own primitive
 * cache, so a miss costs a descriptor lookup, not a JIT compile.
 */
#include <cblas.h>
#include <dnnl.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "ingest/encoder/kernels/kernels.h"

#ifdef _OPENMP
#include <omp.h>
#endif

void openblas_set_num_threads(int num_threads);

static int backend = -1; /* an enum mm_gemm, or -1 before the first call */
static _Thread_local double st_sec, st_flop;

static enum mm_gemm get_backend(void)
{
    if (backend < 0) {
        const char *e = getenv("SEMINDEX_GEMM");
        backend = e && !strcmp(e, "openblas") ? MM_GEMM_OPENBLAS : MM_GEMM_ONEDNN;
    }
    return (enum mm_gemm)backend;
}

const char *mm_backend(void)
{
    static const char *const names[] = { [MM_GEMM_ONEDNN] = "onednn", [MM_GEMM_OPENBLAS] = "openblas",
                                         [MM_GEMM_LOOPS] = "loops" };
    return names[get_backend()];
}
void mm_set_backend(enum mm_gemm which)
{
    backend = which >= MM_GEMM_ONEDNN && which <= MM_GEMM_LOOPS ? (int)which : MM_GEMM_ONEDNN;
}

void mm_stats(double *seconds, double *flops, int reset)
{
    if (seconds) *seconds = st_sec;
    if (flops) *flops = st_flop;
    if (reset) st_sec = st_flop = 0;
}

void mm_stats_add(double seconds, double flops)
{
    st_sec += seconds;
    st_flop += flops;
}

void mm_ref(const float *x, int M, int K, const float *W, int N, const float *b, float *y, int ldy, float beta)
{
    for (int m = 0; m < M; m++)
        for (int n = 0; n < N; n++) {
            float acc = 0;
            for (int k = 0; k < K; k++) acc += x[(size_t)m * K + k] * W[(size_t)n * K + k];
            float *o = &y[(size_t)m * ldy + n];
            *o = (beta != 0 ? *o : 0) + acc + (b ? b[n] : 0);
        }
}

/* ---- oneDNN ---- */

#define DNNL_CACHE 64
#define DNNL_MIN_STATIC_M 256

struct dnnl_entry {
    int M, N, K, ldy, bias, beta, nt;
    dnnl_primitive_t prim;
    unsigned long used;
};

struct dnnl_ctx {
    dnnl_engine_t eng;
    dnnl_stream_t stream;
    struct dnnl_entry e[DNNL_CACHE];
    unsigned long tick;
    int ok;
};

static _Thread_local struct dnnl_ctx *dctx;

static struct dnnl_ctx *dnnl_get(void)
{
    if (dctx) return dctx->ok ? dctx : NULL;
    dctx = calloc(1, sizeof *dctx);
    if (!dctx) return NULL;
    if (dnnl_engine_create(&dctx->eng, dnnl_cpu, 0) == dnnl_success &&
        dnnl_stream_create(&dctx->stream, dctx->eng, dnnl_stream_default_flags) == dnnl_success)
        dctx->ok = 1;
    return dctx->ok ? dctx : NULL;
}

/* dnnl_prim: the cached primitive for a shape; oneDNN sizes its work split
 * for the OpenMP thread count current at creation, so that count (nt) is
 * part of the key and is set by the caller around creation and execution. */
static dnnl_primitive_t dnnl_prim(struct dnnl_ctx *c, int M, int N, int K, int ldy, int bias, int beta, int nt)
{
    struct dnnl_entry *victim = &c->e[0];
    for (int i = 0; i < DNNL_CACHE; i++) {
        struct dnnl_entry *x = &c->e[i];
        if (x->prim && x->M == M && x->N == N && x->K == K && x->ldy == ldy && x->bias == bias && x->beta == beta &&
            x->nt == nt) {
            x->used = ++c->tick;
            return x->prim;
        }
        if (!x->prim || x->used < victim->used) victim = x;
    }
    dnnl_memory_desc_t a_md, b_md, c_md, bias_md;
    dnnl_dim_t Md = M < 0 ? DNNL_RUNTIME_DIM_VAL : M;
    dnnl_dims_t ad = { Md, K }, as = { K, 1 }, bd = { K, N }, bs = { 1, K }, cd = { Md, N }, cs = { ldy, 1 },
                biasd = { 1, N }, biass = { N, 1 };
    if (dnnl_memory_desc_init_by_strides(&a_md, 2, ad, dnnl_f32, as) != dnnl_success ||
        dnnl_memory_desc_init_by_strides(&b_md, 2, bd, dnnl_f32, bs) != dnnl_success ||
        dnnl_memory_desc_init_by_strides(&c_md, 2, cd, dnnl_f32, cs) != dnnl_success ||
        dnnl_memory_desc_init_by_strides(&bias_md, 2, biasd, dnnl_f32, biass) != dnnl_success)
        return NULL;
    dnnl_matmul_desc_t desc;
    if (dnnl_matmul_desc_init(&desc, &a_md, &b_md, bias ? &bias_md : NULL, &c_md) != dnnl_success) return NULL;
    dnnl_primitive_attr_t attr = NULL;
    dnnl_post_ops_t po = NULL;
    if (beta) {
        if (dnnl_primitive_attr_create(&attr) != dnnl_success) return NULL;
        dnnl_post_ops_create(&po);
        dnnl_post_ops_append_sum(po, 1.0f);
        dnnl_primitive_attr_set_post_ops(attr, po);
    }
    dnnl_primitive_desc_t pd = NULL;
    dnnl_primitive_t prim = NULL;
    if (dnnl_primitive_desc_create(&pd, &desc, attr, c->eng, NULL) == dnnl_success) {
        if (dnnl_primitive_create(&prim, pd) != dnnl_success) prim = NULL;
        dnnl_primitive_desc_destroy(pd);
    }
    if (po) dnnl_post_ops_destroy(po);
    if (attr) dnnl_primitive_attr_destroy(attr);
    if (!prim) return NULL;
    if (victim->prim) dnnl_primitive_destroy(victim->prim);
    *victim = (struct dnnl_entry){ M, N, K, ldy, bias, beta, nt, prim, ++c->tick };
    return prim;
}

static int mm_dnnl(const float *x, int M, int K, const float *W, int N, const float *b, float *y, int ldy,
                   float beta, int nt)
{
    struct dnnl_ctx *c = dnnl_get();
    if (!c) return -1;
    /* small M (single texts, queries, the head): one primitive with a
     * run-time M per shape instead of one JIT'ed kernel per M */
    int runtime_m = M < DNNL_MIN_STATIC_M;
#ifdef _OPENMP
    int old = omp_get_max_threads();
    omp_set_num_threads(nt);
#endif
    dnnl_primitive_t p = dnnl_prim(c, runtime_m ? -1 : M, N, K, ldy, b != NULL, beta != 0, nt);
    if (!p) {
#ifdef _OPENMP
        omp_set_num_threads(old);
#endif
        return -1;
    }
    const dnnl_memory_desc_t *md;
    dnnl_primitive_desc_t pd;
    if (dnnl_primitive_get_primitive_desc(p, (const_dnnl_primitive_desc_t *)&pd) != dnnl_success) return -1;
    dnnl_memory_t src, wei, dst, bias = NULL;
    dnnl_memory_desc_t a_md, c_md;
    dnnl_dims_t ad = { M, K }, as = { K, 1 }, cd = { M, N }, cs = { ldy, 1 };
    dnnl_memory_desc_init_by_strides(&a_md, 2, ad, dnnl_f32, as);
    dnnl_memory_desc_init_by_strides(&c_md, 2, cd, dnnl_f32, cs);
    dnnl_memory_create(&src, &a_md, c->eng, (void *)x);
    md = dnnl_primitive_desc_query_md(pd, dnnl_query_weights_md, 0);
    dnnl_memory_create(&wei, md, c->eng, (void *)W);
    dnnl_memory_create(&dst, &c_md, c->eng, y);
    dnnl_exec_arg_t args[4] = { { DNNL_ARG_SRC, src }, { DNNL_ARG_WEIGHTS, wei }, { DNNL_ARG_DST, dst } };
    int nargs = 3;
    if (b) {
        md = dnnl_primitive_desc_query_md(pd, dnnl_query_weights_md, 1);
        dnnl_memory_create(&bias, md, c->eng, (void *)b);
        args[nargs++] = (dnnl_exec_arg_t){ DNNL_ARG_BIAS, bias };
    }
    dnnl_status_t st = dnnl_primitive_execute(p, c->stream, nargs, args);
    if (st == dnnl_success) st = dnnl_stream_wait(c->stream);
#ifdef _OPENMP
    omp_set_num_threads(old);
#endif
    dnnl_memory_destroy(src);
    dnnl_memory_destroy(wei);
    dnnl_memory_destroy(dst);
    if (bias) dnnl_memory_destroy(bias);
    return st == dnnl_success ? 0 : -1;
}

void mm_xwt(const float *x, int M, int K, const float *W, int N, const float *b, float *y, int ldy, float beta,
            int nt)
{
    if (M <= 0 || N <= 0) return;
    double t0 = now_sec();
    st_flop += 2.0 * M * N * K;
    enum mm_gemm be = get_backend();
    if (be == MM_GEMM_LOOPS) {
        mm_ref(x, M, K, W, N, b, y, ldy, beta);
    } else if (be == MM_GEMM_OPENBLAS || mm_dnnl(x, M, K, W, N, b, y, ldy, beta, nt) != 0) {
        openblas_set_num_threads(nt);
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, M, N, K, 1.0f, x, K, W, K, beta, y, ldy);
        if (b) {
            #pragma omp parallel for schedule(static) num_threads(nt)
            for (int m = 0; m < M; m++)
                for (int n = 0; n < N; n++) y[(size_t)m * ldy + n] += b[n];
        }
    }
    st_sec += now_sec() - t0;
}
