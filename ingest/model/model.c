/*
 * model.c - load a sentence-transformers model directory (see model.h).
 *
 * Order of work: modules.json -> the Transformer module's config.json and
 * sentence_bert_config.json -> weights (shape-checked against config.json)
 * -> Pooling -> Dense* -> Normalize. Every file that is read is also fed to
 * the fingerprint hash, followed by every tensor's bytes.
 */
#include "ingest/model/model.h"

#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>

#include "common/buf.h"
#include "common/err.h"
#include "common/fsutil.h"
#include "common/hash.h"
#include "common/json.h"
#include "common/mem.h"
#include "ingest/model/safetensors.h"

#define MODULE_PREFIX "sentence_transformers.models."

static const struct {
    const char *name;
    enum model_act act;
} act_names[] = {
    { "gelu", ACT_GELU },
    { "gelu_pytorch_tanh", ACT_GELU_TANH },
    { "gelu_new", ACT_GELU_TANH },
    { "relu", ACT_RELU },
    { "tanh", ACT_TANH },
    { "sigmoid", ACT_SIGMOID },
    { "silu", ACT_SILU },
    { "swish", ACT_SILU },
    { "linear", ACT_IDENTITY },
    { "identity", ACT_IDENTITY },
    /* torch.nn module names as sentence-transformers' Dense writes them */
    { "torch.nn.modules.activation.Tanh", ACT_TANH },
    { "torch.nn.modules.linear.Identity", ACT_IDENTITY },
    { "torch.nn.modules.activation.ReLU", ACT_RELU },
    { "torch.nn.modules.activation.GELU", ACT_GELU },
    { "torch.nn.modules.activation.Sigmoid", ACT_SIGMOID },
    { "torch.nn.modules.activation.SiLU", ACT_SILU },
    { "torch.nn.Tanh", ACT_TANH },
    { "torch.nn.Identity", ACT_IDENTITY },
    { "torch.nn.ReLU", ACT_RELU },
    { "torch.nn.GELU", ACT_GELU },
    { "torch.nn.Sigmoid", ACT_SIGMOID },
};

int mdl_act_from_name(const char *name, enum model_act *out)
{
    for (size_t i = 0; i < sizeof act_names / sizeof *act_names; i++)
        if (!strcmp(name, act_names[i].name)) {
            *out = act_names[i].act;
            return 0;
        }
    return err_set(ERR_UNSUPPORTED, "activation '%s' is not supported", name);
}

const char *mdl_act_name(enum model_act a)
{
    static const char *n[] = { "identity", "tanh", "relu", "gelu", "gelu_tanh", "sigmoid", "silu" };
    return (unsigned)a < sizeof n / sizeof *n ? n[a] : "?";
}

/* ---- config.json ---- */

static int get_pos_int(json_t *j, const char *key, const char *what, int64_t def, int64_t max, int *out)
{
    int64_t v = def;
    FORWARD_ERR(json_get_int(j, key, what, &v));
    if (v <= 0 || v > max) return err_set(ERR_FORMAT, "'%s': key '%s' = %lld is out of range (1..%lld)", what, key,
                                          (long long)v, (long long)max);
    *out = (int)v;
    return 0;
}

static int get_act(json_t *j, const char *key, const char *what, const char *def, enum model_act *out)
{
    const char *s = def;
    FORWARD_ERR(json_get_str(j, key, what, &s));
    if (mdl_act_from_name(s, out) < 0)
        return err_set(ERR_UNSUPPORTED, "'%s': %s '%s' is not supported", what, key, s);
    return 0;
}

