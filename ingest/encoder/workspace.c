/*
 * workspace.c - the forward workspace (forward.h struct fwd_ws): every
 * activation buffer sized once for the largest batch and sequence, so that a
 * forward pass allocates nothing; fwd_linear, the one linear layer call
 * that picks the f32 or the packed (bf16 / int8) weights; and fwd_run, which
 * runs a batch as one shard of whole sequences per thread.
 *
 * Shards: the sequences of a packed batch are independent until pooling
 * (attention stays inside a sequence), so each thread of one parallel
 * region runs the whole encoder (every layer, one-thread GEMMs) on its own
 * contiguous run of sequences, through a view of the workspace whose
 * buffers start at the shard's first token (at bf16 / int8 also its own
 * piece of the GEMM scratch qbuf, and its own fused.c state: the pending
 * residual, which row scales are current). One team barrier per batch
 * instead of the ~9 per layer of the layer-by-layer pass (4 non-GEMM
 * regions, and the GEMMs' own), which on 2 cores were most of the f32 time
 * outside the GEMMs. The split balances an estimate of each sequence's cost
 * (GEMMs ~ L, attention ~ L^2); a batch that cannot be split within
 * SHARD_SLACK of even (fewer sequences than threads, one long text) runs
 * layer by layer. A row's arithmetic is the same either way except inside
 * the f32 and bf16 GEMMs, whose blocking depends on M and the thread count
 * (int8's s32 sums are exact, so int8 slots give the same bits).
 */
#include <string.h>

#ifdef _OPENMP
#include <omp.h>
#endif

#include "common/err.h"
#include "common/mem.h"
#include "ingest/encoder/forward.h"
#include "ingest/encoder/kernels/kernels.h"
#include "ingest/model/model.h"

/* a shard's estimated cost may exceed an even share by this factor */
#define SHARD_SLACK 1.15
#define SHARD_MAX 64

static void *alloc_f(size_t n) { return mem_aligned(64, (n ? n : 1) * sizeof(float)); }

int fwd_ws_init(struct fwd_ws *ws, const struct model *m, int cap_tokens, int nt)
{
    memset(ws, 0, sizeof *ws);
    const struct model_config *c = &m->cfg;
    size_t T = (size_t)cap_tokens, H = (size_t)c->hidden, I = (size_t)c->intermediate;
    ws->cap_tokens = cap_tokens;
    ws->max_len = m->max_seq_length;
    ws->nt = nt;
    int width = m->pool.out_dim;
    for (int i = 0; i < m->n_dense; i++)
        if (m->dense[i].out > width) width = m->dense[i].out;
    ws->head_width = width;
    size_t half = (size_t)c->head_dim / 2, L = (size_t)ws->max_len;
    ws->ids = mem_alloc_array(T, sizeof *ws->ids);
    ws->off = mem_alloc_array(T + 1, sizeof *ws->off);
    ws->seq_of = mem_alloc_array(T, sizeof *ws->seq_of);
    ws->pos = mem_alloc_array(T, sizeof *ws->pos);
    ws->h = alloc_f(T * H);
    ws->x = alloc_f(T * H);
    ws->qkv = alloc_f(T * 3 * H);
    ws->ctx = ws->x; /* free once the QKV GEMM has read x */
    ws->mlp = alloc_f(T * (c->arch == MODEL_MODERNBERT ? 2 * I : I));
    ws->gate = I <= 3 * H ? ws->qkv : alloc_f(T * I); /* qkv is free after attention */
    ws->scratch = alloc_f((size_t)nt * ATTN_SCRATCH(L, c->head_dim));
    size_t S = (size_t)FWD_MAX_SEQS;
    ws->pooled = alloc_f(S * (size_t)m->pool.out_dim);
    ws->head_a = alloc_f(S * (size_t)width);
    ws->head_b = alloc_f(S * (size_t)width);
    if (ws->scratch) /* attention reads padding keys (and ignores their scores): defined values */
        memset(ws->scratch, 0, (size_t)nt * ATTN_SCRATCH(L, c->head_dim) * sizeof(float));
    int ok = ws->ids && ws->off && ws->seq_of && ws->pos && ws->h && ws->x && ws->qkv && ws->ctx && ws->mlp &&
             ws->gate && ws->scratch && ws->pooled && ws->head_a && ws->head_b;
    if (ok && c->arch == MODEL_MODERNBERT) {
        ws->cos_g = alloc_f(L * half);
        ws->sin_g = alloc_f(L * half);
        ws->cos_l = alloc_f(L * half);
        ws->sin_l = alloc_f(L * half);
        ok = ws->cos_g && ws->sin_g && ws->cos_l && ws->sin_l;
        if (ok) {
            rope_table(ws->cos_g, ws->sin_g, (int)L, c->head_dim, c->global_theta);
            rope_table(ws->cos_l, ws->sin_l, (int)L, c->head_dim, c->local_theta);
        }
    }
    if (!ok) {
        fwd_ws_release(ws);
        return err_set(ERR_NOMEM, "out of memory for a %d-token encoder workspace", cap_tokens);
    }
    return 0;
}

