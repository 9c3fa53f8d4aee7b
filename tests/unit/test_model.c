/*
 * test_model.c - the safetensors reader and the model directory loader on
 * hostile and unusual input: truncated and oversized headers, malformed
 * JSON, out-of-range and overlapping offsets, wrong dtypes and shapes,
 * missing tensors, unknown architectures and modules (each must be a clear
 * error, never a crash); sharded checkpoints; every pooling mode and Dense
 * activation against values computed here from the model's own outputs.
 */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/err.h"
#include "common/fsutil.h"
#include "common/json.h"
#include "common/mem.h"
#include "ingest/encoder/encoder.h"
#include "ingest/encoder/encoder_internal.h"
#include "ingest/model/model.h"
#include "ingest/model/safetensors.h"
#include "tests/check.h"

/* st_image: 8-byte length + header + data into a malloc'ed buffer. */
static unsigned char *st_image(const char *hdr, const void *data, size_t dn, size_t *n)
{
    size_t hn = strlen(hdr);
    *n = 8 + hn + dn;
    unsigned char *p = malloc(*n);
    for (int i = 0; i < 8; i++) p[i] = (unsigned char)((uint64_t)hn >> (8 * i));
    memcpy(p + 8, hdr, hn);
    if (dn) memcpy(p + 8 + hn, data, dn);
    return p;
}

static int parse_str(const char *hdr, size_t dn)
{
    unsigned char zero[64] = { 0 };
    size_t n;
    unsigned char *p = st_image(hdr, zero, dn, &n);
    struct st_set *s = NULL;
    int rc = st_parse(p, n, "x.safetensors", &s);
    st_close(s);
    free(p);
    return rc;
}

#define CHECK_ERR(expr, code, needle)                                                    \
    do {                                                                                 \
        int r_ = (expr);                                                                 \
        CHECK_INT(r_, code);                                                             \
        if (r_ < 0 && !strstr(err_msg(), needle)) T_FAIL("message '%s' lacks '%s'", err_msg(), needle); \
    } while (0)

/* TENSOR: one safetensors header entry,
 * "name": {"dtype": "..", "shape": [..], "data_offsets": [..]} */
#define TENSOR(name, dtype, shape, offsets) \
    "\"" name "\": {\"dtype\": \"" dtype "\", \"shape\": " shape ", \"data_offsets\": " offsets "}"

