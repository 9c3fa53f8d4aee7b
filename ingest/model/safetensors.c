/*
 * safetensors.c - validating safetensors reader (see safetensors.h for the
 * layout). Nothing is trusted: every length, offset and shape from the file is
 * checked against the file size before any tensor byte is touched.
 */
#include "ingest/model/safetensors.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "common/buf.h"
#include "common/err.h"
#include "common/fsutil.h"
#include "common/hash.h"
#include "common/json.h"
#include "common/mem.h"

struct st_file {
    char *path;
    struct fs_map map;
    int mapped;          /* 1 when map must be unmapped on close */
};

struct st_set {
    struct st_file *files;
    int n_files;
    struct st_tensor *t; /* sorted by name after loading */
    size_t n, cap;
};

static const struct {
    const char *name;
    size_t size;
} dtypes[ST_N_DTYPES] = {
    [ST_F32] = { "F32", 4 },   [ST_F16] = { "F16", 2 },   [ST_BF16] = { "BF16", 2 },
    [ST_F64] = { "F64", 8 },   [ST_I64] = { "I64", 8 },   [ST_I32] = { "I32", 4 },
    [ST_I16] = { "I16", 2 },   [ST_I8] = { "I8", 1 },     [ST_U8] = { "U8", 1 },
    [ST_U16] = { "U16", 2 },   [ST_U32] = { "U32", 4 },   [ST_U64] = { "U64", 8 },
    [ST_BOOL] = { "BOOL", 1 }, [ST_F8_E4M3] = { "F8_E4M3", 1 }, [ST_F8_E5M2] = { "F8_E5M2", 1 },
};

const char *st_dtype_name(enum st_dtype d) { return (unsigned)d < ST_N_DTYPES ? dtypes[d].name : "?"; }

float st_f16_to_f32(uint16_t h)
{
    uint32_t sign = (uint32_t)(h & 0x8000) << 16, exp = (h >> 10) & 0x1f, man = h & 0x3ff, bits;
    if (exp == 0x1f) {
        bits = sign | 0x7f800000u | (man << 13);           /* inf / nan */
    } else if (exp != 0) {
        bits = sign | ((exp + 112) << 23) | (man << 13);    /* normal */
    } else if (man == 0) {
        bits = sign;                                        /* zero */
    } else {                                                /* subnormal: normalise */
        int e = -1;
        do { man <<= 1; e++; } while (!(man & 0x400));
        bits = sign | ((uint32_t)(112 - e) << 23) | ((man & 0x3ff) << 13);
    }
    float f;
    memcpy(&f, &bits, 4);
    return f;
}

float st_bf16_to_f32(uint16_t h)
{
    uint32_t bits = (uint32_t)h << 16;
    float f;
    memcpy(&f, &bits, 4);
    return f;
}

static int add_tensor(struct st_set *s, struct st_tensor *t)
{
    FORWARD_ERR(MEM_GROW(s->t, s->n + 1, s->cap));
    s->t[s->n++] = *t;
    return 0;
}

struct span { uint64_t b, e; size_t i; };

static int cmp_span(const void *a, const void *b)
{
    const struct span *x = a, *y = b;
    return x->b < y->b ? -1 : x->b > y->b ? 1 : (x->e < y->e ? -1 : x->e > y->e);
}

static int cmp_tensor(const void *a, const void *b)
{
    return strcmp(((const struct st_tensor *)a)->name, ((const struct st_tensor *)b)->name);
}

