/*
 * bench_encode.c - `semindex bench encode`: encoder throughput on KorSTS
 * sentences, with baselines measured in the same run.
 *
 *   1. semindex: enc_encode() on all sentences (tokenize, sort by length,
 *      packed token-budget batches) -> sentences/s, real tokens/s,
 *      effective GFLOP/s (model FLOPs of the real tokens / wall time), the
 *      GEMM share of the time and the GFLOP/s of the GEMMs inside the run.
 *   2. GEMM ceiling: oneDNN and OpenBLAS alone at the model's four
 *      projection shapes (M = 2048 tokens), same threads -> "gemm efficiency"
 *      = in-run GEMM GFLOP/s / best standalone GFLOP/s.
 *   3. baseline "padded32": what SentenceTransformer.encode does - inputs
 *      sorted by length, batches of 32 padded to their longest input - run
 *      through the same kernels (pads are computed like real tokens).
 *   4. baseline "naive": plain-loop GEMMs (serial; the other operations as
 *      in 1) on the first --naive-sentences inputs.
 *   Peak RSS is taken right after 1 (the baselines add their own buffers).
 *
 * Output: "key value" lines (docs/performance.md quotes them).
 */
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench/bench.h"
#include "common/buf.h"
#include "common/err.h"
#include "common/fsutil.h"
#include "common/log.h"
#include "common/mem.h"
#include "ingest/encoder/encoder.h"
#include "ingest/encoder/encoder_internal.h"
#include "ingest/model/model.h"
#include "ingest/model/safetensors.h"
#include "ingest/tokenizer/tokenizer.h"
#include "pipeline/cli.h"

struct encode_options {
    struct cli_encoder enc;
    char *input, *data;
    long batch_tokens;  /* 0: the encoder's */
    long limit;         /* 0: every sentence */
    long naive_n;
    long rounds;        /* --interleave */
};

#define O(f) offsetof(struct encode_options, f)
static const struct opt encode_opts[] = {
    OPT("input", 'i', OPT_STR, O(input), "FILE", "a .tsv with sentence1 and sentence2 columns or\n"
      "one text per line (default: --data's\nkorsts/sts-dev.tsv)"),
    BENCH_OPT_DATA(O(data)),
    CLI_OPT_BATCH_TOKENS(O(batch_tokens)),
    OPT("limit", 0, OPT_INT, O(limit), "N", "the first N sentences only", .lo = 1, .hi = 1L << 30),
    OPT("naive-sentences", 0, OPT_INT, O(naive_n), "N", "sentences of the plain-loop baseline",
        .hi = 1L << 20, .def = "8"),
    OPT("interleave", 0, OPT_INT, O(rounds), "N", "N more passes alternating the precision and f32\n"
        "chunk by chunk (needs --precision bf16|int8)", .hi = 1000),
};
static const struct opt_group encode_groups[] = {
    CLI_ENCODER_GROUP(O(enc)),
    OPT_GROUP(encode_opts, 0, NULL),
};
#undef O
static const struct opts_cmd encode_cmd = {
    .name = "bench encode", .groups = encode_groups, .n_groups = 2,
    .intro = "Encoder throughput on KorSTS sentences (sentence1 and sentence2 of every pair)\n"
             "against baselines measured in the same run: PyTorch-style padded batches of 32,\n"
             "plain-loop GEMMs on one thread, and oneDNN / OpenBLAS alone at the model's GEMM\n"
             "shapes. --precision bf16|int8 first encodes every sentence at that precision,\n"
             "then at f32 in the same run, and prints both rates, their ratio, the cosine of\n"
             "each embedding to its f32 one (mean, min), recall@10 of the f32 nearest\n"
             "neighbours and the RSS of each (the reduced precision runs first, so its peak\n"
             "is its own); the other baselines are skipped then. --interleave N then encodes\n"
             "the sentences N more times in chunks of 256, alternating the two precisions\n"
             "chunk by chunk (the first of each pair alternating too), so that both see the\n"
             "same machine load, and prints that ratio as P_interleaved_speedup_vs_f32.\n",
};