static void test_hostile_safetensors(void)
{
    struct st_set *s = NULL;
    unsigned char small[4] = { 1, 2, 3, 4 };
    CHECK_ERR(st_parse(small, 4, "x.safetensors", &s), ERR_FORMAT, "too short");
    unsigned char huge[16] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f, '{', '}' };
    CHECK_ERR(st_parse(huge, sizeof huge, "x.safetensors", &s), ERR_FORMAT, "beyond the end");
    unsigned char past[12] = { 5, 0, 0, 0, 0, 0, 0, 0, '{', '}', ' ', ' ' };
    CHECK_ERR(st_parse(past, sizeof past, "x.safetensors", &s), ERR_FORMAT, "beyond the end");
    CHECK_ERR(parse_str("{\"a\": {\"dtype\": \"F32\", ", 0), ERR_FORMAT, "malformed header");
    CHECK_ERR(parse_str("[1, 2]", 0), ERR_FORMAT, "not a JSON object");
    CHECK_ERR(parse_str("{" TENSOR("w", "F32", "[4]", "[0, 16]") "}", 8), ERR_FORMAT,
              "'w': data_offsets [0, 16] outside");
    CHECK_ERR(parse_str("{" TENSOR("w", "F32", "[2]", "[8, 0]") "}", 16), ERR_FORMAT, "outside");
    CHECK_ERR(parse_str("{" TENSOR("w", "F32", "[2]", "[-8, 0]") "}", 16), ERR_FORMAT, "outside");
    CHECK_ERR(parse_str("{" TENSOR("a", "F32", "[2]", "[0, 8]") ", " TENSOR("b", "F32", "[2]", "[4, 12]") "}", 16),
              ERR_FORMAT, "overlap");
    CHECK_ERR(parse_str("{" TENSOR("a", "F32", "[3]", "[0, 8]") "}", 16), ERR_FORMAT, "needs 12 bytes");
    CHECK_ERR(parse_str("{" TENSOR("a", "Q4", "[2]", "[0, 8]") "}", 16), ERR_FORMAT, "unknown dtype 'Q4'");
    CHECK_ERR(parse_str("{" TENSOR("a", "F32", "[4294967296, 4294967296, 4294967296]", "[0, 8]") "}", 16),
              ERR_FORMAT, "too large");
    CHECK_ERR(parse_str("{" TENSOR("a", "F32", "[-1]", "[0, 8]") "}", 16), ERR_FORMAT, "non-negative");
    CHECK_ERR(parse_str("{\"a\": 3}", 16), ERR_FORMAT, "not an object");
    CHECK_ERR(parse_str("{" TENSOR("a", "F32", "[2]", "[0]") "}", 16), ERR_FORMAT, "data_offsets");

    /* a valid file: lookups, dtype and shape checks, conversions */
    uint16_t h16[4] = { 0x3c00, 0xc000, 0x0001, 0x7c00 };  /* 1, -2, 2^-24, inf */
    uint16_t b16[4] = { 0x3f80, 0xc000, 0x0001, 0x7f80 };  /* 1, -2, tiny, inf */
    unsigned char data[40] = { 0 };
    float one = 1.5f;
    memcpy(data, &one, 4);
    memcpy(data + 8, h16, 8);
    memcpy(data + 16, b16, 8);
    const char *hdr = "{\"__metadata__\": {\"format\": \"pt\"},"
                      " \"f\": {\"dtype\": \"F32\", \"shape\": [2], \"data_offsets\": [0, 8]},"
                      " \"h\": {\"dtype\": \"F16\", \"shape\": [2, 2], \"data_offsets\": [8, 16]},"
                      " \"b\": {\"dtype\": \"BF16\", \"shape\": [4], \"data_offsets\": [16, 24]},"
                      " \"i\": {\"dtype\": \"I64\", \"shape\": [2], \"data_offsets\": [24, 40]},"
                      " \"e\": {\"dtype\": \"F32\", \"shape\": [0], \"data_offsets\": [40, 40]}}  ";
    size_t n;
    unsigned char *img = st_image(hdr, data, sizeof data, &n);
    CHECK_OK(st_parse(img, n, "ok.safetensors", &s));
    if (s) {
        CHECK_INT(st_count(s), 5);
        const float *f;
        float *owned;
        int64_t s2[2] = { 2, 2 }, s4[1] = { 4 }, s1[1] = { 2 };
        CHECK_OK(st_get_f32(s, "f", 1, s1, &f, &owned));
        if (f) CHECK_NEAR(f[0], 1.5, 0);
        mem_free(owned);
        CHECK_OK(st_get_f32(s, "h", 2, s2, &f, &owned));
        if (f) {
            CHECK_NEAR(f[0], 1.0, 0);
            CHECK_NEAR(f[1], -2.0, 0);
            CHECK_NEAR(f[2], 5.9604644775390625e-08, 0);
            CHECK_TRUE(isinf(f[3]));
        }
        mem_free(owned);
        CHECK_OK(st_get_f32(s, "b", 1, s4, &f, &owned));
        if (f) {
            CHECK_NEAR(f[0], 1.0, 0);
            CHECK_NEAR(f[1], -2.0, 0);
            CHECK_TRUE(f[2] > 0 && f[2] < 1e-38);
            CHECK_TRUE(isinf(f[3]));
        }
        mem_free(owned);
        CHECK_ERR(st_get_f32(s, "h", 1, s4, &f, &owned), ERR_FORMAT, "tensor 'h' has shape [2, 2], config.json implies [4]");
        CHECK_ERR(st_get_f32(s, "i", 1, s1, &f, &owned), ERR_FORMAT, "dtype I64");
        CHECK_ERR(st_get_f32(s, "nope", 1, s1, &f, &owned), ERR_NOTFOUND, "missing tensor 'nope'");
        st_close(s);
    }
    free(img);
    /* every truncation of a valid file fails cleanly or parses */
    img = st_image(hdr, data, sizeof data, &n);
    for (size_t k = 0; k < n; k++) {
        unsigned char *cut = malloc(k ? k : 1);
        memcpy(cut, img, k);
        int rc = st_parse(cut, k, "cut.safetensors", &s);
        CHECK_TRUE(rc == ERR_FORMAT);
        st_close(s);
        free(cut);
    }
    free(img);
}

