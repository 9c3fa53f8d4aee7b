/*
 * encoder_internal.h - for benchmarks and tests only: what they see beyond
 * encoder.h. Not part of the library's API (semindex.h does not include
 * it). The benchmarks (bench/) reach the encoder through encoder.h and this
 * header only; the kernels' own unit tests include kernels/kernels.h.
 *
 *   - enc_encode_debug: the pooled vectors, the last hidden state and every
 *     layer's hidden state of an encode (for comparison with the golden
 *     files), with the same batching and forward code as enc_encode_ids;
 *   - enc_model: the loaded weights and config (FLOP counts, GEMM shapes);
 *   - enc_int8_scheme: how an int8 encoder packed its GEMMs;
 *   - the kernels (kernels/kernels.h): the GEMM backend switch and its time
 *     and flop counters (mm_set_backend, mm_stats, mm_conv_stats), mm_xwt
 *     itself and the instruction set of the row kernels (ops_isa_name).
 */
#ifndef SEMINDEX_ENCODER_INTERNAL_H
#define SEMINDEX_ENCODER_INTERNAL_H

#include "ingest/encoder/encoder.h"
#include "ingest/encoder/forward.h"
#include "ingest/encoder/kernels/kernels.h"

struct model;

struct enc_debug {
    fwd_hook hook;     /* every hidden state (one input only) */
    void *hook_ctx;
    float *tokens;     /* [n_ids, hidden] last hidden state (one input only) */
    float *pooled;     /* [n, pool.out_dim] Pooling output, input order */
};

int enc_encode_debug(struct enc *e, const int32_t *const *ids, const size_t *n_ids, size_t n, float *out,
                     const struct enc_debug *dbg);

/* enc_model: the loaded model (NULL for builtin encoders). */
const struct model *enc_model(const struct enc *e);

/* enc_int8_scheme: an int8 encoder's GEMM kinds as SEMINDEX_INT8_SIM spells
 * them ("f,f,i,i"; NULL at another precision); *hp_wi (if not NULL) the
 * number of layers whose MLP input GEMM the outlier rule moved to the high
 * precision (the letter of the first two fields). */
const char *enc_int8_scheme(const struct enc *e, int *hp_wi);

#endif
