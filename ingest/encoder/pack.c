/*
 * pack.c - the transformer's Linear weights at a reduced precision, packed
 * once at load (pack.h), and the int8 accuracy check that picks int8's
 * scheme per model.
 *
 *   bf16: every Linear weight rounded to bf16 and reordered for oneDNN;
 *   int8: every weight quantized per output channel (s8), except the GEMM
 *         kinds the scheme keeps in the high precision (int8_scheme and
 *         pack_weights below: chosen by embedding built-in sentences at f32
 *         and at int8 and comparing);
 *   then the f32 copies are given back to the kernel (drop_f32).
 */
#include "ingest/encoder/pack.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "common/err.h"
#include "common/log.h"
#include "common/mem.h"
#include "ingest/encoder/encoder.h"
#include "ingest/encoder/kernels/kernels.h"
#include "ingest/model/model.h"

/* drop: the f32 copy of a packed weight is no longer read; give its pages
 * back (file-backed pages are re-read from the file if ever touched again,
 * which they are not: the pointer is cleared) */
static void drop(const float **w, size_t n)
{
    if (!*w) return;
    uintptr_t pg = (uintptr_t)sysconf(_SC_PAGESIZE), a = ((uintptr_t)*w + pg - 1) & ~(pg - 1),
              b = ((uintptr_t)(*w + n)) & ~(pg - 1);
    if (b > a) madvise((void *)a, b - a, MADV_DONTNEED);
    *w = NULL;
}

static int cmp_float(const void *a, const void *b)
{
    float x = *(const float *)a, y = *(const float *)b;
    return x < y ? -1 : x > y;
}

/* smoothing: a GEMM whose input is a LayerNorm output inherits the gain's
 * outlier channels (a few gains tens of times the others, as in trained
 * transformers), which would set the per-token int8 scale and crush the
 * other channels. Channels whose |gain| exceeds SMOOTH_RATIO x the median
 * get s[k] = sqrt(|gain| / median), moved into the weights (SmoothQuant
 * with alpha 0.5, the gain standing in for calibrated activation ranges).
 * Returns 0 when no channel qualifies (s untouched). */
#define SMOOTH_RATIO 4.0f
static int smoothing(const float *g, int H, float *s, float *tmp)
{
    if (!g) return 0;
    for (int k = 0; k < H; k++) tmp[k] = fabsf(g[k]);
    qsort(tmp, (size_t)H, sizeof *tmp, cmp_float);
    float med = tmp[H / 2];
    if (!(med > 0)) return 0;
    int any = 0;
    for (int k = 0; k < H; k++) {
        float r = fabsf(g[k]) / med;
        s[k] = r > SMOOTH_RATIO ? sqrtf(r) : 1.f;
        any |= r > SMOOTH_RATIO;
    }
    return any;
}

/* int8_scheme: how an int8 model packs its four kinds of GEMM (QKV, attention
 * output, MLP input, MLP output), chosen per model by an accuracy check at
 * load (pack_weights below): all four in int8 when that keeps the calibration
 * sentences' embeddings within CHECK_MEAN_COS / CHECK_MIN_COS of f32, else
 * the attention's two (QKV, output) in high precision and the MLP's two in
 * int8. Measured (docs/encoder.md, "int8 scheme"): on a model initialised as
 * transformers initialises ModernBERT all-int8 keeps 0.999998 of mean cosine;
 * on the harsher plain random model (every layer moving the residual stream
 * a lot) it gives 0.99978, and the attention GEMMs carry two thirds of that
 * error for under half of the GEMM work. An MLP input GEMM whose LayerNorm
 * gain has outlier channels (smoothing finds some) is high precision too
 * (pack_model). High precision is bf16 where bf16 GEMMs are fast
 * (mm_bf16_fast: AMX, or AVX512_BF16 on AMD Zen 4 on) and f32 elsewhere
 * (int8_hp): on an AVX512_BF16 Xeon without AMX oneDNN's bf16 matmul was
 * measured slower than its f32 one (0.62x f32 at --precision bf16,
 * docs/performance.md), so f32 costs nothing there and is exact. A pure
 * function of the CPU and the weights, never of a timing: the same machine
 * always computes the same embeddings for the same model.
 * SEMINDEX_INT8_SIM (a diagnostic for error budgets, docs/encoder.md)
 * overrides it (and the check): four comma-separated fields in that order,
 * each "i" (real int8), "b" (bf16), "f" (exact f32, the model's own weights)
 * or two letters, weights then activations, of an exact f32 simulation
 * (mm_pack_sim): f (f32), s (symmetric per row, the int8 scheme), a
 * (activations only: asymmetric u8 per row). E.g. "ss,ss,ss,ss" simulates
 * the all-int8 scheme. */