/* the reduced-precision scratch of T tokens: prepared inputs (up to
 * max(H, I) wide), their row scales and the residual GEMMs' sums [T, H]
 * (mm_qbuf_size's layout), rounded up to whole cache lines so that shards'
 * pieces laid end to end stay aligned */
static int qbuf_width(const struct model_config *c) { return c->hidden > c->intermediate ? c->hidden : c->intermediate; }

static size_t qbuf_bytes(const struct model_config *c, int T)
{
    return (mm_qbuf_size(T, qbuf_width(c), c->hidden) + 63) & ~(size_t)63;
}

/* point in and acc (fused.c) into qbuf, laid out as mm_xwt_packed lays it */
static void qbuf_split(struct fwd_ws *ws, const struct model_config *c, int T)
{
    ws->in = ws->qbuf;
    ws->acc = (float *)((char *)ws->qbuf + mm_qin_size(T, qbuf_width(c)));
}

int fwd_ws_packed_init(struct fwd_ws *ws, const struct model_config *c)
{
    /* shards' pieces each round up by at most 3 cache lines (qbuf_bytes) */
    ws->qbuf = mem_aligned(64, qbuf_bytes(c, ws->cap_tokens) + (size_t)SHARD_MAX * 3 * 64);
    ws->sx[0] = mem_alloc_array((size_t)ws->cap_tokens, sizeof(float));
    ws->sx[1] = mem_alloc_array((size_t)ws->cap_tokens, sizeof(float));
    if (!ws->qbuf || !ws->sx[0] || !ws->sx[1]) return -1;
    qbuf_split(ws, c, ws->cap_tokens);
    return 0;
}

void fwd_linear(struct fwd_ws *ws, int l, int slot, const float *x, int M, int K, const float *W, int N,
                const float *b, float *y, int ldy, float beta)
{
    if (!ws->packed) {
        mm_xwt(x, M, K, W, N, b, y, ldy, beta, ws->nt);
        return;
    }
    int rc = mm_xwt_packed(x, M, ws->packed[l * FWD_LIN + slot], b, y, ldy, beta, ws->qbuf, ws->nt);
    if (rc < 0 && !ws->err) ws->err = rc;
}

static double seq_cost(const struct model_config *c, int L)
{
    /* per layer, in units of 2 * hidden flops: Linear layers (4H + 3I)
     * per token, attention scores and weighted sum 2L per token (an upper
     * bound: local layers see a window) */
    return (double)L * (4.0 * c->hidden + 3.0 * c->intermediate + 2.0 * L);
}

/* shard_split: first[0..nt] sequence bounds of nt contiguous shards of
 * about equal cost; returns 1 when every shard is non-empty and within
 * SHARD_SLACK of an even share */
static int shard_split(const struct model_config *c, const int *off, int n_seq, int nt, int *first)
{
    double total = 0, acc = 0;
    for (int s = 0; s < n_seq; s++) total += seq_cost(c, off[s + 1] - off[s]);
    first[0] = 0;
    int k = 1;
    for (int s = 0; s < n_seq && k < nt; s++) {
        double cs = seq_cost(c, off[s + 1] - off[s]);
        /* close shard k - 1 before s when that is nearer the target */
        while (k < nt && acc + cs / 2 >= total * k / nt) first[k++] = s;
        acc += cs;
    }
    while (k < nt) first[k++] = n_seq;
    first[nt] = n_seq;
    double limit = SHARD_SLACK * total / nt;
    for (k = 0; k < nt; k++) {
        if (first[k + 1] <= first[k]) return 0;
        double cs = 0;
        for (int s = first[k]; s < first[k + 1]; s++) cs += seq_cost(c, off[s + 1] - off[s]);
        if (cs > limit) return 0;
    }
    return 1;
}

/* shard_run: the forward pass over sequences [s0, s1) on this thread,
 * through a view of ws starting at the shard's first token; scratch slot k;
 * at reduced precision qbuf from byte qoff (its pieces laid end to end).
 * Returns the view's error (ws->err's), 0 if none */