int mdl_parse_config(json_t *j, const char *what, struct model_config *c)
{
    memset(c, 0, sizeof *c);
    if (!json_is_object(j)) return err_set(ERR_FORMAT, "'%s': not a JSON object", what);
    const char *mt = NULL, *an = "?";
    FORWARD_ERR(json_get_str(j, "model_type", what, &mt));
    json_t *archs = json_object_get(j, "architectures");
    if (json_is_array(archs) && json_is_string(json_array_get(archs, 0))) an = json_string_value(json_array_get(archs, 0));
    if (!mt) return err_set(ERR_FORMAT, "'%s': missing key 'model_type'", what);
    int64_t pad = 0;
    if (!strcmp(mt, "modernbert")) {
        c->arch = MODEL_MODERNBERT;
        c->arch_name = "ModernBERT";
        FORWARD_ERR(get_pos_int(j, "hidden_size", what, 768, 1 << 16, &c->hidden));
        FORWARD_ERR(get_pos_int(j, "num_hidden_layers", what, 22, 1024, &c->layers));
        FORWARD_ERR(get_pos_int(j, "num_attention_heads", what, 12, 1024, &c->heads));
        FORWARD_ERR(get_pos_int(j, "intermediate_size", what, 1152, 1 << 18, &c->intermediate));
        FORWARD_ERR(get_pos_int(j, "vocab_size", what, 50368, 1 << 24, &c->vocab));
        FORWARD_ERR(get_pos_int(j, "max_position_embeddings", what, 8192, 1 << 20, &c->max_positions));
        FORWARD_ERR(get_pos_int(j, "local_attention", what, 128, 1 << 20, &c->local_attention));
        FORWARD_ERR(get_pos_int(j, "global_attn_every_n_layers", what, 3, 1024, &c->global_every));
        pad = 50283;
        double eps = 1e-5, gt = 160000.0, lt = -1;
        FORWARD_ERR(json_get_num(j, "norm_eps", what, &eps));
        FORWARD_ERR(json_get_num(j, "global_rope_theta", what, &gt));
        FORWARD_ERR(json_get_num(j, "local_rope_theta", what, &lt));
        if (lt < 0) lt = json_is_null(json_object_get(j, "local_rope_theta")) ? gt : 10000.0;
        c->norm_eps = (float)eps;
        c->global_theta = gt;
        c->local_theta = lt;
        FORWARD_ERR(json_get_bool(j, "norm_bias", what, &c->norm_bias));
        FORWARD_ERR(json_get_bool(j, "attention_bias", what, &c->attn_bias));
        FORWARD_ERR(json_get_bool(j, "mlp_bias", what, &c->mlp_bias));
        FORWARD_ERR(get_act(j, "hidden_activation", what, "gelu", &c->act));
        if (!(gt > 0) || !(lt > 0)) return err_set(ERR_FORMAT, "'%s': rope theta must be positive", what);
    } else if (!strcmp(mt, "bert") || !strcmp(mt, "roberta") || !strcmp(mt, "xlm-roberta")) {
        int roberta = strcmp(mt, "bert") != 0;
        c->arch = roberta ? MODEL_ROBERTA : MODEL_BERT;
        c->arch_name = roberta ? "RoBERTa" : "BERT";
        FORWARD_ERR(get_pos_int(j, "hidden_size", what, 768, 1 << 16, &c->hidden));
        FORWARD_ERR(get_pos_int(j, "num_hidden_layers", what, 12, 1024, &c->layers));
        FORWARD_ERR(get_pos_int(j, "num_attention_heads", what, 12, 1024, &c->heads));
        FORWARD_ERR(get_pos_int(j, "intermediate_size", what, 3072, 1 << 18, &c->intermediate));
        FORWARD_ERR(get_pos_int(j, "vocab_size", what, roberta ? 50265 : 30522, 1 << 24, &c->vocab));
        FORWARD_ERR(get_pos_int(j, "max_position_embeddings", what, 512, 1 << 20, &c->max_positions));
        FORWARD_ERR(get_pos_int(j, "type_vocab_size", what, 2, 1 << 16, &c->type_vocab));
        pad = roberta ? 1 : 0;
        double eps = 1e-12;
        FORWARD_ERR(json_get_num(j, "layer_norm_eps", what, &eps));
        c->norm_eps = (float)eps;
        FORWARD_ERR(get_act(j, "hidden_act", what, "gelu", &c->act));
        const char *pet = "absolute";
        FORWARD_ERR(json_get_str(j, "position_embedding_type", what, &pet));
        if (strcmp(pet, "absolute") != 0)
            return err_set(ERR_UNSUPPORTED, "'%s': position_embedding_type '%s' is not supported", what, pet);
        c->norm_bias = c->attn_bias = c->mlp_bias = 1;
    } else {
        return err_set(ERR_UNSUPPORTED,
                       "'%s': model_type '%s' (architecture '%s') is not supported "
                       "(supported: modernbert, bert, roberta, xlm-roberta)", what, mt, an);
    }
    FORWARD_ERR(json_get_int(j, "pad_token_id", what, &pad));
    if (pad < 0 || pad >= c->vocab)
        return err_set(ERR_FORMAT, "'%s': pad_token_id %lld outside the vocabulary (%d)", what, (long long)pad, c->vocab);
    c->pad_id = (int)pad;
    if (c->arch == MODEL_ROBERTA) {
        c->position_offset = c->pad_id + 1;
        if (c->position_offset >= c->max_positions)
            return err_set(ERR_FORMAT, "'%s': pad_token_id %d leaves no position embeddings (max %d)", what,
                           c->pad_id, c->max_positions);
    }
    if (c->hidden % c->heads)
        return err_set(ERR_FORMAT, "'%s': hidden_size %d is not a multiple of num_attention_heads %d", what,
                       c->hidden, c->heads);
    c->head_dim = c->hidden / c->heads;
    if (c->arch == MODEL_MODERNBERT && c->head_dim % 2)
        return err_set(ERR_FORMAT, "'%s': head size %d is odd (RoPE needs pairs)", what, c->head_dim);
    if (!(c->norm_eps >= 0) || !isfinite(c->norm_eps)) return err_set(ERR_FORMAT, "'%s': bad norm eps", what);
    return 0;
}

