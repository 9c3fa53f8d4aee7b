/*
 * make_random_model.c - write a sentence-transformers model directory with
 * random weights and the target model's architecture:
 *
 *   Transformer(ModernBertModel) -> Pooling(mean_sqrt_len_tokens) -> Dense(tanh)
 *
 * By default the full-size configuration (22 layers, hidden 768, 12 heads,
 * intermediate 1152, local_attention 128, global every 3rd layer, RoPE
 * 160000 / 10000, max_seq_length 512), so anyone can reproduce the encoder
 * benchmark without downloading weights. The tokenizer files (and the
 * vocabulary size and special-token ids in config.json) are copied from an
 * existing model directory, e.g. a fixture:
 *
 *     make_random_model --tokenizer ../shared/fixtures/modernbert-ko-tiny/model OUT_DIR
 *     make_random_model --layers 2 --hidden 64 --heads 4 --intermediate 96 \
 *                       --local-attention 16 --tokenizer DIR OUT_DIR
 *
 * Weights (deterministic, --seed; all F32), --init semindex (the default):
 * LayerNorm weights 1 + N(0, 0.05), embeddings N(0, 0.25), projections and
 * the Dense head N(0, 0.02): every layer moves the residual stream a lot, so
 * any error inside a layer shows in the output (a harsh model for reduced
 * precision). --init transformers draws from the distributions a model gets
 * from transformers' ModernBertModel(config) and sentence-transformers'
 * Dense (what `from_config` in Python gives; not the same bits, another RNG):
 * embeddings, Wqkv and mlp.Wi N(0, 0.02) truncated at 2 sigma
 * (initializer_cutoff_factor), attn.Wo and mlp.Wo N(0, 0.02 / sqrt(2 layers))
 * truncated likewise, LayerNorm weights 1, Dense weight and bias
 * U(-1/sqrt(in), 1/sqrt(in)) (torch.nn.Linear's default).
 *
 * --outliers N (stress variant for reduced precision): N hidden dimensions
 * (the same ones in every LayerNorm, as in trained transformers) get their
 * LayerNorm gains multiplied by --outlier-scale (default 30).
 */
#include <errno.h>
#include <getopt.h>
#include <jansson.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/buf.h"
#include "common/err.h"
#include "common/fsutil.h"
#include "common/json.h"

struct cfg {
    int layers, hidden, heads, inter, local, every, max_seq, vocab, pad, cls, sep;
    uint64_t seed;
};

static uint64_t rng;
static int n_outliers;
static double outlier_scale = 30;
static int init_transformers; /* --init transformers */
static double uniform(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return ((rng >> 11) + 0.5) * (1.0 / 9007199254740992.0);
}
static float normal(double std)
{
    double u = uniform(), v = uniform();
    return (float)(std * sqrt(-2 * log(u)) * cos(6.283185307179586 * v));
}
/* N(0, std) truncated to [-2 std, 2 std] (by rejection: same distribution
 * as torch.nn.init.trunc_normal_) */
static float trunc_normal(double std)
{
    for (;;) {
        float x = normal(1.0);
        if (x >= -2 && x <= 2) return (float)(std * x);
    }
}

/* how a tensor's values are drawn (write_st) */
enum tensor_kind {        /* --init semindex | --init transformers */
    T_NORM,        /* 1 + N(0, 0.05) | 1; both with outlier dimensions */
    T_EMBEDDING,   /* N(0, 0.25) | trunc N(0, 0.02) */
    T_PROJECTION,  /* N(0, 0.02) | trunc N(0, 0.02) (Wqkv, mlp.Wi) */
    T_OUT,         /* N(0, 0.02) | trunc N(0, 0.02 / sqrt(2 layers)) (attn.Wo, mlp.Wo) */
    T_HEAD,        /* N(0, 0.02) | U(-1/sqrt(in), 1/sqrt(in)) (Dense weight and bias) */
};

/* one value of a tensor of kind k whose rows have fan_in inputs */
static float draw(enum tensor_kind k, int64_t fan_in, int layers)
{
    if (!init_transformers) {
        switch (k) {
        case T_NORM: return 1.0f + normal(0.05);
        case T_EMBEDDING: return normal(0.25);
        default: return normal(0.02);
        }
    }
    switch (k) {
    case T_NORM: return 1.0f;
    case T_OUT: return trunc_normal(0.02 / sqrt(2.0 * layers));
    case T_HEAD: return (float)((2 * uniform() - 1) / sqrt((double)fan_in));
    default: return trunc_normal(0.02);
    }
}