static int shard_run(const struct model *m, const struct fwd_ws *ws, int s0, int s1, int k, size_t qoff,
                     fwd_body body)
{
    const struct model_config *c = &m->cfg;
    int off[FWD_MAX_SEQS + 1];
    int t0 = ws->off[s0];
    for (int s = s0; s <= s1; s++) off[s - s0] = ws->off[s] - t0;
    size_t r = (size_t)t0, H = (size_t)c->hidden, I = (size_t)c->intermediate;
    struct fwd_ws v = *ws;
    v.nt = 1;
    v.ids += r;
    v.off = off;
    v.seq_of += r;
    v.pos += r;
    v.h += r * H;
    v.x += r * H;
    v.qkv += r * 3 * H;
    v.ctx = ws->ctx == ws->x ? v.x : ws->ctx + r * H;
    v.mlp += r * (c->arch == MODEL_MODERNBERT ? 2 * I : I);
    /* gate shares qkv's memory: the view's gate rows must stay inside the
     * shard's own qkv rows, so it starts where the view's qkv does */
    v.gate = ws->gate == ws->qkv ? v.qkv : ws->gate + r * I;
    v.scratch += (size_t)k * ATTN_SCRATCH(ws->max_len, c->head_dim);
    if (ws->packed) {
        /* the row scales by token; the inputs and sums in the shard's own
         * piece of qbuf: their row strides vary by GEMM (H or I wide) */
        v.sx[0] += r;
        v.sx[1] += r;
        v.qbuf = (char *)ws->qbuf + qoff;
        qbuf_split(&v, c, off[s1 - s0]);
        v.pend = (struct mm_deferred){ 0 };
        v.err = 0;
    }
    body(m, &v, s1 - s0, off[s1 - s0], NULL, NULL);
    return v.err;
}

void fwd_run(const struct model *m, struct fwd_ws *ws, int n_seq, int T, fwd_hook hook, void *hctx)
{
    fwd_body body = m->cfg.arch == MODEL_MODERNBERT ? modernbert_forward : bert_forward;
    int nt = ws->nt, first[SHARD_MAX + 1];
    if (hook || nt < 2 || nt > SHARD_MAX || n_seq < nt || !shard_split(&m->cfg, ws->off, n_seq, nt, first)) {
        body(m, ws, n_seq, T, hook, hctx);
        return;
    }
    size_t qoff[SHARD_MAX + 1] = { 0 };
    for (int k = 0; k < nt; k++) qoff[k + 1] = qoff[k] + qbuf_bytes(&m->cfg, ws->off[first[k + 1]] - ws->off[first[k]]);
    double others = 0; /* GEMM flops of the other threads, for the caller's mm_stats */
    int err = 0;
    #pragma omp parallel num_threads(nt) reduction(+ : others)
    {
#ifdef _OPENMP
        int me = omp_get_thread_num(), team = omp_get_num_threads();
#else
        int me = 0, team = 1;
#endif
        double f0, f1;
        mm_stats(NULL, &f0, 0);
        /* a team smaller than asked (OMP_THREAD_LIMIT) runs the shards in turn */
        for (int k = me; k < nt; k += team) {
            int rc = shard_run(m, ws, first[k], first[k + 1], k, qoff[k], body);
            if (rc < 0) {
                #pragma omp critical(fwd_run_err)
                if (!err) err = rc;
            }
        }
        mm_stats(NULL, &f1, 0);
        if (me != 0) others += f1 - f0;
    }
    /* the caller's GEMM seconds stay its own (the share of its time in
     * GEMMs); its flops count the whole batch, as the team GEMMs did */
    mm_stats_add(0, others);
    if (err && !ws->err) ws->err = err;
}

void fwd_ws_release(struct fwd_ws *ws)
{
    if (ws->packed)
        for (int i = 0; i < ws->n_packed; i++) mm_packed_free(ws->packed[i]);
    mem_free(ws->packed);
    mem_free(ws->qbuf);
    mem_free(ws->sx[0]);
    mem_free(ws->sx[1]);
    if (ws->gate == ws->qkv) ws->gate = NULL;
    void *p[] = { ws->ids, ws->off, ws->seq_of, ws->pos, ws->h, ws->x, ws->qkv, ws->mlp, ws->gate,
                  ws->scratch, ws->pooled, ws->head_a, ws->head_b, ws->cos_g, ws->sin_g, ws->cos_l, ws->sin_l };
    for (size_t i = 0; i < sizeof p / sizeof *p; i++) mem_free(p[i]);
    memset(ws, 0, sizeof *ws);
}