/* ---- Pooling ---- */

int mdl_parse_pooling(json_t *j, const char *what, int hidden, struct model_pooling *p)
{
    memset(p, 0, sizeof *p);
    if (!json_is_object(j)) return err_set(ERR_FORMAT, "'%s': not a JSON object", what);
    int64_t dim = hidden;
    FORWARD_ERR(json_get_int(j, "word_embedding_dimension", what, &dim));
    if (dim != hidden)
        return err_set(ERR_FORMAT, "'%s': word_embedding_dimension %lld differs from hidden_size %d", what,
                       (long long)dim, hidden);
    p->dim = hidden;
    p->include_prompt = 1;
    FORWARD_ERR(json_get_bool(j, "pooling_mode_cls_token", what, &p->cls));
    FORWARD_ERR(json_get_bool(j, "pooling_mode_max_tokens", what, &p->max));
    FORWARD_ERR(json_get_bool(j, "pooling_mode_mean_tokens", what, &p->mean));
    FORWARD_ERR(json_get_bool(j, "pooling_mode_mean_sqrt_len_tokens", what, &p->mean_sqrt_len));
    FORWARD_ERR(json_get_bool(j, "pooling_mode_weightedmean_tokens", what, &p->weighted_mean));
    FORWARD_ERR(json_get_bool(j, "pooling_mode_lasttoken", what, &p->last_token));
    FORWARD_ERR(json_get_bool(j, "include_prompt", what, &p->include_prompt));
    const char *mode = NULL; /* older configs may carry a single "pooling_mode" string */
    FORWARD_ERR(json_get_str(j, "pooling_mode", what, &mode));
    if (mode) {
        if (!strcmp(mode, "cls")) p->cls = 1;
        else if (!strcmp(mode, "max")) p->max = 1;
        else if (!strcmp(mode, "mean")) p->mean = 1;
        else if (!strcmp(mode, "mean_sqrt_len_tokens")) p->mean_sqrt_len = 1;
        else if (!strcmp(mode, "weightedmean")) p->weighted_mean = 1;
        else if (!strcmp(mode, "lasttoken")) p->last_token = 1;
        else return err_set(ERR_UNSUPPORTED, "'%s': pooling_mode '%s' is not supported", what, mode);
    }
    int n = p->cls + p->max + p->mean + p->mean_sqrt_len + p->weighted_mean + p->last_token;
    if (n == 0) return err_set(ERR_FORMAT, "'%s': no pooling mode is enabled", what);
    p->out_dim = n * hidden;
    return 0;
}