/* read_texts: the sentences of a KorSTS tsv, or one text per line */
static int read_texts(const char *path, struct cli_texts *t)
{
    size_t n = strlen(path);
    if (n < 4 || strcmp(path + n - 4, ".tsv") != 0) return cli_read_texts(path, CLI_IN_LINES, NULL, t);
    memset(t, 0, sizeof *t);
    int rc = bench_read_sentences(path, t);
    if (rc < 0) cli_texts_release(t);
    return rc;
}

/* model FLOPs for one sequence of L tokens (matmuls + attention scores and
 * weighted sums inside each layer's window; no padding) */
static double seq_flops(const struct model *m, int L)
{
    const struct model_config *c = &m->cfg;
    double H = c->hidden, I = c->intermediate, f = 0;
    double mlp_in = c->arch == MODEL_MODERNBERT ? 2 * I : I;
    for (int l = 0; l < c->layers; l++) {
        f += 2.0 * L * (3 * H * H + H * H + mlp_in * H + I * H);
        int w = c->arch == MODEL_MODERNBERT && l % c->global_every ? c->local_attention / 2 : L;
        double keys = 0;
        for (int i = 0; i < L; i++) {
            int lo = i - w < 0 ? 0 : i - w, hi = i + w >= L ? L - 1 : i + w;
            keys += hi - lo + 1;
        }
        f += 4.0 * keys * H;
    }
    for (int i = 0; i < m->n_dense; i++) f += 2.0 * m->dense[i].in * m->dense[i].out;
    return f;
}

static double model_bytes(const struct model *m)
{
    double b = 0;
    for (size_t i = 0; i < st_count(m->st); i++) b += (double)st_at(m->st, i)->nbytes;
    return b;
}

/* knn10: the 10 nearest neighbours (cosine, self excluded) of each of the n
 * rows of v[n, d] (normalized in place) -> nb[n * 10] */
#define KNN 10
static void knn10(float *v, size_t n, int d, int nt, int *nb)
{
    for (size_t i = 0; i < n; i++) {
        double s = 0;
        for (int j = 0; j < d; j++) s += (double)v[i * d + j] * v[i * d + j];
        float inv = s > 0 ? (float)(1 / sqrt(s)) : 0;
        for (int j = 0; j < d; j++) v[i * d + j] *= inv;
    }
    size_t B = 256;
    float *sim = mem_alloc_array(B * n, sizeof *sim);
    for (size_t r0 = 0; r0 < n; r0 += B) {
        size_t rb = n - r0 < B ? n - r0 : B;
        mm_xwt(v + r0 * d, (int)rb, d, v, (int)n, NULL, sim, (int)n, 0, nt);
        for (size_t r = 0; r < rb; r++) {
            const float *row = sim + r * n;
            int *o = nb + (r0 + r) * KNN;
            float best[KNN];
            int k = 0;
            for (size_t j = 0; j < n; j++) {
                if (j == r0 + r) continue;
                float x = row[j];
                if (k == KNN && x <= best[KNN - 1]) continue;
                int p = k < KNN ? k++ : KNN - 1;
                while (p > 0 && best[p - 1] < x) {
                    best[p] = best[p - 1];
                    o[p] = o[p - 1];
                    p--;
                }
                best[p] = x;
                o[p] = (int)j;
            }
            for (; k < KNN; k++) o[k] = -1;
        }
    }
    mem_free(sim);
}

static double gemm_alone(int backend, int M, int N, int K, int nt, const float *W)
{
    float *x = mem_aligned(64, (size_t)M * K * sizeof *x), *y = mem_aligned(64, (size_t)M * N * sizeof *y);
    for (size_t i = 0; i < (size_t)M * K; i++) x[i] = (float)((i * 2654435761u) % 1000) * 1e-3f - 0.5f;
    mm_set_backend(backend);
    mm_xwt(x, M, K, W, N, NULL, y, N, 0, nt); /* warm up (JIT, page faults) */
    double best = 0;
    for (int r = 0; r < 3; r++) {
        double t0 = now_sec();
        mm_xwt(x, M, K, W, N, NULL, y, N, 0, nt);
        double g = 2.0 * M * N * K / (now_sec() - t0) / 1e9;
        if (g > best) best = g;
    }
    mem_free(x);
    mem_free(y);
    return best;
}

