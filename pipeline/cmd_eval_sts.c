/*
 * cmd_eval_sts.c - `semindex eval-sts`: the EmbeddingSimilarityEvaluator
 * table of a model on an STS pairs file (KorSTS / STS-B tsv), so a model
 * card's sts_dev numbers can be reproduced with one command.
 *
 * The pairs file is tab separated with a header line naming at least the
 * columns score, sentence1 and sentence2 (KorSTS: genre filename year id
 * score sentence1 sentence2). Lines are split on TAB only, no quoting, as the
 * KorSTS README asks. Gold scores are divided by --score-scale (the
 * correlations do not depend on it).
 */
#include <errno.h>
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/buf.h"
#include "common/err.h"
#include "common/jsonl.h"
#include "common/log.h"
#include "common/mem.h"
#include "common/utf8.h"
#include "ingest/encoder/encoder.h"
#include "pipeline/cli.h"
#include "pipeline/opts.h"
#include "query/eval.h"

struct eval_sts_options {
    struct cli_encoder enc;
    char *pairs;
    double score_scale;
    int json;
    int compare;    /* --compare-f32: a reduced precision's table beside f32's */
};

#define O(f) offsetof(struct eval_sts_options, f)
static const struct opt eval_sts_opts[] = {
    OPT("pairs", 0, OPT_STR, O(pairs), "FILE", "tab-separated pairs with a header naming\n"
      "score, sentence1, sentence2 ('-' = stdin)", .flags = OPT_REQUIRED),
    OPT("score-scale", 0, OPT_NUM, O(score_scale), "S", "divide gold scores by S", .lo = 1e-9, .hi = 1e9,
        .def = "5"),
    OPT("json", 0, OPT_FLAG, O(json), NULL, "one JSON object instead of '<metric> <value>'\nlines"),
    OPT("compare-f32", 0, OPT_BOOL, O(compare), NULL, "with --precision bf16|int8, also encode at f32\n"
        "in the same run and print its table beside,\nas f32_<metric>", .def = "yes"),
};
static const struct opt_group eval_sts_groups[] = {
    CLI_ENCODER_GROUP(O(enc)),
    OPT_GROUP(eval_sts_opts, 0, NULL),
};
#undef O
static const struct opts_cmd eval_sts_cmd = { .name = "eval-sts", .groups = eval_sts_groups, .n_groups = 2 };

struct sts_pairs {
    char **s1, **s2;
    size_t *l1, *l2;
    double *gold;
    size_t n, cap;
};

static void pairs_release(struct sts_pairs *p)
{
    for (size_t i = 0; i < p->n; i++) mem_free(p->s1[i]), mem_free(p->s2[i]);
    mem_free(p->s1); mem_free(p->s2); mem_free(p->l1); mem_free(p->l2); mem_free(p->gold);
    memset(p, 0, sizeof *p);
}

static int grow(void **p, size_t cap, size_t size)
{
    void *q = mem_realloc(*p, cap * size);
    if (!q) return err_set(ERR_NOMEM, "out of memory reading pairs");
    *p = q;
    return 0;
}

static int push_text(char **dst, size_t *len, const char *s, size_t n)
{
    struct buf b = BUF_INIT;
    long bad = utf8_sanitize(&b, s, n);
    if (bad < 0) { buf_release(&b); return (int)bad; }
    *dst = buf_detach(&b, len);
    if (!*dst) *dst = mem_strdup("");
    return *dst ? 0 : err_set(ERR_NOMEM, "out of memory reading pairs");
}

/* split line on TAB into at most max fields; returns the field count */
static int split_tabs(char *line, char **f, int max)
{
    int n = 0;
    f[n++] = line;
    for (char *p = line; *p && n < max; p++)
        if (*p == '\t') { *p = 0; f[n++] = p + 1; }
    return n;
}