/* ---- loading helpers ---- */

static int keep(struct model *m, float *owned)
{
    if (!owned) return 0;
    if (MEM_GROW(m->owned, m->n_owned + 1, m->cap_owned) < 0) {
        mem_free(owned);
        return ERR_NOMEM;
    }
    m->owned[m->n_owned++] = owned;
    return 0;
}

/* tensor: load prefix+name as float32 of the given shape (1 or 2 dims). */
static int tensor(struct model *m, struct st_set *st, const char *prefix, const char *name, int64_t d0, int64_t d1,
                  const float **out)
{
    char full[256];
    snprintf(full, sizeof full, "%s%s", prefix, name);
    int64_t shape[2] = { d0, d1 };
    float *owned;
    FORWARD_ERR(st_get_f32(st, full, d1 ? 2 : 1, shape, out, &owned));
    FORWARD_ERR(keep(m, owned));
    /* a NaN or Inf weight makes every vector NaN: refuse the model here, naming
     * the tensor, instead of storing and indexing garbage (bit test: immune to
     * -ffast-math) */
    size_t count = (size_t)d0 * (size_t)(d1 ? d1 : 1);
    const uint32_t *bits = (const uint32_t *)(const void *)*out;
    for (size_t i = 0; i < count; i++)
        if ((bits[i] & 0x7f800000u) == 0x7f800000u) {
            const struct st_tensor *t = st_find(st, full);
            return err_set(ERR_FORMAT, "'%s': tensor '%s' holds a non-finite value (%s) at element %zu",
                           t ? st_file_name(st, t) : "?", full, bits[i] & 0x007fffffu ? "NaN" : "Inf", i);
        }
    return 0;
}

static int hash_file(struct hash_stream *h, const char *path)
{
    struct buf b = BUF_INIT;
    int rc = fs_read_file(path, &b, 64u << 20);
    if (rc == 0) hash_stream_update(h, b.data ? b.data : "", b.len + 1); /* content only: copies hash alike */
    buf_release(&b);
    return rc;
}

static int load_json(struct hash_stream *h, const char *dir, const char *name, json_t **out)
{
    struct buf p = BUF_INIT;
    int rc = fs_join(&p, dir, name);
    if (rc == 0) rc = json_load_path(p.data, 64u << 20, out);
    if (rc == 0 && h) rc = hash_file(h, p.data);
    buf_release(&p);
    return rc;
}

/* find the weight-name prefix: transformers saves bare model names, but
 * checkpoints of task heads carry "model." / "bert." / "roberta.". */
static const char *weight_prefix(const struct st_set *st, const struct model_config *c)
{
    static const char *prefixes[] = { "", "model.", "bert.", "roberta.", "encoder_model." };
    const char *probe = c->arch == MODEL_MODERNBERT ? "embeddings.tok_embeddings.weight" : "embeddings.word_embeddings.weight";
    for (size_t i = 0; i < sizeof prefixes / sizeof *prefixes; i++) {
        char full[128];
        snprintf(full, sizeof full, "%s%s", prefixes[i], probe);
        if (st_find(st, full)) return prefixes[i];
    }
    return "";
}