/* interleave: rounds more passes over the sentences in chunks of 256,
 * alternating f32 (e) and prec chunk by chunk and which of the two goes
 * first, so that a changing machine load falls on both alike. The prec
 * encoder is created again here (after the f32 run's peak RSS was taken). */
#define INTERLEAVE_CHUNK 256
static int interleave(const struct cli_encoder *pc, const struct enc_options *eo, struct enc *e,
                      const struct cli_texts *t, int rounds)
{
    int prec = pc->precision;
    struct enc *pe = NULL;
    FORWARD_ERR(cli_encoder_create(pc, eo, &pe));
    float *out = mem_alloc_array(INTERLEAVE_CHUNK, (size_t)enc_dim(e) * sizeof *out);
    double sec[2] = { 0, 0 }, gemm[2] = { 0, 0 }, conv = 0;
    int rc = 0;
    mm_stats(NULL, NULL, 1);
    mm_conv_stats(NULL, 1);
    for (int r = 0; r < rounds && rc == 0; r++)
        for (size_t c0 = 0, i = 0; c0 < t->n && rc == 0; c0 += INTERLEAVE_CHUNK, i++) {
            size_t k = t->n - c0 < INTERLEAVE_CHUNK ? t->n - c0 : INTERLEAVE_CHUNK;
            for (int w = 0; w < 2 && rc == 0; w++) {
                int lp = (int)((w + i + (size_t)r) & 1); /* 1: prec */
                double t0 = now_sec(), g, cv;
                rc = enc_encode(lp ? pe : e, (const char *const *)t->text + c0, t->len + c0, k, out, NULL);
                sec[lp] += now_sec() - t0;
                mm_stats(&g, NULL, 1);
                mm_conv_stats(&cv, 1);
                gemm[lp] += g;
                if (lp) conv += cv;
            }
        }
    if (rc == 0) {
        const char *pn = enc_precision_name(prec);
        double n = (double)t->n * rounds;
        printf("interleaved_rounds %d\ninterleaved_f32_sentences_per_s %.2f\ninterleaved_f32_gemm_share %.3f\n"
               "%s_interleaved_sentences_per_s %.2f\n%s_interleaved_speedup_vs_f32 %.2f\n"
               "%s_interleaved_gemm_share %.3f\n%s_interleaved_convert_share %.3f\n",
               rounds, n / sec[0], gemm[0] / sec[0], pn, n / sec[1], pn, sec[0] / sec[1], pn, gemm[1] / sec[1], pn,
               conv / sec[1]);
    }
    mem_free(out);
    enc_free(pe);
    return rc;
}