/* parse_entry: validate one header entry and fill t (name not set). */
static int parse_entry(const char *fname, const char *key, json_t *v, uint64_t data_size,
                       const uint8_t *data, struct st_tensor *t, uint64_t *b_out, uint64_t *e_out)
{
    if (!json_is_object(v)) return err_set(ERR_FORMAT, "'%s': tensor '%s': entry is not an object", fname, key);
    json_t *dt = json_object_get(v, "dtype"), *sh = json_object_get(v, "shape"),
           *off = json_object_get(v, "data_offsets");
    if (!json_is_string(dt)) return err_set(ERR_FORMAT, "'%s': tensor '%s': missing dtype", fname, key);
    int d = -1;
    for (int i = 0; i < ST_N_DTYPES; i++)
        if (!strcmp(json_string_value(dt), dtypes[i].name)) d = i;
    if (d < 0)
        return err_set(ERR_FORMAT, "'%s': tensor '%s': unknown dtype '%s'", fname, key, json_string_value(dt));
    if (!json_is_array(sh) || json_array_size(sh) > ST_MAX_DIMS)
        return err_set(ERR_FORMAT, "'%s': tensor '%s': shape must be an array of at most %d integers",
                       fname, key, ST_MAX_DIMS);
    uint64_t count = 1;
    int overflow = 0;
    t->ndim = (int)json_array_size(sh);
    for (int i = 0; i < t->ndim; i++) {
        json_t *x = json_array_get(sh, (size_t)i);
        if (!json_is_integer(x) || json_integer_value(x) < 0)
            return err_set(ERR_FORMAT, "'%s': tensor '%s': shape[%d] is not a non-negative integer", fname, key, i);
        t->shape[i] = json_integer_value(x);
        if (__builtin_mul_overflow(count, (uint64_t)t->shape[i], &count)) overflow = 1;
    }
    uint64_t bytes;
    if (overflow || __builtin_mul_overflow(count, (uint64_t)dtypes[d].size, &bytes))
        return err_set(ERR_FORMAT, "'%s': tensor '%s': shape is too large", fname, key);
    if (!json_is_array(off) || json_array_size(off) != 2 || !json_is_integer(json_array_get(off, 0)) ||
        !json_is_integer(json_array_get(off, 1)))
        return err_set(ERR_FORMAT, "'%s': tensor '%s': data_offsets must be [begin, end]", fname, key);
    json_int_t b = json_integer_value(json_array_get(off, 0)), e = json_integer_value(json_array_get(off, 1));
    if (b < 0 || e < b || (uint64_t)e > data_size)
        return err_set(ERR_FORMAT,
                       "'%s': tensor '%s': data_offsets [%lld, %lld] outside the data area (%llu bytes)",
                       fname, key, (long long)b, (long long)e, (unsigned long long)data_size);
    if ((uint64_t)(e - b) != bytes)
        return err_set(ERR_FORMAT, "'%s': tensor '%s': %s shape needs %llu bytes but data_offsets span %lld",
                       fname, key, dtypes[d].name, (unsigned long long)bytes, (long long)(e - b));
    t->dtype = (enum st_dtype)d;
    t->data = data + b;
    t->nbytes = (size_t)bytes;
    *b_out = (uint64_t)b;
    *e_out = (uint64_t)e;
    return 0;
}

/* parse_file: validate the image of file number fi and append its tensors. */
static int parse_file(struct st_set *s, int fi, const uint8_t *p, size_t size, const char *fname)
{
    if (size < 8) return err_set(ERR_FORMAT, "'%s': file too short for a safetensors header (%zu bytes)", fname, size);
    uint64_t n = 0;
    for (int i = 7; i >= 0; i--) n = (n << 8) | p[i];
    if (n > size - 8)
        return err_set(ERR_FORMAT, "'%s': header length %llu is beyond the end of the file (%zu bytes)", fname,
                       (unsigned long long)n, size);
    if (n > (100u << 20)) return err_set(ERR_FORMAT, "'%s': header length %llu is too large", fname, (unsigned long long)n);
    json_error_t je;
    json_t *h = json_loadb((const char *)p + 8, (size_t)n, JSON_REJECT_DUPLICATES, &je);
    if (!h) return err_set(ERR_FORMAT, "'%s': malformed header JSON: %s at column %d", fname, je.text, je.column);
    if (!json_is_object(h)) {
        json_decref(h);
        return err_set(ERR_FORMAT, "'%s': header is not a JSON object", fname);
    }
    uint64_t data_size = size - 8 - n;
    const uint8_t *data = p + 8 + n;
    size_t n_spans = json_object_size(h), k = 0;
    struct span *sp = mem_alloc_array(n_spans ? n_spans : 1, sizeof *sp);
    int rc = sp ? 0 : err_nomem();
    const char *key;
    json_t *v;
    json_object_foreach(h, key, v) {
        if (rc < 0) break;
        if (!strcmp(key, "__metadata__")) {
            if (!json_is_object(v)) rc = err_set(ERR_FORMAT, "'%s': __metadata__ is not an object", fname);
            continue;
        }
        struct st_tensor t = { 0 };
        uint64_t b = 0, e = 0;
        rc = parse_entry(fname, key, v, data_size, data, &t, &b, &e);
        if (rc < 0) break;
        t.file = fi;
        if (!(t.name = mem_strdup(key))) { rc = err_nomem(); break; }
        if ((rc = add_tensor(s, &t)) < 0) { mem_free((char *)t.name); break; }
        sp[k++] = (struct span){ b, e, s->n - 1 };
    }
    if (rc == 0 && k > 1) {
        qsort(sp, k, sizeof *sp, cmp_span);
        size_t last = k; /* the non-empty span reaching furthest so far */
        for (size_t i = 0; i < k && rc == 0; i++) {
            if (sp[i].e == sp[i].b) continue;
            if (last < k && sp[i].b < sp[last].e)
                rc = err_set(ERR_FORMAT, "'%s': tensors '%s' and '%s' overlap (bytes %llu..%llu and %llu..%llu)",
                             fname, s->t[sp[last].i].name, s->t[sp[i].i].name, (unsigned long long)sp[last].b,
                             (unsigned long long)sp[last].e, (unsigned long long)sp[i].b,
                             (unsigned long long)sp[i].e);
            if (last == k || sp[i].e > sp[last].e) last = i;
        }
    }
    mem_free(sp);
    json_decref(h);
    return rc;
}