static int load_modernbert(struct model *m, const char *pre)
{
    const struct model_config *c = &m->cfg;
    struct st_set *st = m->st;
    int64_t H = c->hidden, I = c->intermediate;
    FORWARD_ERR(tensor(m, st, pre, "embeddings.tok_embeddings.weight", c->vocab, H, &m->tok_emb));
    FORWARD_ERR(tensor(m, st, pre, "embeddings.norm.weight", H, 0, &m->emb_ln_w));
    if (c->norm_bias) FORWARD_ERR(tensor(m, st, pre, "embeddings.norm.bias", H, 0, &m->emb_ln_b));
    FORWARD_ERR(tensor(m, st, pre, "final_norm.weight", H, 0, &m->final_norm_w));
    if (c->norm_bias) FORWARD_ERR(tensor(m, st, pre, "final_norm.bias", H, 0, &m->final_norm_b));
    for (int l = 0; l < c->layers; l++) {
        struct model_layer *L = &m->layers[l];
        char n[128];
#define T(name, d0, d1, dst) (snprintf(n, sizeof n, "layers.%d." name, l), tensor(m, st, pre, n, d0, d1, dst))
        const float *qkv, *bqkv = NULL;
        FORWARD_ERR(T("attn.Wqkv.weight", 3 * H, H, &qkv));
        L->wq = qkv;
        L->wk = qkv + H * H;
        L->wv = qkv + 2 * H * H;
        if (c->attn_bias) {
            FORWARD_ERR(T("attn.Wqkv.bias", 3 * H, 0, &bqkv));
            L->bq = bqkv;
            L->bk = bqkv + H;
            L->bv = bqkv + 2 * H;
            FORWARD_ERR(T("attn.Wo.bias", H, 0, &L->bo));
        }
        FORWARD_ERR(T("attn.Wo.weight", H, H, &L->wo));
        if (l > 0) {
            FORWARD_ERR(T("attn_norm.weight", H, 0, &L->ln1_w));
            if (c->norm_bias) FORWARD_ERR(T("attn_norm.bias", H, 0, &L->ln1_b));
        }
        FORWARD_ERR(T("mlp_norm.weight", H, 0, &L->ln2_w));
        if (c->norm_bias) FORWARD_ERR(T("mlp_norm.bias", H, 0, &L->ln2_b));
        FORWARD_ERR(T("mlp.Wi.weight", 2 * I, H, &L->wi));
        FORWARD_ERR(T("mlp.Wo.weight", H, I, &L->wo2));
        if (c->mlp_bias) {
            FORWARD_ERR(T("mlp.Wi.bias", 2 * I, 0, &L->bi));
            FORWARD_ERR(T("mlp.Wo.bias", H, 0, &L->bo2));
        }
#undef T
    }
    return 0;
}

static int load_bert(struct model *m, const char *pre)
{
    const struct model_config *c = &m->cfg;
    struct st_set *st = m->st;
    int64_t H = c->hidden, I = c->intermediate;
    FORWARD_ERR(tensor(m, st, pre, "embeddings.word_embeddings.weight", c->vocab, H, &m->tok_emb));
    FORWARD_ERR(tensor(m, st, pre, "embeddings.position_embeddings.weight", c->max_positions, H, &m->pos_emb));
    FORWARD_ERR(tensor(m, st, pre, "embeddings.token_type_embeddings.weight", c->type_vocab, H, &m->type_emb));
    FORWARD_ERR(tensor(m, st, pre, "embeddings.LayerNorm.weight", H, 0, &m->emb_ln_w));
    FORWARD_ERR(tensor(m, st, pre, "embeddings.LayerNorm.bias", H, 0, &m->emb_ln_b));
    for (int l = 0; l < c->layers; l++) {
        struct model_layer *L = &m->layers[l];
        char n[128];
#define T(name, d0, d1, dst) (snprintf(n, sizeof n, "encoder.layer.%d." name, l), tensor(m, st, pre, n, d0, d1, dst))
        FORWARD_ERR(T("attention.self.query.weight", H, H, &L->wq));
        FORWARD_ERR(T("attention.self.query.bias", H, 0, &L->bq));
        FORWARD_ERR(T("attention.self.key.weight", H, H, &L->wk));
        FORWARD_ERR(T("attention.self.key.bias", H, 0, &L->bk));
        FORWARD_ERR(T("attention.self.value.weight", H, H, &L->wv));
        FORWARD_ERR(T("attention.self.value.bias", H, 0, &L->bv));
        FORWARD_ERR(T("attention.output.dense.weight", H, H, &L->wo));
        FORWARD_ERR(T("attention.output.dense.bias", H, 0, &L->bo));
        FORWARD_ERR(T("attention.output.LayerNorm.weight", H, 0, &L->ln1_w));
        FORWARD_ERR(T("attention.output.LayerNorm.bias", H, 0, &L->ln1_b));
        FORWARD_ERR(T("intermediate.dense.weight", I, H, &L->wi));
        FORWARD_ERR(T("intermediate.dense.bias", I, 0, &L->bi));
        FORWARD_ERR(T("output.dense.weight", H, I, &L->wo2));
        FORWARD_ERR(T("output.dense.bias", H, 0, &L->bo2));
        FORWARD_ERR(T("output.LayerNorm.weight", H, 0, &L->ln2_w));
        FORWARD_ERR(T("output.LayerNorm.bias", H, 0, &L->ln2_b));
#undef T
    }
    return 0;
}

