/*
 * model.h - a sentence-transformers model directory, loaded as it was saved.
 *
 *     dir/modules.json                 [{"idx","name","path","type"}, ...] in pipeline order
 *     dir/sentence_bert_config.json    {"max_seq_length": N, "do_lower_case": b}
 *     dir/config.json                  transformers config: every hyperparameter
 *     dir/model.safetensors            (or model.safetensors.index.json + shards)
 *     dir/<pooling>/config.json        Pooling modes
 *     dir/<dense>/config.json          Dense: in/out features, bias, activation_function
 *     dir/<dense>/model.safetensors    linear.weight [out, in], linear.bias [out]
 *     <Normalize>                      no files
 *
 * Supported: module types sentence_transformers.models.{Transformer, Pooling,
 * Dense, Normalize} (in this order, Dense repeatable); architectures
 * ModernBertModel (model_type "modernbert"), BertModel ("bert") and
 * RobertaModel / XLMRobertaModel ("roberta", "xlm-roberta"). Anything else
 * is ERR_UNSUPPORTED naming it. Shapes of all tensors are checked against
 * config.json (ERR_FORMAT naming file and tensor).
 *
 * Weight pointers point into the read-only mappings when the tensor is F32
 * (no copy); F16/BF16 tensors are converted once to F32 at load time.
 *
 *     struct model *m;
 *     if (mdl_load("models/ko-sts", &m) < 0) die(err_msg());
 *     ... m->cfg.hidden ..., m->layers[l].wqkv ...
 *     mdl_free(m);
 */
#ifndef SEMINDEX_MODEL_H
#define SEMINDEX_MODEL_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

enum model_arch { MODEL_MODERNBERT, MODEL_BERT, MODEL_ROBERTA };

enum model_act { ACT_IDENTITY, ACT_TANH, ACT_RELU, ACT_GELU, ACT_GELU_TANH, ACT_SIGMOID, ACT_SILU };

struct model_config {
    enum model_arch arch;
    const char *arch_name;   /* static string for messages */
    int hidden, layers, heads, head_dim, intermediate, vocab;
    int max_positions;       /* max_position_embeddings */
    int pad_id;
    int type_vocab;          /* BERT: token_type_embeddings rows */
    int position_offset;     /* RoBERTa: padding_idx + 1; else 0 */
    float norm_eps;
    enum model_act act;      /* hidden_activation / hidden_act */
    /* ModernBERT */
    int local_attention;     /* window: |i - j| <= local_attention / 2 */
    int global_every;        /* layer l is global when l % global_every == 0 */
    double global_theta, local_theta;
    int norm_bias, attn_bias, mlp_bias;
};

/* One transformer layer. Linear weights are [out, in] (PyTorch layout);
 * biases are NULL when the architecture has none. ModernBERT: wq/wk/wv are
 * the three [hidden, hidden] row blocks of Wqkv (contiguous, fused_qkv set),
 * ln1 is attn_norm (NULL for layer 0 = identity), ln2 is mlp_norm, wi is Wi
 * [2*intermediate, hidden] (GeGLU input | gate). BERT/RoBERTa: ln1 is the
 * attention output LayerNorm, ln2 the output LayerNorm (post-LN). */
struct model_layer {
    const float *wq, *wk, *wv, *bq, *bk, *bv;
    const float *wo, *bo;
    const float *ln1_w, *ln1_b, *ln2_w, *ln2_b;
    const float *wi, *bi, *wo2, *bo2;
};

struct model_pooling {
    int cls, max, mean, mean_sqrt_len, weighted_mean, last_token, include_prompt;
    int dim;                 /* word_embedding_dimension */
    int out_dim;             /* dim * number of modes */
};

struct model_dense {
    int in, out;
    const float *w, *b;      /* [out, in], [out] or NULL */
    enum model_act act;
    struct st_set *st;
};

struct model {
    char *dir;
    struct model_config cfg;
    int max_seq_length;      /* truncation length incl. special tokens */
    int do_lower_case;
    struct st_set *st;
    /* embeddings */
    const float *tok_emb, *pos_emb, *type_emb, *emb_ln_w, *emb_ln_b;
    const float *final_norm_w, *final_norm_b;   /* ModernBERT final_norm */
    struct model_layer *layers;
    struct model_pooling pool;
    struct model_dense *dense;
    int n_dense;
    int normalize;           /* a Normalize module is present */
    int out_dim;             /* width of the final embedding */
    char fingerprint[33];    /* hash of configs and weights */
    float **owned;           /* converted tensors to free */
    size_t n_owned, cap_owned;
};

/* mdl_load: load dir. Errors: ERR_NOTFOUND, ERR_FORMAT, ERR_UNSUPPORTED, ERR_NOMEM. */
int mdl_load(const char *dir, struct model **out);
void mdl_free(struct model *m);

/* mdl_parse_config: fill c from a parsed config.json (the fuzz entry
 * point; what names the file in messages). */
int mdl_parse_config(json_t *j, const char *what, struct model_config *c);

/* mdl_parse_pooling: fill p from a parsed 1_Pooling/config.json. */
int mdl_parse_pooling(json_t *j, const char *what, int hidden, struct model_pooling *p);

/* mdl_act_from_name: "gelu", "gelu_pytorch_tanh", "torch.nn.modules.activation.Tanh", ... */
int mdl_act_from_name(const char *name, enum model_act *out);
const char *mdl_act_name(enum model_act a);

#endif
