/*
 * safetensors.h - read-only, mmap'ed safetensors checkpoints (single file or
 * sharded through model.safetensors.index.json).
 *
 * File layout (all little-endian):
 *
 *     u64  N                      header length in bytes
 *     u8   header[N]              JSON object, padded with spaces:
 *                                 { "__metadata__": {str: str, ...},     (optional)
 *                                   name: { "dtype": "F32" | "F16" | "BF16" | ...,
 *                                           "shape": [d0, d1, ...],
 *                                           "data_offsets": [begin, end] }, ... }
 *     u8   data[]                 tensor bytes; offsets are relative to data[0]
 *
 * Every tensor is validated when the file is opened: the header must fit in
 * the file and be a JSON object, each entry must have a known dtype, a shape
 * of non-negative integers whose byte size equals end - begin (overflow
 * checked), offsets inside the data area, and no two tensors may overlap.
 * Anything else is ERR_FORMAT with a message naming the file and the tensor.
 *
 *     struct st_set *st;
 *     if (st_open("model/", &st) < 0) die(err_msg());
 *     const float *w; float *owned;
 *     int64_t shape[2] = { 768, 768 };
 *     if (st_get_f32(st, "layers.0.attn.Wo.weight", 2, shape, &w, &owned) < 0) ...
 *     ... use w ...; mem_free(owned); st_close(st);
 *
 * F32 tensors are returned in place (pointers into the mapping, *owned NULL)
 * when suitably aligned; F16 and BF16 are converted exactly into a new
 * buffer the caller frees. An st_set is immutable after opening.
 */
#ifndef SEMINDEX_SAFETENSORS_H
#define SEMINDEX_SAFETENSORS_H

#include <stddef.h>
#include <stdint.h>

#define ST_MAX_DIMS 8

enum st_dtype {
    ST_F32, ST_F16, ST_BF16, ST_F64, ST_I64, ST_I32, ST_I16, ST_I8, ST_U8, ST_U16, ST_U32, ST_U64,
    ST_BOOL, ST_F8_E4M3, ST_F8_E5M2, ST_N_DTYPES
};

struct st_tensor {
    const char *name;
    enum st_dtype dtype;
    int ndim;
    int64_t shape[ST_MAX_DIMS];
    const void *data;     /* inside the mapping */
    size_t nbytes;
    int file;             /* index into the set's files (for messages) */
};

struct st_set;
struct hash_stream;

/* st_open: path is a .safetensors file, or a directory holding
 * model.safetensors.index.json (sharded) or model.safetensors. */
int st_open(const char *path, struct st_set **out);

/* st_parse: validate an in-memory safetensors image (the fuzz entry point);
 * name is used in messages. The buffer must outlive the set. */
int st_parse(const void *data, size_t size, const char *name, struct st_set **out);
void st_close(struct st_set *s);

size_t st_count(const struct st_set *s);
const struct st_tensor *st_at(const struct st_set *s, size_t i);
/* st_find: the tensor called name, or NULL. */
const struct st_tensor *st_find(const struct st_set *s, const char *name);
/* st_file_name: the file a tensor lives in (for messages). */
const char *st_file_name(const struct st_set *s, const struct st_tensor *t);
const char *st_dtype_name(enum st_dtype d);

/* st_get_f32: the tensor as float32, checking that it exists (ERR_NOTFOUND),
 * is F32/F16/BF16 and has exactly the given shape (ERR_FORMAT, naming file,
 * tensor, found and expected). *owned is NULL when *data points into the
 * mapping, else the buffer to mem_free. */
int st_get_f32(const struct st_set *s, const char *name, int ndim, const int64_t *shape,
               const float **data, float **owned);

/* st_hash: feed every tensor (name, dtype, shape, bytes) to h in name order. */
void st_hash(const struct st_set *s, struct hash_stream *h);

/* half-precision conversion (exact). */
float st_f16_to_f32(uint16_t h);
float st_bf16_to_f32(uint16_t h);

#endif