static int load_transformer(struct model *m, struct hash_stream *h, const char *tdir)
{
    json_t *cfg = NULL, *sb = NULL;
    struct buf p = BUF_INIT;
    int rc = load_json(h, tdir, "config.json", &cfg);
    if (rc < 0) goto out;
    if ((rc = fs_join(&p, tdir, "config.json")) < 0) goto out;
    if ((rc = mdl_parse_config(cfg, p.data, &m->cfg)) < 0) goto out;
    /* sentence_bert_config.json: max_seq_length (else the position limit) */
    int64_t msl = m->cfg.arch == MODEL_ROBERTA ? m->cfg.max_positions - m->cfg.position_offset
                                               : m->cfg.max_positions;
    if (m->cfg.arch != MODEL_MODERNBERT && msl > 512) msl = 512;
    rc = load_json(h, tdir, "sentence_bert_config.json", &sb);
    if (rc == ERR_NOTFOUND) {
        err_clear();
        rc = 0;
    } else if (rc < 0) {
        goto out;
    } else {
        if ((rc = fs_join(&p, tdir, "sentence_bert_config.json")) < 0) goto out;
        if ((rc = json_get_int(sb, "max_seq_length", p.data, &msl)) < 0) goto out;
        if ((rc = json_get_bool(sb, "do_lower_case", p.data, &m->do_lower_case)) < 0) goto out;
    }
    int64_t limit = m->cfg.max_positions - m->cfg.position_offset;
    if (msl <= 0 || msl > limit) { /* ModernBERT too: positions past the table make no sense */
        rc = err_set(ERR_FORMAT, "'%s': max_seq_length %lld exceeds the model's %lld positions", tdir,
                     (long long)msl, (long long)limit);
        goto out;
    }
    m->max_seq_length = (int)msl;
    if ((rc = st_open(tdir, &m->st)) < 0) goto out;
    if (!(m->layers = mem_calloc((size_t)m->cfg.layers, sizeof *m->layers))) {
        rc = err_nomem();
        goto out;
    }
    const char *pre = weight_prefix(m->st, &m->cfg);
    rc = m->cfg.arch == MODEL_MODERNBERT ? load_modernbert(m, pre) : load_bert(m, pre);
    if (rc == 0) st_hash(m->st, h);
out:
    buf_release(&p);
    json_decref(cfg);
    json_decref(sb);
    return rc;
}