/* ---- model directories built in a temp dir from the fixture ---- */

static int sh(const char *cmd)
{
    int rc = system(cmd);
    return rc;
}

/* mkmodel: a copy of src (symlinks) in a fresh dir; returns its path. */
static const char *mkmodel(const char *src, const char *tag)
{
    static char path[1024];
    snprintf(path, sizeof path, "%s/%s", test_tmpdir(), tag);
    char cmd[4096];
    snprintf(cmd, sizeof cmd,
             "rm -rf '%s' && mkdir -p '%s' && cd '%s' && for f in '%s'/*; do b=$(basename \"$f\"); "
             "if [ -d \"$f\" ]; then mkdir \"$b\"; for g in \"$f\"/*; do ln -s \"$g\" \"$b/\"; done; "
             "else ln -s \"$f\" .; fi; done",
             path, path, path, src);
    if (sh(cmd) != 0) return NULL;
    return path;
}

static void put(const char *dir, const char *name, const char *content)
{
    char p[1200];
    snprintf(p, sizeof p, "%s/%s", dir, name);
    unlink(p);
    FILE *f = fopen(p, "w");
    if (!f) return;
    fputs(content, f);
    fclose(f);
}

/* edit_json: dir/name = the source file with key set to value (JSON text). */
static void edit_json(const char *src, const char *dir, const char *name, const char *key, const char *value)
{
    char p[1200];
    snprintf(p, sizeof p, "%s/%s", src, name);
    json_t *j = NULL;
    if (json_load_path(p, 0, &j) < 0) return;
    json_object_set_new(j, key, json_loads(value, JSON_DECODE_ANY, NULL));
    char *s = json_dumps(j, JSON_INDENT(2));
    put(dir, name, s);
    free(s);
    json_decref(j);
}

/* rewrite_st: copy src safetensors to dst, dropping tensor drop (may be
 * NULL); if split, write two shards + an index instead. */
static int rewrite_st(const char *src, const char *dstdir, const char *drop, int split)
{
    struct fs_map m;
    if (fs_map_open(&m, src) < 0) return -1;
    const unsigned char *p = m.data;
    uint64_t hn = 0;
    for (int i = 7; i >= 0; i--) hn = (hn << 8) | p[i];
    json_t *h = json_loadb((const char *)p + 8, hn, 0, NULL);
    const unsigned char *data = p + 8 + hn;
    size_t dn = m.size - 8 - hn;
    if (drop) json_object_del(h, drop);
    int rc = 0;
    if (!split) {
        char *s = json_dumps(h, JSON_COMPACT);
        size_t n;
        unsigned char *img = st_image(s, data, dn, &n);
        char out[1200];
        snprintf(out, sizeof out, "%s/model.safetensors", dstdir);
        unlink(out);
        rc = fs_write_atomic(out, img, n);
        free(img);
        free(s);
    } else {
        /* shard k gets every other tensor, data copied compactly */
        json_t *wm = json_object();
        for (int k = 0; k < 2; k++) {
            json_t *hk = json_object();
            unsigned char *buf = malloc(dn ? dn : 1);
            size_t off = 0, i = 0;
            const char *key;
            json_t *v;
            json_object_foreach(h, key, v) {
                if (!strcmp(key, "__metadata__") || (int)(i++ % 2) != k) continue;
                json_t *o = json_array_get(json_object_get(v, "data_offsets"), 0),
                       *e = json_array_get(json_object_get(v, "data_offsets"), 1);
                size_t b = (size_t)json_integer_value(o), len = (size_t)json_integer_value(e) - b;
                memcpy(buf + off, data + b, len);
                json_t *nv = json_deep_copy(v);
                json_object_set_new(nv, "data_offsets", json_pack("[I, I]", (json_int_t)off, (json_int_t)(off + len)));
                json_object_set_new(hk, key, nv);
                char fn[64];
                snprintf(fn, sizeof fn, "model-%05d-of-00002.safetensors", k + 1);
                json_object_set_new(wm, key, json_string(fn));
                off += len;
            }
            char *s = json_dumps(hk, JSON_COMPACT);
            size_t n;
            unsigned char *img = st_image(s, buf, off, &n);
            char out[1200];
            snprintf(out, sizeof out, "%s/model-%05d-of-00002.safetensors", dstdir, k + 1);
            rc |= fs_write_atomic(out, img, n);
            free(img);
            free(s);
            free(buf);
            json_decref(hk);
        }
        json_t *idx = json_pack("{s:{s:I}, s:o}", "metadata", "total_size", (json_int_t)dn, "weight_map", wm);
        char *s = json_dumps(idx, JSON_INDENT(2));
        put(dstdir, "model.safetensors.index.json", s);
        free(s);
        json_decref(idx);
        char out[1200];
        snprintf(out, sizeof out, "%s/model.safetensors", dstdir);
        unlink(out);
    }
    json_decref(h);
    fs_map_close(&m);
    return rc;
}

