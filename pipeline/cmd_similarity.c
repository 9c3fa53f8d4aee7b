/*
 * cmd_similarity.c - `semindex similarity`: texts in, their cosine
 * similarity matrix out, like sentence-transformers'
 * model.similarity(model.encode(texts), model.encode(texts)).
 *
 * Output: n lines of n tab-separated values (row i = text i), %.6f.
 */
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "common/err.h"
#include "common/mem.h"
#include "index/ann/ann.h"
#include "ingest/encoder/encoder.h"
#include "pipeline/cli.h"
#include "pipeline/opts.h"

struct similarity_options {
    struct cli_encoder enc;
    struct cli_input in;
};

#define O(f) offsetof(struct similarity_options, f)
static const struct opt_group similarity_groups[] = {
    CLI_ENCODER_GROUP(O(enc)),
    CLI_INPUT_GROUP(O(in)),
};
#undef O
static const struct opts_cmd similarity_cmd = {
    .name = "similarity", .groups = similarity_groups, .n_groups = 2,
    .outro = "Prints the n x n cosine similarity matrix, one tab-separated row per text.\n",
};

int cmd_similarity(int argc, char **argv)
{
    struct similarity_options o = { .in = CLI_INPUT_INIT };
    int first, rc = opts_parse(&similarity_cmd, &o, argc, argv, &first);
    if (rc != OPTS_CONTINUE) return rc;

    rc = EXIT_FAIL;
    struct cli_texts t = { 0 };
    struct enc *e = NULL;
    float *v = NULL;
    if (cli_input_read(&o.in, &t) < 0 || cli_encoder_create(&o.enc, NULL, &e) < 0) { rc = cli_fail(NULL); goto out; }
    int dim = enc_dim(e);
    v = mem_alloc_array(t.n ? t.n : 1, (size_t)dim * sizeof(float));
    if (!v) { err_set(ERR_NOMEM, "out of memory for %zu embeddings", t.n); rc = cli_fail(NULL); goto out; }
    if (enc_encode(e, (const char *const *)t.text, t.len, t.n, v, NULL) < 0) {
        rc = cli_fail("cannot encode");
        goto out;
    }
    /* cos_sim normalizes with max(norm, eps); a zero row gives zeros */
    ann_normalize(v, (int64_t)t.n, dim);
    for (size_t i = 0; i < t.n; i++) {
        const float *a = v + i * (size_t)dim;
        for (size_t j = 0; j < t.n; j++) {
            const float *b = v + j * (size_t)dim;
            double s = 0;
            for (int k = 0; k < dim; k++) s += (double)a[k] * b[k];
            printf("%s%.6f", j ? "\t" : "", s);
        }
        putchar('\n');
    }
    rc = EXIT_OK;
out:
    mem_free(v);
    enc_free(e);
    cli_texts_release(&t);
    opts_release(&similarity_cmd, &o);
    return rc;
}