static int load_dense(struct model *m, struct hash_stream *h, const char *ddir, int in_dim)
{
    json_t *cfg = NULL;
    struct buf p = BUF_INIT;
    int rc = load_json(h, ddir, "config.json", &cfg);
    if (rc < 0) goto out;
    struct model_dense *d = mem_realloc(m->dense, (size_t)(m->n_dense + 1) * sizeof *d);
    if (!d) {
        rc = err_nomem();
        goto out;
    }
    m->dense = d;
    d = &m->dense[m->n_dense++];
    memset(d, 0, sizeof *d);
    if ((rc = fs_join(&p, ddir, "config.json")) < 0) goto out;
    int64_t in = 0, outf = 0;
    int bias = 1;
    const char *act = "torch.nn.modules.activation.Tanh";
    if ((rc = json_get_int(cfg, "in_features", p.data, &in)) < 0 ||
        (rc = json_get_int(cfg, "out_features", p.data, &outf)) < 0 ||
        (rc = json_get_bool(cfg, "bias", p.data, &bias)) < 0 ||
        (rc = json_get_str(cfg, "activation_function", p.data, &act)) < 0)
        goto out;
    if (in != in_dim || outf <= 0 || outf > (1 << 20)) {
        rc = err_set(ERR_FORMAT, "'%s': in_features %lld / out_features %lld do not follow the previous width %d",
                     p.data, (long long)in, (long long)outf, in_dim);
        goto out;
    }
    if ((rc = mdl_act_from_name(act, &d->act)) < 0) {
        rc = err_set(ERR_UNSUPPORTED, "'%s': activation_function '%s' is not supported", p.data, act);
        goto out;
    }
    d->in = (int)in;
    d->out = (int)outf;
    if ((rc = fs_join(&p, ddir, "model.safetensors")) < 0) goto out;
    if (!fs_exists(p.data)) {
        rc = err_set(ERR_UNSUPPORTED, "'%s': Dense weights must be in model.safetensors (pytorch_model.bin is not read)",
                     ddir);
        goto out;
    }
    if ((rc = st_open(p.data, &d->st)) < 0) goto out;
    if ((rc = tensor(m, d->st, "", "linear.weight", outf, in, &d->w)) < 0) goto out;
    if (bias && (rc = tensor(m, d->st, "", "linear.bias", outf, 0, &d->b)) < 0) goto out;
    st_hash(d->st, h);
out:
    buf_release(&p);
    json_decref(cfg);
    return rc;
}

/* inside_dir: the module directory sub (entry i of modules.json, given as
 * path) must resolve under the model directory: a symlink such as
 * "evil -> ../other/1_Pooling" would otherwise load another model's files.
 * A path that does not resolve is left to the loader's own error. */
static int inside_dir(const char *modules_json, size_t i, const char *path, const char *dir, const char *sub)
{
    char *rdir = realpath(dir, NULL), *rsub = realpath(sub, NULL);
    int rc = 0;
    if (!rdir || !rsub) {
        if (errno == ENOMEM) rc = err_nomem();
    } else {
        size_t n = strlen(rdir);
        int under = !strncmp(rsub, rdir, n) && (rsub[n] == '/' || rsub[n] == 0 || (n == 1 && rdir[0] == '/'));
        if (!under)
            rc = err_set(ERR_FORMAT, "'%s': module %zu path '%s' resolves to '%s', outside the model directory '%s'",
                         modules_json, i, path, rsub, rdir);
    }
    free(rdir);
    free(rsub);
    return rc;
}

