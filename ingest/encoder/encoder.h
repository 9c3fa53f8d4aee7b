/*
 * encoder.h - sentence embeddings: a sentence-transformers model directory
 * run in C exactly as SentenceTransformer.encode() runs it, or the built-in
 * lexical encoder "builtin:ngram".
 *
 * enc_create() loads the model as it was saved (modules.json, config.json,
 * model.safetensors, 1_Pooling, Dense, Normalize; see docs/formats.md) or,
 * for the name "builtin:ngram", a character n-gram hashing encoder that needs
 * no files (lexical, not semantic). enc_encode() strips and tokenizes the
 * texts, sorts them by length, forms batches by token budget, runs the
 * forward pass and the sentence-transformers head, and writes one row of
 * enc_dim() floats per text in input order.
 *
 *     struct enc_options o = ENC_OPTIONS_INIT;
 *     struct enc *e;
 *     if (enc_create("models/ko-sts", &o, &e) < 0) die(err_msg());
 *     float *v = malloc(n * enc_dim(e) * sizeof *v);
 *     enc_encode(e, texts, lens, n, v, NULL);
 *     enc_free(e);
 *
 * Threading: one enc is used by one thread at a time (it owns its workspace
 * and runs one OpenMP team of n_threads inside enc_encode); create one per
 * thread that encodes. The model weights are shared read-only (mmap).
 */
#ifndef SEMINDEX_ENCODER_H
#define SEMINDEX_ENCODER_H

#include <stddef.h>
#include <stdint.h>

struct enc;
struct tok;

/* Precision of the transformer's Linear layers (docs/encoder.md). f32 is
 * exact; bf16 and int8 convert the layer weights once at load and the GEMM
 * inputs at each call; embeddings, LayerNorm, attention, pooling and the
 * Dense head stay f32. The builtin encoder ignores it (always f32). */
enum enc_precision { ENC_F32 = 0, ENC_BF16 = 1, ENC_INT8 = 2 };

struct enc_options {
    int n_threads;        /* OpenMP threads; 0 = all cores */
    size_t batch_tokens;  /* token budget per forward batch; 0 = default (8192) */
    int normalize;        /* L2-normalize outputs even without a Normalize module */
    int precision;        /* enum enc_precision; 0 = f32 */
};
#define ENC_OPTIONS_INIT { 0, 0, 0, 0 }

/* enc_precision_parse: "f32", "bf16" or "int8" -> *out; ERR_INVALID otherwise. */
int enc_precision_parse(const char *s, int *out);
/* enc_precision_name: the name of an enum enc_precision value. */
const char *enc_precision_name(int precision);
/* enc_precision_native: 1 when this CPU has native instructions for the
 * precision (AVX512_BF16 for bf16; VNNI for int8, whose attention GEMMs
 * are bf16 only where bf16 is fast, which has it); otherwise it still runs,
 * more slowly. enc_isa: the instruction set oneDNN chose.
 * enc_bf16_faster: 1 where bf16 GEMMs are taken to beat f32 ones, by the
 * CPU alone: AMX, or AVX512_BF16 on AMD (mm_bf16_fast; docs/encoder.md,
 * "int8 scheme"). */
int enc_precision_native(int precision);
int enc_bf16_faster(void);
const char *enc_isa(void);

#define ENC_BUILTIN_NGRAM "builtin:ngram"

/* The int8 accuracy check at load (docs/encoder.md, "int8 scheme"): the
 * model's built-in check sentences embedded at f32 and with the packed
 * weights. Try 0 is all-int8; try 1 (only when try 0 fell short of the
 * check's margin) puts the attention GEMMs in the high precision, kept only
 * if that cuts 1 - mean cos by a quarter or more. met: the scheme kept is within the int8
 * accuracy bounds (mean cos >= 0.9999, min >= 0.999) on those sentences;
 * when it is not, a caller should say so (--precision bf16 is the choice). */
struct enc_int8_check {
    int tries;              /* 1 or 2 */
    double mean_cos[2], min_cos[2];
    int kept;               /* the try whose scheme was kept */
    int met;
};
/* enc_cosine_stats: mean and minimum cosine between the rows of a and b
 * (n rows of dim floats each; two zero rows count 1, one zero row 0): how a
 * reduced precision is measured against f32, by the int8 check and by
 * bench encode alike. */
void enc_cosine_stats(const float *a, const float *b, size_t n, int dim, double *mean, double *min);
/* enc_int8_check: e's check, or NULL (another precision, no transformer,
 * or SEMINDEX_INT8_SIM set, which skips it). Borrowed. */
const struct enc_int8_check *enc_int8_check(const struct enc *e);

/* Per-text facts filled by enc_encode when info != NULL. */
struct enc_item_info {
    int32_t n_tokens;     /* tokens fed to the model (special tokens included) */
    uint8_t truncated;    /* the text was cut to max_seq_length */
};

/* enc_create: load a model directory or a builtin name. Errors: ERR_NOTFOUND,
 * ERR_FORMAT (hostile or inconsistent files, message names file and tensor),
 * ERR_UNSUPPORTED (unknown module or architecture, named), ERR_NOMEM. */
int enc_create(const char *model, const struct enc_options *opt, struct enc **out);
void enc_free(struct enc *e);

int enc_dim(const struct enc *e);
/* enc_precision: the precision e computes at (ENC_F32 for builtin encoders). */
int enc_precision(const struct enc *e);
/* enc_name: the model as given to enc_create (borrowed). */
const char *enc_name(const struct enc *e);
/* enc_fingerprint: 32 hex digits, a hash of the model's config and weights
 * (stable across copies of the same model directory). Borrowed. */
const char *enc_fingerprint(const struct enc *e);
/* enc_tokenizer: the model's tokenizer, or NULL for builtin encoders. Borrowed. */
const struct tok *enc_tokenizer(const struct enc *e);
/* enc_max_seq_length: truncation length, 0 if none. */
int enc_max_seq_length(const struct enc *e);

/* enc_encode: embed n texts into out[n * enc_dim]. Texts are UTF-8 (invalid
 * bytes -> U+FFFD) and are stripped with Python str.strip() first. Returns 0
 * or a negative error; info (optional) gets n entries. */
int enc_encode(struct enc *e, const char *const *texts, const size_t *lens, size_t n, float *out,
               struct enc_item_info *info);

/* enc_encode_ids: embed n already-tokenized inputs (ids[i][0..n_ids[i]),
 * special tokens included, at most enc_max_seq_length each) into
 * out[n * enc_dim]. Transformer models only. Returns 0 or ERR_INVALID (an id
 * outside the vocabulary, an empty or too long input), ERR_UNSUPPORTED. */
int enc_encode_ids(struct enc *e, const int32_t *const *ids, const size_t *n_ids, size_t n, float *out);

#endif