struct tensor {
    char name[96];
    int64_t d0, d1;  /* d1 = 0: vector */
    enum tensor_kind kind;
};

static int write_st(const char *path, const struct tensor *t, int n, int64_t fan_in, int layers)
{
    json_t *h = json_object();
    json_object_set_new(h, "__metadata__", json_pack("{s:s}", "format", "pt"));
    uint64_t off = 0;
    for (int i = 0; i < n; i++) {
        uint64_t cnt = (uint64_t)t[i].d0 * (t[i].d1 ? (uint64_t)t[i].d1 : 1);
        json_t *shape = t[i].d1 ? json_pack("[I, I]", (json_int_t)t[i].d0, (json_int_t)t[i].d1)
                                : json_pack("[I]", (json_int_t)t[i].d0);
        json_object_set_new(h, t[i].name, json_pack("{s:s, s:o, s:[I, I]}", "dtype", "F32", "shape", shape,
                                                     "data_offsets", (json_int_t)off, (json_int_t)(off + 4 * cnt)));
        off += 4 * cnt;
    }
    char *s = json_dumps(h, JSON_COMPACT | JSON_SORT_KEYS);
    json_decref(h);
    size_t hn = strlen(s), pad = (8 - hn % 8) % 8;
    FILE *f = fopen(path, "wb");
    if (!f) {
        free(s);
        return err_set(ERR_IO, "cannot create '%s': %s", path, strerror(errno));
    }
    uint64_t len = hn + pad;
    unsigned char lb[8];
    for (int i = 0; i < 8; i++) lb[i] = (unsigned char)(len >> (8 * i));
    fwrite(lb, 1, 8, f);
    fwrite(s, 1, hn, f);
    for (size_t i = 0; i < pad; i++) fputc(' ', f);
    free(s);
    float *buf = malloc(1 << 20);
    for (int i = 0; i < n; i++) {
        uint64_t cnt = (uint64_t)t[i].d0 * (t[i].d1 ? (uint64_t)t[i].d1 : 1);
        while (cnt) {
            size_t k = cnt < (1 << 18) ? (size_t)cnt : (1 << 18);
            for (size_t j = 0; j < k; j++)
                buf[j] = draw(t[i].kind, fan_in, layers);
            if (t[i].kind == T_NORM) /* outlier dimensions: 37 + 97 i (mod H) */
                for (int o = 0; o < n_outliers; o++) buf[(37 + 97 * (size_t)o) % k] *= (float)outlier_scale;
            fwrite(buf, 4, k, f);
            cnt -= k;
        }
    }
    free(buf);
    if (fclose(f) != 0) return err_set(ERR_IO, "cannot write '%s'", path);
    return 0;
}

static int put(const char *dir, const char *name, const char *text)
{
    struct buf p = BUF_INIT;
    int rc = fs_join(&p, dir, name);
    if (rc == 0) rc = fs_write_atomic(p.data, text, strlen(text));
    buf_release(&p);
    return rc;
}

/* put_json: write v (consumed; NULL = out of memory) as dir/name, indented
 * like the files transformers writes */
static int put_json(const char *dir, const char *name, json_t *v)
{
    char *text = v ? json_dumps(v, JSON_INDENT(2) | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(6)) : NULL;
    json_decref(v);
    if (!text) return err_nomem();
    struct buf b = BUF_INIT;
    int rc = buf_printf(&b, "%s\n", text) < 0 ? err_nomem() : put(dir, name, b.data);
    buf_release(&b);
    free(text);
    return rc;
}

static int copy_file(const char *from_dir, const char *to_dir, const char *name, int required)
{
    struct buf a = BUF_INIT, b = BUF_INIT, d = BUF_INIT;
    int rc = fs_join(&a, from_dir, name);
    if (rc == 0) rc = fs_read_file(a.data, &d, 0);
    if (rc == ERR_NOTFOUND && !required) {
        err_clear();
        rc = 0;
    } else if (rc == 0) {
        rc = fs_join(&b, to_dir, name);
        if (rc == 0) rc = fs_write_atomic(b.data, d.data, d.len);
    }
    buf_release(&a);
    buf_release(&b);
    buf_release(&d);
    return rc;
}