static int load_err(const char *dir, const char *needle)
{
    struct enc *e = NULL;
    int rc = enc_create(dir, NULL, &e);
    enc_free(e);
    if (rc < 0 && needle && !strstr(err_msg(), needle)) {
        printf("  message '%s' lacks '%s'\n", err_msg(), needle);
        return 1;
    }
    return rc;
}

/* poison_st: copy src safetensors to dstdir with one element of the first
 * tensor whose name contains needle set to NaN. */
static int poison_st(const char *src, const char *dstdir, const char *needle)
{
    struct buf b = BUF_INIT;
    if (fs_read_file(src, &b, 1u << 30) < 0) return -1;
    struct st_set *s = NULL;
    int rc = -1;
    if (st_parse(b.data, b.len, "x", &s) == 0) {
        for (size_t i = 0; i < st_count(s); i++) {
            const struct st_tensor *t = st_at(s, i);
            if (!strstr(t->name, needle)) continue;
            unsigned char *d = (unsigned char *)b.data + ((const char *)t->data - b.data) + 4 * 2;
            if (t->dtype == ST_F32) memcpy(d, &(uint32_t){ 0x7fc00000u }, 4);
            else if (t->dtype == ST_F16) memcpy(d, &(uint16_t){ 0x7e00u }, 2);
            else if (t->dtype == ST_BF16) memcpy(d, &(uint16_t){ 0x7fc0u }, 2);
            else break;
            char out[1200];
            snprintf(out, sizeof out, "%s/model.safetensors", dstdir);
            unlink(out);
            rc = fs_write_atomic(out, b.data, b.len);
            break;
        }
    }
    st_close(s);
    buf_release(&b);
    return rc;
}