static int add_file(struct st_set *s, const char *path)
{
    struct st_file *f = mem_realloc(s->files, (size_t)(s->n_files + 1) * sizeof *f);
    if (!f) return err_nomem();
    s->files = f;
    f = &s->files[s->n_files];
    memset(f, 0, sizeof *f);
    if (!(f->path = mem_strdup(path))) return err_nomem();
    s->n_files++;
    int rc = fs_map_open(&f->map, path);
    if (rc < 0) return rc;
    f->mapped = 1;
    return parse_file(s, s->n_files - 1, f->map.data, f->map.size, path);
}

static int finish(struct st_set *s)
{
    if (s->n > 1) qsort(s->t, s->n, sizeof *s->t, cmp_tensor);
    for (size_t i = 1; i < s->n; i++)
        if (!strcmp(s->t[i].name, s->t[i - 1].name))
            return err_set(ERR_FORMAT, "'%s': tensor '%s' is stored twice (also in '%s')",
                           s->files[s->t[i].file].path, s->t[i].name, s->files[s->t[i - 1].file].path);
    return 0;
}

static int open_sharded(struct st_set *s, const char *dir, const char *index_path)
{
    json_t *idx;
    FORWARD_ERR(json_load_path(index_path, 64u << 20, &idx));
    json_t *wm = json_object_get(idx, "weight_map");
    int rc = 0;
    struct buf p = BUF_INIT;
    if (!json_is_object(wm)) {
        rc = err_set(ERR_FORMAT, "'%s': missing object 'weight_map'", index_path);
        goto out;
    }
    const char *key;
    json_t *v;
    /* open every distinct shard once */
    json_object_foreach(wm, key, v) {
        if (!json_is_string(v)) {
            rc = err_set(ERR_FORMAT, "'%s': weight_map entry '%s' is not a string", index_path, key);
            goto out;
        }
        const char *fn = json_string_value(v);
        if (strchr(fn, '/') || !strcmp(fn, "..") || !*fn) {
            rc = err_set(ERR_FORMAT, "'%s': shard name '%s' must be a plain file name", index_path, fn);
            goto out;
        }
        if ((rc = fs_join(&p, dir, fn)) < 0) goto out;
        int seen = 0;
        for (int i = 0; i < s->n_files; i++)
            if (!strcmp(s->files[i].path, p.data)) seen = 1;
        if (!seen && (rc = add_file(s, p.data)) < 0) goto out;
    }
    if ((rc = finish(s)) < 0) goto out;
    /* every tensor the index names must be in the shard it names */
    json_object_foreach(wm, key, v) {
        const struct st_tensor *t = st_find(s, key);
        if ((rc = fs_join(&p, dir, json_string_value(v))) < 0) goto out;
        if (!t || strcmp(s->files[t->file].path, p.data) != 0) {
            rc = err_set(ERR_FORMAT, "'%s': tensor '%s' is missing from shard '%s'", index_path, key, p.data);
            goto out;
        }
    }
out:
    buf_release(&p);
    json_decref(idx);
    return rc;
}

int st_open(const char *path, struct st_set **out)
{
    *out = NULL;
    struct st_set *s = mem_calloc(1, sizeof *s);
    if (!s) return err_nomem();
    struct buf p = BUF_INIT;
    int rc;
    if (fs_is_dir(path)) {
        if ((rc = fs_join(&p, path, "model.safetensors.index.json")) < 0) goto fail;
        if (fs_exists(p.data)) {
            rc = open_sharded(s, path, p.data);
        } else {
            if ((rc = fs_join(&p, path, "model.safetensors")) < 0) goto fail;
            if (!fs_exists(p.data)) {
                rc = err_set(ERR_NOTFOUND, "'%s': no model.safetensors or model.safetensors.index.json", path);
                goto fail;
            }
            if ((rc = add_file(s, p.data)) == 0) rc = finish(s);
        }
    } else {
        if ((rc = add_file(s, path)) == 0) rc = finish(s);
    }
    if (rc < 0) goto fail;
    buf_release(&p);
    *out = s;
    return 0;
fail:
    buf_release(&p);
    st_close(s);
    return rc;
}