static int make(const struct cfg *c, const char *tokdir, const char *out)
{
    char sub[4096];
    FORWARD_ERR(fs_mkdir_p(out));
    snprintf(sub, sizeof sub, "%s/1_Pooling", out);
    FORWARD_ERR(fs_mkdir_p(sub));
    snprintf(sub, sizeof sub, "%s/2_Dense", out);
    FORWARD_ERR(fs_mkdir_p(sub));
    FORWARD_ERR(copy_file(tokdir, out, "tokenizer.json", 1));
    FORWARD_ERR(copy_file(tokdir, out, "tokenizer_config.json", 0));
    FORWARD_ERR(copy_file(tokdir, out, "special_tokens_map.json", 0));
    json_t *mods = json_pack("[{si ss ss ss} {si ss ss ss} {si ss ss ss}]",
        "idx", 0, "name", "0", "path", "", "type", "sentence_transformers.models.Transformer",
        "idx", 1, "name", "1", "path", "1_Pooling", "type", "sentence_transformers.models.Pooling",
        "idx", 2, "name", "2", "path", "2_Dense", "type", "sentence_transformers.models.Dense");
    FORWARD_ERR(put_json(out, "modules.json", mods));
    FORWARD_ERR(put_json(out, "sentence_bert_config.json",
                         json_pack("{si sb}", "max_seq_length", c->max_seq, "do_lower_case", 0)));
    json_t *cfg = json_pack("{s[s] ss si si si si si si si si sf sf ss sf sb sb sb si si si si si ss}",
        "architectures", "ModernBertModel", "model_type", "modernbert", "hidden_size", c->hidden,
        "num_hidden_layers", c->layers, "num_attention_heads", c->heads, "intermediate_size", c->inter,
        "vocab_size", c->vocab, "max_position_embeddings", 8192, "local_attention", c->local,
        "global_attn_every_n_layers", c->every, "global_rope_theta", 160000.0, "local_rope_theta", 10000.0,
        "hidden_activation", "gelu", "norm_eps", 1e-05, "norm_bias", 0, "attention_bias", 0, "mlp_bias", 0,
        "pad_token_id", c->pad, "cls_token_id", c->cls, "sep_token_id", c->sep, "bos_token_id", c->cls,
        "eos_token_id", c->sep, "torch_dtype", "float32");
    FORWARD_ERR(put_json(out, "config.json", cfg));
    FORWARD_ERR(put_json(out, "1_Pooling/config.json",
                         json_pack("{si sb sb sb sb sb sb sb}", "word_embedding_dimension", c->hidden,
                                   "pooling_mode_cls_token", 0, "pooling_mode_mean_tokens", 0,
                                   "pooling_mode_max_tokens", 0, "pooling_mode_mean_sqrt_len_tokens", 1,
                                   "pooling_mode_weightedmean_tokens", 0, "pooling_mode_lasttoken", 0,
                                   "include_prompt", 1)));
    FORWARD_ERR(put_json(out, "2_Dense/config.json",
                         json_pack("{si si sb ss}", "in_features", c->hidden, "out_features", c->hidden, "bias", 1,
                                   "activation_function", "torch.nn.modules.activation.Tanh")));

    int n = 0, cap = 8 + 7 * c->layers;
    struct tensor *t = calloc((size_t)cap, sizeof *t);
    int64_t H = c->hidden, I = c->inter;
#define ADD(k, a, b, ...) (snprintf(t[n].name, sizeof t[n].name, __VA_ARGS__), t[n].d0 = (a), t[n].d1 = (b), t[n++].kind = (k))
    ADD(T_EMBEDDING, c->vocab, H, "embeddings.tok_embeddings.weight");
    ADD(T_NORM, H, 0, "embeddings.norm.weight");
    for (int l = 0; l < c->layers; l++) {
        if (l) ADD(T_NORM, H, 0, "layers.%d.attn_norm.weight", l);
        ADD(T_PROJECTION, 3 * H, H, "layers.%d.attn.Wqkv.weight", l);
        ADD(T_OUT, H, H, "layers.%d.attn.Wo.weight", l);
        ADD(T_NORM, H, 0, "layers.%d.mlp_norm.weight", l);
        ADD(T_PROJECTION, 2 * I, H, "layers.%d.mlp.Wi.weight", l);
        ADD(T_OUT, H, I, "layers.%d.mlp.Wo.weight", l);
    }
    ADD(T_NORM, H, 0, "final_norm.weight");
    snprintf(sub, sizeof sub, "%s/model.safetensors", out);
    int rc = write_st(sub, t, n, H, c->layers);
    n = 0;
    ADD(T_HEAD, H, H, "linear.weight");
    ADD(T_HEAD, H, 0, "linear.bias");
#undef ADD
    snprintf(sub, sizeof sub, "%s/2_Dense/model.safetensors", out);
    if (rc == 0) rc = write_st(sub, t, n, H, c->layers);
    free(t);
    return rc;
}