static int read_pairs(const char *path, struct sts_pairs *out)
{
    memset(out, 0, sizeof *out);
    int is_stdin = !strcmp(path, "-");
    FILE *f = is_stdin ? stdin : fopen(path, "rb");
    if (!f) return err_set(errno == ENOENT ? ERR_NOTFOUND : ERR_IO, "cannot open '%s': %s", path,
                           strerror(errno));
    char *line = NULL, *field[64];
    size_t cap = 0;
    ssize_t len;
    long lineno = 0;
    int rc = 0, c_score = -1, c_s1 = -1, c_s2 = -1, need = 0;
    while ((len = getline(&line, &cap, f)) >= 0) {
        lineno++;
        if (len && line[len - 1] == '\n') line[--len] = 0;
        if (len && line[len - 1] == '\r') line[--len] = 0;
        if ((size_t)len != strlen(line)) {
            rc = err_set(ERR_FORMAT, "'%s' line %ld: NUL byte in line", path, lineno);
            break;
        }
        int nf = split_tabs(line, field, 64);
        if (lineno == 1) {
            for (int i = 0; i < nf; i++) {
                if (!strcmp(field[i], "score")) c_score = i;
                else if (!strcmp(field[i], "sentence1")) c_s1 = i;
                else if (!strcmp(field[i], "sentence2")) c_s2 = i;
            }
            if (c_score < 0 || c_s1 < 0 || c_s2 < 0) {
                rc = err_set(ERR_FORMAT, "'%s' line 1: header must name the columns score, "
                             "sentence1 and sentence2", path);
                break;
            }
            need = (c_score > c_s1 ? c_score : c_s1);
            need = (need > c_s2 ? need : c_s2) + 1;
            continue;
        }
        if (len == 0) continue;
        if (nf < need) {
            rc = err_set(ERR_FORMAT, "'%s' line %ld: %d fields, expected at least %d", path, lineno,
                         nf, need);
            break;
        }
        char *end;
        errno = 0;
        double g = strtod(field[c_score], &end);
        if (end == field[c_score] || *end || errno || !isfinite(g)) {
            rc = err_set(ERR_FORMAT, "'%s' line %ld: bad score '%.40s'", path, lineno, field[c_score]);
            break;
        }
        if (out->n == out->cap) {
            size_t nc = out->cap ? 2 * out->cap : 1024;
            if ((rc = grow((void **)&out->s1, nc, sizeof(char *))) < 0 ||
                (rc = grow((void **)&out->s2, nc, sizeof(char *))) < 0 ||
                (rc = grow((void **)&out->l1, nc, sizeof(size_t))) < 0 ||
                (rc = grow((void **)&out->l2, nc, sizeof(size_t))) < 0 ||
                (rc = grow((void **)&out->gold, nc, sizeof(double))) < 0)
                break;
            out->cap = nc;
        }
        size_t i = out->n;
        out->s2[i] = NULL;
        if ((rc = push_text(&out->s1[i], &out->l1[i], field[c_s1], strlen(field[c_s1]))) < 0) break;
        if ((rc = push_text(&out->s2[i], &out->l2[i], field[c_s2], strlen(field[c_s2]))) < 0) {
            mem_free(out->s1[i]);
            break;
        }
        out->gold[i] = g;
        out->n++;
    }
    if (rc == 0 && lineno == 0) rc = err_set(ERR_FORMAT, "'%s' is empty (no header line)", path);
    if (rc == 0 && ferror(f)) rc = err_set(ERR_IO, "cannot read '%s': %s", path, strerror(errno));
    free(line);
    if (!is_stdin) fclose(f);
    if (rc < 0) pairs_release(out);
    return rc;
}

/* print_metrics: "name value" lines, or with json one object on one line
 * (10 significant digits; an undefined correlation is nan / null); ref, when
 * given, is f32's table, printed after it as "f32_<name> value" */