struct gemm_scheme {
    int prec;      /* MM_INT8 (real or simulated), MM_BF16 or MM_F32 */
    int sim;       /* 1: mm_pack_sim with wmode, xmode */
    int wmode, xmode;
};
enum { G_QKV, G_O, G_I, G_O2, G_KINDS };
static const int slot_kind[FWD_LIN] = { G_QKV, G_QKV, G_QKV, G_O, G_I, G_O2 };
static int int8_hp(void)
{
    return enc_bf16_faster() ? MM_BF16 : MM_F32;
}
static const char *sim_env(void)
{
    const char *v = getenv("SEMINDEX_INT8_SIM");
    return v && *v ? v : NULL;
}
/* int8_scheme: the all-int8 scheme, or SEMINDEX_INT8_SIM's */
static int int8_scheme(struct gemm_scheme sch[G_KINDS])
{
    for (int g = 0; g < G_KINDS; g++) sch[g] = (struct gemm_scheme){ MM_INT8, 0, 0, 0 };
    const char *v = sim_env();
    if (!v) return 0;
    const char *p = v;
    for (int g = 0; g < G_KINDS; g++) {
        size_t n = strcspn(p, ",");
        struct gemm_scheme *s = &sch[g];
        int w = n == 2 ? strchr("fs", p[0]) != NULL : 0, x = n == 2 ? strchr("fsa", p[1]) != NULL : 0;
        if (n == 1 && (p[0] == 'i' || p[0] == 'b' || p[0] == 'f')) {
            s->prec = p[0] == 'b' ? MM_BF16 : p[0] == 'f' ? MM_F32 : MM_INT8;
        } else if (n == 2 && w && x) {
            s->sim = 1;
            s->wmode = p[0] == 's' ? MM_SIM_SYM : MM_SIM_NONE;
            s->xmode = p[1] == 's' ? MM_SIM_SYM : p[1] == 'a' ? MM_SIM_ASYM : MM_SIM_NONE;
        } else {
            return err_set(ERR_INVALID, "SEMINDEX_INT8_SIM '%s': field %d is not i, b, f or [fs][fsa]", v, g + 1);
        }
        p += n;
        if (g < G_KINDS - 1 && *p++ != ',')
            return err_set(ERR_INVALID, "SEMINDEX_INT8_SIM '%s': four comma-separated fields expected", v);
    }
    if (*p) return err_set(ERR_INVALID, "SEMINDEX_INT8_SIM '%s': four comma-separated fields expected", v);
    return 0;
}

/* scheme_name: sch as SEMINDEX_INT8_SIM spells it, into p->r->scheme */
static void scheme_name(struct packer *p, const struct gemm_scheme sch[G_KINDS])
{
    static const char letter[] = { [MM_F32] = 'f', [MM_BF16] = 'b', [MM_INT8] = 'i' };
    char *o = p->r->scheme;
    for (int g = 0; g < G_KINDS; g++) {
        if (sch[g].sim) {
            *o++ = "fsa"[sch[g].wmode];
            *o++ = "fsa"[sch[g].xmode];
        } else {
            *o++ = letter[sch[g].prec];
        }
        *o++ = g < G_KINDS - 1 ? ',' : '\0';
    }
}

/* the f32 weights behind layer l's Linear slots: the tensor pointers in the
 * model (cleared by drop once packed; NULL: no such slot) and shapes; a
 * slot's GEMM kind is slot_kind[] */