static const char usage[] =
    "usage: make_random_model --tokenizer DIR [--layers N] [--hidden N] [--heads N] [--intermediate N]\n"
    "                         [--local-attention N] [--global-every N] [--max-seq-length N] [--seed N]\n"
    "                         [--init semindex|transformers] [--outliers N [--outlier-scale S]] OUT_DIR\n";

int main(int argc, char **argv)
{
    struct cfg c = { 22, 768, 12, 1152, 128, 3, 512, 50368, 50283, 50281, 50282, 20240315 };
    const char *tokdir = NULL;
    static const struct option opts[] = {
        { "tokenizer", 1, 0, 't' }, { "layers", 1, 0, 'l' },         { "hidden", 1, 0, 'H' },
        { "heads", 1, 0, 'a' },     { "intermediate", 1, 0, 'i' },   { "local-attention", 1, 0, 'w' },
        { "global-every", 1, 0, 'g' }, { "max-seq-length", 1, 0, 'm' }, { "seed", 1, 0, 's' },
        { "outliers", 1, 0, 'O' },  { "outlier-scale", 1, 0, 'S' }, { "init", 1, 0, 'I' },
        { "help", 0, 0, 'h' },      { 0, 0, 0, 0 },
    };
    int o;
    while ((o = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        switch (o) {
        case 't': tokdir = optarg; break;
        case 'l': c.layers = atoi(optarg); break;
        case 'H': c.hidden = atoi(optarg); break;
        case 'a': c.heads = atoi(optarg); break;
        case 'i': c.inter = atoi(optarg); break;
        case 'w': c.local = atoi(optarg); break;
        case 'g': c.every = atoi(optarg); break;
        case 'm': c.max_seq = atoi(optarg); break;
        case 's': c.seed = strtoull(optarg, NULL, 10); break;
        case 'O': n_outliers = atoi(optarg); break;
        case 'S': outlier_scale = atof(optarg); break;
        case 'I':
            if (strcmp(optarg, "transformers") && strcmp(optarg, "semindex")) {
                fprintf(stderr, "make_random_model: --init must be 'semindex' or 'transformers', not '%s'\n", optarg);
                return 2;
            }
            init_transformers = !strcmp(optarg, "transformers");
            break;
        case 'h': fputs(usage, stdout); return 0;
        default: fputs(usage, stderr); return 2;
        }
    }
    if (optind != argc - 1 || !tokdir || c.layers <= 0 || c.hidden <= 0 || c.heads <= 0 || c.hidden % c.heads ||
        c.inter <= 0 || c.local <= 0 || c.every <= 0 || c.max_seq <= 0) {
        fputs(usage, stderr);
        return 2;
    }
    /* vocabulary size and special ids come from the tokenizer's model config */
    struct buf p = BUF_INIT;
    json_t *j = NULL;
    if (fs_join(&p, tokdir, "config.json") == 0 && json_load_path(p.data, 0, &j) == 0) {
        int64_t v;
        v = c.vocab; json_get_int(j, "vocab_size", "config.json", &v); c.vocab = (int)v;
        v = c.pad; json_get_int(j, "pad_token_id", "config.json", &v); c.pad = (int)v;
        v = c.cls; json_get_int(j, "cls_token_id", "config.json", &v); c.cls = (int)v;
        v = c.sep; json_get_int(j, "sep_token_id", "config.json", &v); c.sep = (int)v;
        json_decref(j);
    }
    buf_release(&p);
    err_clear();
    rng = c.seed * 0x9E3779B97F4A7C15ull + 1;
    if (make(&c, tokdir, argv[optind]) < 0) {
        fprintf(stderr, "error: %s\n", err_msg());
        return 1;
    }
    printf("wrote %s: %d layers, hidden %d, %d heads, intermediate %d, vocab %d, local_attention %d\n",
           argv[optind], c.layers, c.hidden, c.heads, c.inter, c.vocab, c.local);
    return 0;
}
