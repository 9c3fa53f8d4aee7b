/*
 * pack.h - the transformer's Linear weights at bf16 or int8, packed once at
 * load (internal to the encoder: encoder.c calls it from enc_create).
 *
 * pack_weights() packs every layer's Linear weights (ModernBERT: Wqkv, Wo,
 * Wi, mlp.Wo; BERT / XLM-R: Q, K, V, attention output, intermediate,
 * output) into ws->packed at p->precision and gives the f32 copies' pages
 * back. At int8 it first picks the scheme, which GEMM kinds are int8 and
 * which stay in the high precision (bf16 where bf16 GEMMs are fast, else
 * f32), by the accuracy check: the built-in check sentences embedded
 * (p->embed) at f32 before packing and again after, all-int8 first
 * (docs/encoder.md, "int8 scheme"). SEMINDEX_INT8_SIM names a scheme
 * instead and skips the check.
 *
 *     struct packer p = { m, &ws, ENC_INT8, name, dim, embed, ctx, &result };
 *     if (pack_weights(&p) < 0) ...   // err_msg() names the model and layer
 *
 * A pure function of the weights and the CPU: the same model on the same
 * machine always gets the same packing.
 */
#ifndef SEMINDEX_PACK_H
#define SEMINDEX_PACK_H

#include <stddef.h>

#include "ingest/encoder/encoder.h"
#include "ingest/encoder/forward.h"

struct model;

/* embed n texts into out[n * dim] with the weights as they are now
 * (nothing packed yet: f32); 0 or a negative error */
typedef int (*pack_embed_fn)(void *ctx, const char *const *texts, const size_t *lens, size_t n, float *out);

struct pack_result {
    char scheme[16];              /* int8: the four GEMM kinds' letters, as SEMINDEX_INT8_SIM spells them */
    int hp_wi;                    /* int8: MLP input GEMMs made high precision by the outlier rule */
    struct enc_int8_check check;  /* int8: the accuracy check (tries 0: not run) */
};

struct packer {
    struct model *m;              /* its layer weight pointers are cleared as they are dropped */
    struct fwd_ws *ws;            /* gets packed[] and the reduced-precision buffers */
    int precision;                /* ENC_BF16 or ENC_INT8 */
    const char *name;             /* the model, for errors */
    int dim;                      /* embedding width of embed's rows */
    pack_embed_fn embed;
    void *ctx;
    struct pack_result *r;
};

int pack_weights(struct packer *p);

#endif