static int print_metrics(const struct eval_sts *r, const struct eval_sts *ref, int json)
{
    const struct eval_sts *tab[2] = { r, ref };
    if (!json) {
        for (int t = 0; t < 2 && tab[t]; t++)
            for (int i = 0; i < EVAL_STS_N_METRICS; i++) {
                double v = tab[t]->value[i];
                printf("%s%s ", t ? "f32_" : "", eval_sts_metric_name(i));
                if (isnan(v)) printf("nan\n");
                else printf("%.10g\n", v);
            }
        return 0;
    }
    struct buf line = BUF_INIT, key = BUF_INIT;
    struct jsonl_row row;
    jsonl_begin(&row, &line);
    for (int t = 0; t < 2 && tab[t]; t++)
        for (int i = 0; i < EVAL_STS_N_METRICS; i++) {
            buf_reset(&key);
            buf_printf(&key, "%s%s", t ? "f32_" : "", eval_sts_metric_name(i));
            jsonl_real(&row, key.data, tab[t]->value[i], 10);
        }
    int rc = jsonl_end(&row);
    if (rc == 0) fwrite(line.data, 1, line.len, stdout);
    buf_release(&line);
    buf_release(&key);
    return rc;
}

/* evaluate: encode both columns of p with the encoder o describes and
 * score them into r (emb: 2 n x dim floats of scratch) */
static int evaluate(const struct cli_encoder *o, const struct sts_pairs *p, struct eval_sts *r)
{
    struct enc *e = NULL;
    float *emb = NULL;
    int rc = cli_encoder_create(o, NULL, &e);
    if (rc < 0) return rc;
    size_t dim = (size_t)enc_dim(e);
    emb = mem_alloc_array(2 * p->n, dim * sizeof(float));
    if (!emb) rc = err_set(ERR_NOMEM, "out of memory for %zu embeddings", 2 * p->n);
    if (rc == 0) {
        log_info("eval-sts: %zu pairs, model '%s' (dim %zu, %s)", p->n, o->model, dim,
                 enc_precision_name(o->precision));
        if ((rc = enc_encode(e, (const char *const *)p->s1, p->l1, p->n, emb, NULL)) == 0)
            rc = enc_encode(e, (const char *const *)p->s2, p->l2, p->n, emb + p->n * dim, NULL);
    }
    if (rc == 0) rc = eval_sts(emb, emb + p->n * dim, p->n, (int)dim, p->gold, r);
    mem_free(emb);
    enc_free(e);
    return rc;
}

int cmd_eval_sts(int argc, char **argv)
{
    struct eval_sts_options o = { .score_scale = 5.0, .compare = 1 };
    int first, rc = opts_parse(&eval_sts_cmd, &o, argc, argv, &first);
    if (rc != OPTS_CONTINUE) return rc;
    const char *pairs_path = o.pairs;

    rc = EXIT_FAIL;
    struct sts_pairs p = { 0 };
    if (read_pairs(pairs_path, &p) < 0) { rc = cli_fail(NULL); goto out; }
    if (p.n < 2) {
        fprintf(stderr, "error: '%s': need at least 2 pairs, found %zu\n", pairs_path, p.n);
        goto out;
    }
    for (size_t i = 0; i < p.n; i++) p.gold[i] /= o.score_scale;
    struct eval_sts r, ref;
    int with_ref = o.compare && o.enc.precision != ENC_F32;
    if (evaluate(&o.enc, &p, &r) < 0) { rc = cli_fail(NULL); goto out; }
    if (with_ref) {
        struct cli_encoder f32 = o.enc;
        f32.precision = ENC_F32;
        if (evaluate(&f32, &p, &ref) < 0) { rc = cli_fail("at f32"); goto out; }
    }
    if (print_metrics(&r, with_ref ? &ref : NULL, o.json) < 0) { rc = cli_fail(NULL); goto out; }
    rc = EXIT_OK;
out:
    pairs_release(&p);
    opts_release(&eval_sts_cmd, &o);
    return rc;
}