/* encode: the benchmark; the exit status. */
static int encode(const struct encode_options *o)
{
    const char *input = o->input, *model = o->enc.model;
    long limit = o->limit, naive_n = o->naive_n, rounds = o->rounds;
    int prec = o->enc.precision;
    struct enc_options eo = ENC_OPTIONS_INIT;
    eo.batch_tokens = (size_t)o->batch_tokens;
    struct cli_encoder f32 = o->enc; /* the run at f32: the baseline of a reduced precision */
    f32.precision = ENC_F32;
    struct buf def = BUF_INIT;
    if (!input) {
        if (bench_data(o->data, "korsts/sts-dev.tsv", &def) < 0) return cli_fail(NULL);
        buf_puts(&def, "/korsts/sts-dev.tsv");
        input = def.data;
    }
    struct cli_texts t;
    int rt = read_texts(input, &t);
    buf_release(&def);
    if (rt < 0) return cli_fail(NULL);
    if (limit && (size_t)limit < t.n) {
        for (size_t i = (size_t)limit; i < t.n; i++) mem_free(t.text[i]);
        t.n = (size_t)limit;
    }
    /* 0. the reduced precision first (its peak RSS is its own) */
    float *pout = NULL;
    double p_sps = 0, p_load = 0, p_share = 0, p_conv = 0;
    double p_peak = 0, p_rss = 0;
    char scheme[16] = "";
    int hp_wi = 0;
    struct enc_int8_check chk = { 0 };
    if (prec != ENC_F32) {
        struct enc *pe = NULL;
        double t1 = now_sec();
        if (cli_encoder_create(&o->enc, &eo, &pe) < 0) {
            cli_texts_release(&t);
            return cli_fail(NULL);
        }
        p_load = now_sec() - t1;
        const char *sc = enc_int8_scheme(pe, &hp_wi);
        if (sc) snprintf(scheme, sizeof scheme, "%s", sc);
        const struct enc_int8_check *k = enc_int8_check(pe);
        if (k) chk = *k;
        pout = mem_alloc_array(t.n, (size_t)enc_dim(pe) * sizeof *pout);
        enc_encode(pe, (const char *const *)t.text, t.len, t.n < 64 ? t.n : 64, pout, NULL);
        mm_stats(NULL, NULL, 1);
        t1 = now_sec();
        if (enc_encode(pe, (const char *const *)t.text, t.len, t.n, pout, NULL) < 0) {
            enc_free(pe);
            cli_texts_release(&t);
            return cli_fail(NULL);
        }
        double w = now_sec() - t1, gs, cv;
        mm_stats(&gs, NULL, 1);
        mm_conv_stats(&cv, 1);
        p_conv = cv / w;
        p_sps = t.n / w;
        p_share = gs / w;
        p_peak = cli_peak_rss_mb();
        p_rss = cli_rss_mb();
        enc_free(pe);
    }
    struct enc *e = NULL;
    double t0 = now_sec();
    if (cli_encoder_create(&f32, &eo, &e) < 0) {
        cli_texts_release(&t);
        return cli_fail(NULL);
    }
    const struct model *m = enc_model(e);
    if (!m) {
        enc_free(e);
        cli_texts_release(&t);
        err_set(ERR_UNSUPPORTED, "'%s': bench encode needs a transformer model", model);
        return cli_fail(NULL);
    }
    int nt = (int)o->enc.threads;
#ifdef _OPENMP
    extern int omp_get_num_procs(void);
    if (!nt) nt = omp_get_num_procs();
#else
    if (!nt) nt = 1;
#endif
    printf("model %s\nthreads %d\nsentences %zu\nload_s %.3f\ngemm_backend %s\nonednn_isa %s\nelementwise_isa %s\n",
           model, nt, t.n, now_sec() - t0, mm_backend(), enc_isa(), ops_isa_name());
    size_t n = t.n;
    int D = enc_dim(e);
    float *out = mem_alloc_array(n, (size_t)D * sizeof *out);
    struct enc_item_info *info = mem_alloc_array(n, sizeof *info);
    /* 1. semindex, end to end (tokenization included), after one warm-up pass on a few texts */
    enc_encode(e, (const char *const *)t.text, t.len, n < 64 ? n : 64, out, info);
    mm_stats(NULL, NULL, 1);
    t0 = now_sec();
    if (enc_encode(e, (const char *const *)t.text, t.len, n, out, info) < 0) {
        enc_free(e);
        return cli_fail(NULL);
    }
    double wall = now_sec() - t0, gsec, gflop;
    mm_stats(&gsec, &gflop, 1);
    double tokens = 0, flops = 0;
    int maxlen = 0;
    for (size_t i = 0; i < n; i++) {
        tokens += info[i].n_tokens;
        flops += seq_flops(m, info[i].n_tokens);
        if (info[i].n_tokens > maxlen) maxlen = info[i].n_tokens;
    }
    double sps = n / wall;
    printf("tokens_per_sentence %.2f\nmax_tokens %d\nencode_s %.3f\nsentences_per_s %.2f\ntokens_per_s %.1f\n"
           "effective_gflops %.1f\ngemm_share %.3f\ngemm_gflops_in_run %.1f\npeak_rss_mb %.1f\nmodel_file_mb %.1f\n",
           tokens / n, maxlen, wall, sps, tokens / wall, flops / wall / 1e9, gsec / wall, gflop / gsec / 1e9,
           cli_peak_rss_mb(), model_bytes(m) / 1048576.0);
    if (prec != ENC_F32) {
        const char *pn = enc_precision_name(prec);
        double cmean, cmin;
        enc_cosine_stats(out, pout, n, D, &cmean, &cmin);
        float *fa = mem_alloc_array(n, (size_t)D * sizeof *fa);
        int *nf = mem_alloc_array(n, KNN * sizeof *nf), *np = mem_alloc_array(n, KNN * sizeof *np);
        memcpy(fa, out, n * (size_t)D * sizeof *fa);
        knn10(fa, n, D, nt, nf);
        knn10(pout, n, D, nt, np);
        double hit = 0, tot = 0;
        for (size_t i = 0; i < n; i++)
            for (int a = 0; a < KNN; a++) {
                if (nf[i * KNN + a] < 0) continue;
                tot++;
                for (int b = 0; b < KNN; b++)
                    if (np[i * KNN + b] == nf[i * KNN + a]) {
                        hit++;
                        break;
                    }
            }
        printf("precision %s\nprecision_native %s\n%s_load_s %.3f\n%s_sentences_per_s %.2f\n%s_speedup_vs_f32 %.2f\n"
               "%s_gemm_share %.3f\n%s_convert_share %.3f\n%s_mean_cos %.6f\n%s_min_cos %.6f\n%s_recall_at_10 %.4f\n%s_peak_rss_mb %.1f\n"
               "%s_rss_after_mb %.1f\n",
               pn, enc_precision_native(prec) ? "yes" : "no", pn, p_load, pn, p_sps, pn, p_sps / sps, pn, p_share, pn, p_conv, pn,
               cmean, pn, cmin, pn, tot ? hit / tot : 1.0, pn, p_peak, pn, p_rss);
        /* int8: the GEMM kinds (QKV, attention output, MLP input, MLP
         * output) and the layers whose MLP input the outlier rule made
         * high precision (docs/encoder.md) */
        if (*scheme) printf("int8_scheme %s\nint8_outlier_wi_layers %d\n", scheme, hp_wi);
        /* the load-time accuracy check that chose it: all-int8's cosines on
         * the check sentences, then (when it fell short) those with the
         * attention in high precision (kept if closer) */
        for (int i = 0; i < chk.tries; i++)
            printf("int8_check_%s_mean_cos %.6f\nint8_check_%s_min_cos %.6f\n", i ? "attention_hp" : "all_int8",
                   chk.mean_cos[i], i ? "attention_hp" : "all_int8", chk.min_cos[i]);
        mem_free(fa);
        mem_free(nf);
        mem_free(np);
        mem_free(pout);
        double cv;
        mm_conv_stats(&cv, 1);
        if (rounds && interleave(&o->enc, &eo, e, &t, (int)rounds) < 0) {
            enc_free(e);
            return cli_fail(NULL);
        }
    }
    fflush(stdout);
    if (prec != ENC_F32) {
        /* the f32 run of the same sentences is this comparison's baseline */
        mem_free(out);
        mem_free(info);
        enc_free(e);
        cli_texts_release(&t);
        return EXIT_OK;
    }
    /* 2. standalone GEMM at the model's shapes */
    const struct model_config *mc = &m->cfg;
    int H = mc->hidden, I = mc->intermediate, Mrows = 2048;
    int shapes[4][2] = { { 3 * H, H }, { H, H }, { mc->arch == MODEL_MODERNBERT ? 2 * I : I, H }, { H, I } };
    const float *ws[4] = { m->layers[0].wq, m->layers[0].wo, m->layers[0].wi, m->layers[0].wo2 };
    double best_w = 0, fl_w = 0, dn_w = 0, ob_w = 0;
    for (int s = 0; s < 4; s++) {
        if (mc->arch != MODEL_MODERNBERT && s == 0) continue; /* BERT: three [H, H] GEMMs instead */
        double dn = gemm_alone(0, Mrows, shapes[s][0], shapes[s][1], nt, ws[s]);
        double ob = gemm_alone(1, Mrows, shapes[s][0], shapes[s][1], nt, ws[s]);
        printf("gemm_%dx%dx%d onednn_gflops %.1f openblas_gflops %.1f\n", Mrows, shapes[s][0], shapes[s][1], dn, ob);
        double f = 2.0 * shapes[s][0] * shapes[s][1];
        fl_w += f;
        dn_w += f / dn;
        ob_w += f / ob;
    }
    mm_set_backend(0);
    /* flop-weighted harmonic mean = the rate of running the four shapes once each */
    double dn_mix = fl_w / dn_w, ob_mix = fl_w / ob_w;
    best_w = dn_mix > ob_mix ? dn_mix : ob_mix;
    printf("gemm_mix_onednn_gflops %.1f\ngemm_mix_openblas_gflops %.1f\ngemm_efficiency %.2f\n", dn_mix, ob_mix,
           gflop / gsec / 1e9 / best_w);
    fflush(stdout);
    /* 3. PyTorch-style padded batches of 32 through the same kernels */
    {
        size_t *order = mem_alloc_array(n, sizeof *order);
        struct tok_encoding *te = mem_calloc(n, sizeof *te);
        tok_encode_batch(enc_tokenizer(e), (const char *const *)t.text, t.len, n, 0, te, nt);
        for (size_t i = 0; i < n; i++) order[i] = i;
        /* sentence-transformers sorts by character length, longest first */
        for (size_t i = 1; i < n; i++)
            for (size_t j = i; j > 0 && t.len[order[j]] > t.len[order[j - 1]]; j--) {
                size_t x = order[j];
                order[j] = order[j - 1];
                order[j - 1] = x;
            }
        int32_t *pad = mem_alloc_array(32 * (size_t)m->max_seq_length, sizeof *pad);
        const int32_t *ids[32];
        size_t lens[32];
        float *o32 = mem_alloc_array(32, (size_t)D * sizeof *o32);
        double padded_tokens = 0;
        t0 = now_sec();
        for (size_t b = 0; b < n; b += 32) {
            size_t k = n - b < 32 ? n - b : 32, L = 0;
            for (size_t j = 0; j < k; j++)
                if (te[order[b + j]].n > L) L = te[order[b + j]].n;
            for (size_t j = 0; j < k; j++) {
                int32_t *row = pad + j * L;
                const struct tok_encoding *x = &te[order[b + j]];
                memcpy(row, x->ids, x->n * sizeof *row);
                for (size_t q = x->n; q < L; q++) row[q] = mc->pad_id;
                ids[j] = row;
                lens[j] = L;
            }
            padded_tokens += (double)k * L;
            enc_encode_ids(e, ids, lens, k, o32);
        }
        double pw = now_sec() - t0;
        printf("padded32_sentences_per_s %.2f\npadded32_padding_share %.3f\nspeedup_vs_padded32 %.2f\n", n / pw,
               1 - tokens / padded_tokens, sps / (n / pw));
        for (size_t i = 0; i < n; i++) tok_encoding_release(&te[i]);
        mem_free(te);
        mem_free(order);
        mem_free(pad);
        mem_free(o32);
        fflush(stdout);
    }
    /* 4. naive loops, one thread, first naive_n sentences */
    if (naive_n > 0) {
        size_t k = (size_t)naive_n < n ? (size_t)naive_n : n;
        mm_set_backend(2);
        t0 = now_sec();
        enc_encode(e, (const char *const *)t.text, t.len, k, out, info);
        double nw = now_sec() - t0;
        mm_set_backend(0);
        printf("naive_sentences %zu\nnaive_sentences_per_s %.3f\nspeedup_vs_naive %.1f\n", k, k / nw,
               sps / (k / nw));
    }
    mem_free(out);
    mem_free(info);
    enc_free(e);
    cli_texts_release(&t);
    return EXIT_OK;
}

int bench_encode(int argc, char **argv)
{
    struct encode_options o = { .naive_n = 8 };
    int first, rc = opts_parse(&encode_cmd, &o, argc, argv, &first);
    if (rc != OPTS_CONTINUE) return rc;
    if (o.rounds && o.enc.precision == ENC_F32) rc = opts_error(&encode_cmd, "--interleave needs --precision bf16 or int8");
    else rc = encode(&o);
    opts_release(&encode_cmd, &o);
    return rc;
}