int st_parse(const void *data, size_t size, const char *name, struct st_set **out)
{
    *out = NULL;
    struct st_set *s = mem_calloc(1, sizeof *s);
    if (!s) return err_nomem();
    int rc = 0;
    if (!(s->files = mem_calloc(1, sizeof *s->files)) || !(s->files[0].path = mem_strdup(name)))
        rc = err_nomem();
    else {
        s->n_files = 1;
        rc = parse_file(s, 0, data, size, name);
        if (rc == 0) rc = finish(s);
    }
    if (rc < 0) {
        st_close(s);
        return rc;
    }
    *out = s;
    return 0;
}

void st_close(struct st_set *s)
{
    if (!s) return;
    for (size_t i = 0; i < s->n; i++) mem_free((char *)s->t[i].name);
    mem_free(s->t);
    for (int i = 0; i < s->n_files; i++) {
        if (s->files[i].mapped) fs_map_close(&s->files[i].map);
        mem_free(s->files[i].path);
    }
    mem_free(s->files);
    mem_free(s);
}

size_t st_count(const struct st_set *s) { return s->n; }
const struct st_tensor *st_at(const struct st_set *s, size_t i) { return i < s->n ? &s->t[i] : NULL; }
const char *st_file_name(const struct st_set *s, const struct st_tensor *t) { return s->files[t->file].path; }

const struct st_tensor *st_find(const struct st_set *s, const char *name)
{
    size_t lo = 0, hi = s->n;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        int c = strcmp(s->t[mid].name, name);
        if (c == 0) return &s->t[mid];
        if (c < 0) lo = mid + 1;
        else hi = mid;
    }
    return NULL;
}

static void shape_str(char *out, size_t n, int ndim, const int64_t *shape)
{
    size_t k = 0;
    k += (size_t)snprintf(out + k, n - k, "[");
    for (int i = 0; i < ndim && k < n; i++) k += (size_t)snprintf(out + k, n - k, i ? ", %lld" : "%lld", (long long)shape[i]);
    if (k < n) snprintf(out + k, n - k, "]");
}

int st_get_f32(const struct st_set *s, const char *name, int ndim, const int64_t *shape, const float **data,
               float **owned)
{
    *data = NULL;
    *owned = NULL;
    const struct st_tensor *t = st_find(s, name);
    if (!t) {
        const char *where = s->n_files == 1 ? s->files[0].path : "the checkpoint";
        return err_set(ERR_NOTFOUND, "'%s': missing tensor '%s'", where, name);
    }
    int same = t->ndim == ndim;
    for (int i = 0; same && i < ndim; i++) same = t->shape[i] == shape[i];
    if (!same) {
        char a[128], b[128];
        shape_str(a, sizeof a, t->ndim, t->shape);
        shape_str(b, sizeof b, ndim, shape);
        return err_set(ERR_FORMAT, "'%s': tensor '%s' has shape %s, config.json implies %s",
                       s->files[t->file].path, name, a, b);
    }
    if (t->dtype != ST_F32 && t->dtype != ST_F16 && t->dtype != ST_BF16)
        return err_set(ERR_FORMAT, "'%s': tensor '%s' has dtype %s (expected F32, F16 or BF16)",
                       s->files[t->file].path, name, dtypes[t->dtype].name);
    size_t count = t->nbytes / dtypes[t->dtype].size;
    if (t->dtype == ST_F32 && ((uintptr_t)t->data & 3) == 0) {
        *data = t->data;
        return 0;
    }
    float *f = mem_alloc_array(count ? count : 1, sizeof *f);
    if (!f) return err_set(ERR_NOMEM, "out of memory for tensor '%s' (%zu values)", name, count);
    const uint8_t *p = t->data;
    for (size_t i = 0; i < count; i++) {
        if (t->dtype == ST_F32) {
            memcpy(&f[i], p + 4 * i, 4);
        } else {
            uint16_t h = (uint16_t)(p[2 * i] | (p[2 * i + 1] << 8));
            f[i] = t->dtype == ST_F16 ? st_f16_to_f32(h) : st_bf16_to_f32(h);
        }
    }
    *data = f;
    *owned = f;
    return 0;
}

void st_hash(const struct st_set *s, struct hash_stream *h)
{
    for (size_t i = 0; i < s->n; i++) {
        const struct st_tensor *t = &s->t[i];
        hash_stream_update(h, t->name, strlen(t->name) + 1);
        int32_t meta[2 + ST_MAX_DIMS] = { (int32_t)t->dtype, t->ndim };
        for (int d = 0; d < t->ndim; d++) meta[2 + d] = (int32_t)t->shape[d];
        hash_stream_update(h, meta, sizeof meta);
        hash_stream_update(h, t->data, t->nbytes);
    }
}