struct lin_slot {
    const float **w;
    int N, K;
};
static void layer_slots(struct model *m, int l, struct lin_slot lin[FWD_LIN])
{
    const struct model_config *c = &m->cfg;
    int H = c->hidden, I = c->intermediate, mb = c->arch == MODEL_MODERNBERT;
    struct model_layer *L = &m->layers[l];
    lin[LIN_Q] = (struct lin_slot){ &L->wq, mb ? 3 * H : H, H };
    lin[LIN_K] = (struct lin_slot){ mb ? NULL : &L->wk, H, H };
    lin[LIN_V] = (struct lin_slot){ mb ? NULL : &L->wv, H, H };
    lin[LIN_O] = (struct lin_slot){ &L->wo, H, H };
    lin[LIN_I] = (struct lin_slot){ &L->wi, mb ? 2 * I : I, H };
    lin[LIN_O2] = (struct lin_slot){ &L->wo2, H, I };
}

/* pack_model: the Linear weights of every layer whose GEMM kind is in
 * kinds (a bit per G_ kind) at p->precision (int8: by sch, plus the
 * outlier rule), replacing what those slots held. The f32 copies are dropped
 * as they are packed, except the attention's when keep_attention (the
 * accuracy check may pack those again; drop_f32 drops them). */
#define KINDS_ALL ((1 << G_KINDS) - 1)
#define KINDS_ATTENTION ((1 << G_QKV) | (1 << G_O))
static int pack_model(struct packer *p, const struct gemm_scheme sch[G_KINDS], int kinds, int keep_attention)
{
    struct model *m = p->m;
    const struct model_config *c = &m->cfg;
    int H = c->hidden, mb = c->arch == MODEL_MODERNBERT, i8 = p->precision == ENC_INT8;
    struct fwd_ws *ws = p->ws;
    if (!ws->packed) {
        ws->n_packed = c->layers * FWD_LIN;
        ws->packed = mem_calloc((size_t)ws->n_packed, sizeof *ws->packed);
        if (!ws->packed || fwd_ws_packed_init(ws, c) < 0)
            return err_set(ERR_NOMEM, "out of memory for %s weights", enc_precision_name(p->precision));
    }
    float *sq = mem_alloc_array((size_t)H, sizeof *sq), *si = mem_alloc_array((size_t)H, sizeof *si),
          *tmp = mem_alloc_array((size_t)H, sizeof *tmp);
    int rc = sq && si && tmp ? 0 : err_nomem();
    if (kinds & (1 << G_I)) p->r->hp_wi = 0;
    for (int l = 0; l < c->layers && rc == 0; l++) {
        struct model_layer *L = &m->layers[l];
        /* the LayerNorm gains in front of the QKV and MLP-input GEMMs */
        const float *gq = mb ? (L->ln1_w ? L->ln1_w : l == 0 ? m->emb_ln_w : NULL)
                             : l == 0 ? m->emb_ln_w : m->layers[l - 1].ln2_w;
        const float *gi = mb ? L->ln2_w : L->ln1_w;
        const float *smq = i8 && smoothing(gq, H, sq, tmp) ? sq : NULL;
        const float *smi = i8 && smoothing(gi, H, si, tmp) ? si : NULL;
        struct lin_slot lin[FWD_LIN];
        layer_slots(m, l, lin);
        for (int s = 0; s < FWD_LIN && rc == 0; s++) {
            if (!lin[s].w || !(kinds & (1 << slot_kind[s]))) continue;
            const float *smooth = slot_kind[s] == G_QKV ? smq : slot_kind[s] == G_I ? smi : NULL;
            struct gemm_scheme g = i8 ? sch[slot_kind[s]] : (struct gemm_scheme){ p->precision, 0, 0, 0 };
            /* an MLP input with outlier channels (its LayerNorm gain has
             * some) is high precision by default (bf16 where fast, else f32):
             * smoothing alone left recall@10 below 0.95 on the outlier
             * model (docs/encoder.md) */
            if (i8 && slot_kind[s] == G_I && smooth && !sim_env()) {
                g.prec = int8_hp();
                p->r->hp_wi++;
            }
            struct mm_packed **dst = &ws->packed[l * FWD_LIN + s];
            mm_packed_free(*dst);
            *dst = NULL;
            if (g.sim)
                rc = mm_pack_sim(*lin[s].w, lin[s].N, lin[s].K, smooth, g.wmode, g.xmode, dst);
            else
                rc = mm_pack(*lin[s].w, lin[s].N, lin[s].K, g.prec, g.prec == MM_INT8 ? smooth : NULL, dst);
            if (rc < 0) rc = err_prefix(rc, "'%s': layer %d %s weights", p->name, l, enc_precision_name(p->precision));
            else if (!(keep_attention && slot_kind[s] <= G_O) && mm_packed_prec(*dst) != MM_F32)
                drop(lin[s].w, (size_t)lin[s].N * lin[s].K);
        }
    }
    mem_free(sq);
    mem_free(si);
    mem_free(tmp);
    return rc;
}