static void test_hostile_dirs(const char *src)
{
    const char *d;
    char p[1200];
    d = mkmodel(src, "arch");
    edit_json(src, d, "config.json", "model_type", "\"gpt2\"");
    CHECK_INT(load_err(d, "model_type 'gpt2'"), ERR_UNSUPPORTED);
    d = mkmodel(src, "shape");
    edit_json(src, d, "config.json", "intermediate_size", "128");
    CHECK_INT(load_err(d, "layers.0.mlp.Wi.weight' has shape [192, 64], config.json implies [256, 64]"), ERR_FORMAT);
    d = mkmodel(src, "badjson");
    put(d, "config.json", "{\"model_type\": \"modernbert\", ");
    CHECK_INT(load_err(d, "config.json"), ERR_FORMAT);
    d = mkmodel(src, "type");
    edit_json(src, d, "config.json", "hidden_size", "\"64\"");
    CHECK_INT(load_err(d, "key 'hidden_size' must be an integer"), ERR_FORMAT);
    d = mkmodel(src, "module");
    put(d, "modules.json", "[{\"idx\":0,\"name\":\"0\",\"path\":\"\",\"type\":\"sentence_transformers.models.Transformer\"},"
                           "{\"idx\":1,\"name\":\"1\",\"path\":\"1_Pooling\",\"type\":\"sentence_transformers.models.LSTM\"}]");
    CHECK_INT(load_err(d, "sentence_transformers.models.LSTM"), ERR_UNSUPPORTED);
    d = mkmodel(src, "act");
    edit_json(src, d, "2_Dense/config.json", "activation_function", "\"torch.nn.modules.activation.Softsign\"");
    CHECK_INT(load_err(d, "Softsign"), ERR_UNSUPPORTED);
    d = mkmodel(src, "missing");
    snprintf(p, sizeof p, "%s/model.safetensors", src);
    rewrite_st(p, d, "layers.3.mlp_norm.weight", 0);
    CHECK_INT(load_err(d, "missing tensor 'layers.3.mlp_norm.weight'"), ERR_NOTFOUND);
    d = mkmodel(src, "truncated");
    snprintf(p, sizeof p, "cd '%s' && rm model.safetensors && head -c 5000 '%s/model.safetensors' > model.safetensors",
             d, src);
    sh(p);
    CHECK_INT(load_err(d, "outside the data area"), ERR_FORMAT);
    snprintf(p, sizeof p, "cd '%s' && rm model.safetensors && head -c 100 '%s/model.safetensors' > model.safetensors",
             d, src);
    sh(p);
    CHECK_INT(load_err(d, "beyond the end of the file"), ERR_FORMAT);
    d = mkmodel(src, "empty");
    snprintf(p, sizeof p, "cd '%s' && rm model.safetensors && : > model.safetensors", d);
    sh(p);
    CHECK_INT(load_err(d, "too short"), ERR_FORMAT);
    d = mkmodel(src, "nopool");
    put(d, "1_Pooling/config.json", "{\"word_embedding_dimension\": 64}");
    CHECK_INT(load_err(d, "no pooling mode"), ERR_FORMAT);
    CHECK_INT(load_err("/nonexistent/model", "no such model directory"), ERR_NOTFOUND);
    /* a NaN weight: refused at load, naming the tensor and the file */
    d = mkmodel(src, "nan");
    snprintf(p, sizeof p, "%s/model.safetensors", src);
    CHECK_INT(poison_st(p, d, "layers.1.mlp_norm.weight"), 0);
    CHECK_INT(load_err(d, "layers.1.mlp_norm.weight' holds a non-finite value (NaN) at element 2"), ERR_FORMAT);
    CHECK_INT(load_err(d, "/nan/model.safetensors"), ERR_FORMAT);
    /* ModernBERT's max_seq_length is bounded by max_position_embeddings, as BERT's */
    d = mkmodel(src, "msl");
    edit_json(src, d, "sentence_bert_config.json", "max_seq_length", "1000000");
    CHECK_INT(load_err(d, "max_seq_length 1000000 exceeds the model's"), ERR_FORMAT);
    /* a module path that is a symlink out of the model directory */
    char other[1200];
    snprintf(other, sizeof other, "%.500s", mkmodel(src, "other"));
    d = mkmodel(src, "evil");
    snprintf(p, sizeof p, "ln -s '%.500s/1_Pooling' '%.500s/evil'", other, d);
    CHECK_INT(sh(p), 0);
    put(d, "modules.json", "[{\"idx\":0,\"name\":\"0\",\"path\":\"\",\"type\":\"sentence_transformers.models.Transformer\"},"
                           "{\"idx\":1,\"name\":\"1\",\"path\":\"evil\",\"type\":\"sentence_transformers.models.Pooling\"}]");
    CHECK_INT(load_err(d, "modules.json': module 1 path 'evil' resolves to"), ERR_FORMAT);
    CHECK_INT(load_err(d, "outside the model directory"), ERR_FORMAT);
    /* the same directory reached through a symlink inside the model is fine */
    snprintf(p, sizeof p, "ln -s 1_Pooling '%s/alias'", d);
    CHECK_INT(sh(p), 0);
    put(d, "modules.json", "[{\"idx\":0,\"name\":\"0\",\"path\":\"\",\"type\":\"sentence_transformers.models.Transformer\"},"
                           "{\"idx\":1,\"name\":\"1\",\"path\":\"alias\",\"type\":\"sentence_transformers.models.Pooling\"}]");
    CHECK_OK(load_err(d, NULL));
}