static int load_modules(struct model *m, struct hash_stream *h, const char *dir)
{
    json_t *mods = NULL, *pc = NULL;
    struct buf p = BUF_INIT, sub = BUF_INIT;
    int rc = load_json(h, dir, "modules.json", &mods);
    if (rc < 0) return rc;
    if ((rc = fs_join(&p, dir, "modules.json")) < 0) goto out;
    if (!json_is_array(mods) || json_array_size(mods) == 0) {
        rc = err_set(ERR_FORMAT, "'%s': expected a non-empty array of modules", p.data);
        goto out;
    }
    int width = 0, have_pool = 0;
    for (size_t i = 0; i < json_array_size(mods); i++) {
        json_t *mo = json_array_get(mods, i);
        const char *type = NULL, *path = "";
        if (!json_is_object(mo) || (rc = json_get_str(mo, "type", p.data, &type)) < 0 ||
            (rc = json_get_str(mo, "path", p.data, &path)) < 0)
            goto out;
        if (!type) {
            rc = err_set(ERR_FORMAT, "'%s': module %zu has no type", p.data, i);
            goto out;
        }
        if (strstr(path, "..") || path[0] == '/') {
            rc = err_set(ERR_FORMAT, "'%s': module path '%s' leaves the model directory", p.data, path);
            goto out;
        }
        const char *t = !strncmp(type, MODULE_PREFIX, strlen(MODULE_PREFIX)) ? type + strlen(MODULE_PREFIX) : type;
        if (*path) {
            if ((rc = fs_join(&sub, dir, path)) < 0) goto out;
            if ((rc = inside_dir(p.data, i, path, dir, sub.data)) < 0) goto out;
        } else {
            buf_reset(&sub);
            if ((rc = buf_puts(&sub, dir)) < 0) goto out;
        }
        if (i == 0) {
            if (strcmp(t, "Transformer") != 0) {
                rc = err_set(ERR_UNSUPPORTED, "'%s': the first module must be a Transformer, not '%s'", p.data, type);
                goto out;
            }
            if ((rc = load_transformer(m, h, sub.data)) < 0) goto out;
            width = m->cfg.hidden;
        } else if (!strcmp(t, "Pooling") && !have_pool && i == 1) {
            struct buf pp = BUF_INIT;
            rc = fs_join(&pp, sub.data, "config.json");
            if (rc == 0) rc = load_json(h, sub.data, "config.json", &pc);
            if (rc == 0) rc = mdl_parse_pooling(pc, pp.data, m->cfg.hidden, &m->pool);
            buf_release(&pp);
            if (rc < 0) goto out;
            have_pool = 1;
            width = m->pool.out_dim;
        } else if (!strcmp(t, "Dense") && have_pool && !m->normalize) {
            if ((rc = load_dense(m, h, sub.data, width)) < 0) goto out;
            width = m->dense[m->n_dense - 1].out;
        } else if (!strcmp(t, "Normalize") && have_pool) {
            m->normalize = 1;
        } else {
            rc = err_set(ERR_UNSUPPORTED, "'%s': module %zu '%s' is not supported here "
                         "(supported: Transformer, Pooling, Dense, Normalize, in that order)", p.data, i, type);
            goto out;
        }
    }
    if (!have_pool) {
        rc = err_set(ERR_UNSUPPORTED, "'%s': no Pooling module (token embeddings output is not supported)", p.data);
        goto out;
    }
    m->out_dim = width;
out:
    buf_release(&p);
    buf_release(&sub);
    json_decref(mods);
    json_decref(pc);
    return rc;
}

int mdl_load(const char *dir, struct model **out)
{
    *out = NULL;
    if (!fs_is_dir(dir)) return err_set(ERR_NOTFOUND, "'%s': no such model directory", dir);
    struct model *m = mem_calloc(1, sizeof *m);
    struct hash_stream *h = hash_stream_create();
    if (!m || !h || !(m->dir = mem_strdup(dir))) {
        mem_free(m);
        if (h) hash_stream_free(h);
        return err_nomem();
    }
    int rc = load_modules(m, h, dir);
    if (rc < 0) {
        hash_stream_free(h);
        mdl_free(m);
        return rc;
    }
    hash_hex128(hash_stream_digest(h), m->fingerprint);
    hash_stream_free(h);
    *out = m;
    return 0;
}

void mdl_free(struct model *m)
{
    if (!m) return;
    for (size_t i = 0; i < m->n_owned; i++) mem_free(m->owned[i]);
    mem_free(m->owned);
    for (int i = 0; i < m->n_dense; i++) st_close(m->dense[i].st);
    mem_free(m->dense);
    mem_free(m->layers);
    st_close(m->st);
    mem_free(m->dir);
    mem_free(m);
}