/* drop_f32: the f32 copy of every packed weight is no longer read (an f32
 * slot of the int8 scheme multiplies by the model's own weights: kept) */
static void drop_f32(struct packer *p)
{
    struct model *m = p->m;
    for (int l = 0; l < m->cfg.layers; l++) {
        struct lin_slot lin[FWD_LIN];
        layer_slots(m, l, lin);
        for (int s = 0; s < FWD_LIN; s++)
            if (lin[s].w && *lin[s].w && mm_packed_prec(p->ws->packed[l * FWD_LIN + s]) != MM_F32)
                drop(lin[s].w, (size_t)lin[s].N * lin[s].K);
        if (m->cfg.arch == MODEL_MODERNBERT) m->layers[l].wk = m->layers[l].wv = NULL; /* views into Wqkv */
    }
}

/* ---- the int8 accuracy check ----
 * A fixed set of calibration sentences (Korean and English, written for
 * this check; news, everyday speech, numbers) embedded at f32 before packing
 * and again with the packed weights; mean and minimum cosine between the two.
 * All-int8 is kept when it is within a fifth of the accuracy bounds int8 is
 * held to (mean >= 0.9999, min >= 0.999 on the KorSTS dev sentences), or
 * when the attention in high precision does not cut its loss (1 - mean cos)
 * by a quarter; on the models measured the check's mean cosines and
 * KorSTS's agree to 2e-6 on plain models, 1.1e-5 on outlier ones
 * (docs/encoder.md). About 1.2 s more at load on the full-size model. */
static const char *const calib_text[] = {
    "오늘 아침에는 비가 조금 내렸지만 오후에는 하늘이 맑게 개었다.",
    "새로 문을 연 도서관은 주말에도 밤 열 시까지 운영한다.",
    "그는 회의가 끝나자마자 서둘러 기차역으로 향했다.",
    "이 제품은 배터리 수명이 길고 무게가 가벼워 여행할 때 편리하다.",
    "아이들이 공원에서 공을 차며 즐겁게 뛰어놀고 있다.",
    "정부는 내년 예산안을 다음 달 국회에 제출할 예정이다.",
    "두 사람은 오랜만에 만나 학창 시절 이야기를 나누었다.",
    "고양이 한 마리가 창가에 앉아 햇볕을 쬐고 있다.",
    "이번 전시회에는 현대 미술 작품 120여 점이 소개된다.",
    "할머니께서 끓여 주신 된장찌개는 언제 먹어도 맛있다.",
    "지하철 2호선 운행이 신호 장애로 20분가량 지연되었다.",
    "그 영화는 개봉 첫 주에 관객 100만 명을 넘어섰다.",
    "The committee approved the new budget after a long debate on Tuesday.",
    "A man is playing a guitar while a woman sings beside him.",
    "Prices rose 3.2% in October, the fastest pace since 2023.",
    "Please restart the server before applying the configuration update.",
    "서울의 평균 기온은 섭씨 25도로 예년보다 조금 높았다.",
    "회사는 AI 기반 번역 서비스를 다음 분기에 출시한다고 밝혔다.",
    "버스를 놓쳐서 결국 택시를 타고 출근해야 했다.",
    "강아지가 눈 위를 신나게 달리고 있다.",
    "이 문제를 해결하려면 먼저 원인을 정확히 파악해야 한다.",
    "그녀는 매일 아침 30분씩 조깅을 하며 하루를 시작한다.",
    "주문하신 상품은 내일 오전 중에 배송될 예정입니다.",
    "연구진은 새로운 배터리 소재가 충전 속도를 두 배로 높인다고 발표했다.",
};
#define CALIB_N (sizeof calib_text / sizeof *calib_text)
#define CHECK_MEAN_COS 0.99998 /* all-int8 kept at or above (a fifth of the 1e-4 bound) */
#define CHECK_MIN_COS 0.9998   /* and min cos at or above (a fifth of 1e-3) */
#define HP_GAIN 0.75           /* the attention in high precision kept if it cuts 1 - mean cos to this share */
#define BOUND_MEAN_COS 0.9999  /* the bounds themselves: below them load warns */
#define BOUND_MIN_COS 0.999