/* every pooling mode and Dense activation, checked against values computed
 * here from the last hidden state / the Identity head output */
static void test_modes(const char *src)
{
    struct enc_options o = ENC_OPTIONS_INIT;
    o.n_threads = 1;
    /* sharded checkpoint gives the same vectors as the single file */
    const char *d = mkmodel(src, "sharded");
    char p[1200];
    snprintf(p, sizeof p, "%s/model.safetensors", src);
    CHECK_INT(rewrite_st(p, d, NULL, 1), 0);
    int32_t ids[] = { 50281, 168, 9223, 167, 241, 223, 34431, 99, 20959, 15, 50282 };
    const int32_t *ip = ids;
    size_t ni = sizeof ids / sizeof *ids;
    struct enc *a = NULL, *b = NULL;
    float va[64], vb[64], tok[11 * 64];
    CHECK_OK(enc_create(src, &o, &a));
    CHECK_OK(enc_create(d, &o, &b));
    if (!a || !b) goto out;
    struct enc_debug dbg = { 0 };
    dbg.tokens = tok;
    CHECK_OK(enc_encode_debug(a, &ip, &ni, 1, va, &dbg));
    CHECK_OK(enc_encode_ids(b, &ip, &ni, 1, vb));
    CHECK_TRUE(memcmp(va, vb, sizeof va) == 0);
    enc_free(b);
    b = NULL;
    /* pooling: all six modes at once */
    d = mkmodel(src, "pool");
    put(d, "1_Pooling/config.json",
        "{\"word_embedding_dimension\": 64, \"pooling_mode_cls_token\": true, \"pooling_mode_max_tokens\": true,"
        " \"pooling_mode_mean_tokens\": true, \"pooling_mode_mean_sqrt_len_tokens\": true,"
        " \"pooling_mode_weightedmean_tokens\": true, \"pooling_mode_lasttoken\": true, \"include_prompt\": true}");
    put(d, "modules.json", "[{\"idx\":0,\"name\":\"0\",\"path\":\"\",\"type\":\"sentence_transformers.models.Transformer\"},"
                           "{\"idx\":1,\"name\":\"1\",\"path\":\"1_Pooling\",\"type\":\"sentence_transformers.models.Pooling\"}]");
    CHECK_OK(enc_create(d, &o, &b));
    if (b) {
        CHECK_INT(enc_dim(b), 6 * 64);
        float v[6 * 64];
        CHECK_OK(enc_encode_ids(b, &ip, &ni, 1, v));
        double worst = 0;
        for (int i = 0; i < 64; i++) {
            double mx = -1e30, s = 0, ws = 0, wsum = 0;
            for (size_t t = 0; t < ni; t++) {
                double x = tok[t * 64 + i];
                if (x > mx) mx = x;
                s += x;
                ws += x * (double)(t + 1);
                wsum += (double)(t + 1);
            }
            double want[6] = { tok[i], mx, s / ni, s / sqrt((double)ni), ws / wsum, tok[(ni - 1) * 64 + i] };
            for (int k = 0; k < 6; k++) {
                double dd = fabs(v[k * 64 + i] - want[k]);
                if (dd > worst) worst = dd;
            }
        }
        CHECK_TRUE(worst < 1e-5);
        enc_free(b);
        b = NULL;
    }
    /* Dense activations: Identity gives the pre-activation z */
    float z[64];
    d = mkmodel(src, "ident");
    edit_json(src, d, "2_Dense/config.json", "activation_function", "\"torch.nn.modules.linear.Identity\"");
    CHECK_OK(enc_create(d, &o, &b));
    if (!b) goto out;
    CHECK_OK(enc_encode_ids(b, &ip, &ni, 1, z));
    enc_free(b);
    b = NULL;
    static const char *acts[] = { "torch.nn.modules.activation.Tanh", "torch.nn.modules.activation.ReLU",
                                  "torch.nn.modules.activation.GELU", "torch.nn.modules.activation.Sigmoid" };
    for (int k = 0; k < 4; k++) {
        char q[128];
        snprintf(q, sizeof q, "\"%s\"", acts[k]);
        edit_json(src, d, "2_Dense/config.json", "activation_function", q);
        CHECK_OK(enc_create(d, &o, &b));
        if (!b) continue;
        float v[64];
        CHECK_OK(enc_encode_ids(b, &ip, &ni, 1, v));
        double worst = 0;
        for (int i = 0; i < 64; i++) {
            double x = z[i], w = k == 0 ? tanh(x) : k == 1 ? (x > 0 ? x : 0)
                                 : k == 2 ? 0.5 * x * (1 + erf(x / sqrt(2.0))) : 1 / (1 + exp(-x));
            if (fabs(v[i] - w) > worst) worst = fabs(v[i] - w);
        }
        if (worst > 1e-6) T_FAIL("%s: differs by %g", acts[k], worst);
        if (k == 0) CHECK_TRUE(memcmp(v, va, sizeof v) == 0 || worst < 1e-7);
        enc_free(b);
        b = NULL;
    }
    /* Normalize after Dense, and the --normalize option */
    d = mkmodel(src, "norm");
    put(d, "modules.json", "[{\"idx\":0,\"name\":\"0\",\"path\":\"\",\"type\":\"sentence_transformers.models.Transformer\"},"
                           "{\"idx\":1,\"name\":\"1\",\"path\":\"1_Pooling\",\"type\":\"sentence_transformers.models.Pooling\"},"
                           "{\"idx\":2,\"name\":\"2\",\"path\":\"2_Dense\",\"type\":\"sentence_transformers.models.Dense\"},"
                           "{\"idx\":3,\"name\":\"3\",\"path\":\"3_Normalize\",\"type\":\"sentence_transformers.models.Normalize\"}]");
    CHECK_OK(enc_create(d, &o, &b));
    if (b) {
        float v[64];
        CHECK_OK(enc_encode_ids(b, &ip, &ni, 1, v));
        double nn = 0;
        for (int i = 0; i < 64; i++) nn += (double)va[i] * va[i];
        nn = sqrt(nn);
        double worst = 0;
        for (int i = 0; i < 64; i++) worst = fmax(worst, fabs(v[i] - va[i] / nn));
        CHECK_TRUE(worst < 1e-6);
        enc_free(b);
        b = NULL;
    }
out:
    enc_free(a);
    enc_free(b);
}

int main(void)
{
    TEST("hostile safetensors images") test_hostile_safetensors();
    const char *root = fixtures_dir();
    char src[1024];
    if (root) snprintf(src, sizeof src, "%s/modernbert-tiny/model", root);
    TEST("hostile model directories") {
        if (!root) SKIP("fixtures not found");
        else test_hostile_dirs(src);
    }
    TEST("sharded checkpoint, pooling modes, Dense activations, Normalize") {
        if (!root) SKIP("fixtures not found");
        else test_modes(src);
    }
    TEST("activation names") {
        enum model_act a;
        CHECK_OK(mdl_act_from_name("gelu_pytorch_tanh", &a));
        CHECK_INT(a, ACT_GELU_TANH);
        CHECK_OK(mdl_act_from_name("gelu_new", &a));
        CHECK_INT(a, ACT_GELU_TANH);
        CHECK_OK(mdl_act_from_name("gelu", &a));
        CHECK_INT(a, ACT_GELU);
        CHECK_INT(mdl_act_from_name("mish", &a), ERR_UNSUPPORTED);
    }
    fs_remove_tree(test_tmpdir());
    return test_summary();
}