static int calib_encode(struct packer *p, float *out)
{
    size_t len[CALIB_N];
    for (size_t i = 0; i < CALIB_N; i++) len[i] = strlen(calib_text[i]);
    return p->embed(p->ctx, calib_text, len, CALIB_N, out);
}

/* pack_weights: pack the weights at p->precision; at int8 choose the
 * scheme by the accuracy check (unless SEMINDEX_INT8_SIM names one) */
int pack_weights(struct packer *p)
{
    struct gemm_scheme sch[G_KINDS] = { 0 };
    int i8 = p->precision == ENC_INT8, check = i8 && !sim_env();
    if (i8) FORWARD_ERR(int8_scheme(sch));
    float *ref = NULL, *got = NULL;
    if (check) {
        ref = mem_alloc_array(CALIB_N, (size_t)p->dim * sizeof *ref);
        got = mem_alloc_array(CALIB_N, (size_t)p->dim * sizeof *got);
    }
    int rc = check && (!ref || !got) ? err_nomem() : 0;
    if (rc == 0 && check) rc = calib_encode(p, ref); /* f32: nothing packed yet */
    if (rc == 0) rc = pack_model(p, sch, KINDS_ALL, check);
    struct enc_int8_check *k = &p->r->check;
    for (int t = 0; check && rc == 0 && t < 2; t++) {
        rc = calib_encode(p, got);
        if (rc < 0) break;
        enc_cosine_stats(ref, got, CALIB_N, p->dim, &k->mean_cos[t], &k->min_cos[t]);
        k->tries = t + 1;
        if (t == 0 && k->mean_cos[0] >= CHECK_MEAN_COS && k->min_cos[0] >= CHECK_MIN_COS) break;
        if (t == 0) { /* second try: the attention in high precision */
            sch[G_QKV].prec = sch[G_O].prec = int8_hp();
            rc = pack_model(p, sch, KINDS_ATTENTION, 1);
        } else if (1 - k->mean_cos[1] > HP_GAIN * (1 - k->mean_cos[0])) {
            /* it did not help enough for its cost (a fifth of
             * int8's speed): back to all-int8 */
            sch[G_QKV].prec = sch[G_O].prec = MM_INT8;
            rc = pack_model(p, sch, KINDS_ATTENTION, 1);
            k->kept = 0;
        } else {
            k->kept = 1;
        }
    }
    if (check && rc == 0) {
        k->met = k->mean_cos[k->kept] >= BOUND_MEAN_COS && k->min_cos[k->kept] >= BOUND_MIN_COS;
        /* here, not in a command: every way of loading a model (embed,
         * ingest, run, query, ...) says it */
        if (!k->met)
            log_warn("precision int8: '%s' loses more than int8 is allowed to even with its attention GEMMs in %s "
                     "(mean cosine %.6f, min %.6f to f32 on the check sentences; bounds %g / %g): "
                     "--precision bf16 is closer", p->name, int8_hp() == MM_BF16 ? "bf16" : "f32",
                     k->mean_cos[k->kept], k->min_cos[k->kept], BOUND_MEAN_COS, BOUND_MIN_COS);
    }
    if (rc == 0 && i8) scheme_name(p, sch);
    if (rc == 0) drop_f32(p);
    mem_free(ref);
    mem_free(got);
    if (rc < 0 && check) rc = err_prefix(rc, "'%s': int8 accuracy check", p->name);
    return rc;
}
