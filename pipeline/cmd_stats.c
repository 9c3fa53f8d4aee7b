/*
 * cmd_stats.c - `semindex stats`: what a store holds (store_info), as text
 * or as one JSON object (the output contract of issue 5: at least shards,
 * docs, chunks, vectors, dim, model).
 */
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "common/err.h"
#include "common/json.h"
#include "common/log.h"
#include "index/store/store.h"
#include "pipeline/cli.h"
#include "pipeline/opts.h"

struct stats_options {
    char *store;
    int json;
};

#define O(f) offsetof(struct stats_options, f)
static const struct opt stats_opts[] = {
    CLI_OPT_STORE(O(store)),
    OPT("json", 0, OPT_FLAG, O(json), NULL, "one JSON object instead of text"),
};
#undef O
static const struct opt_group stats_groups[] = { OPT_GROUP(stats_opts, 0, NULL) };
static const struct opts_cmd stats_cmd = {
    .name = "stats", .groups = stats_groups, .n_groups = 1,
    .outro = "Prints the model, dimension, vector type, generation and the counts of shards,\n"
             "documents, chunks and vectors. Reading never blocks a running ingest.\n",
};

/* stats: print what the store at dir holds; the exit status. */
static int stats(const char *dir, int json)
{
    struct store *s;
    if (store_open(dir, STORE_RDONLY, &s) < 0) return cli_fail(NULL);
    struct store_info in;
    int rc = store_info(s, &in);
    store_close(s);
    if (rc < 0) return cli_fail(NULL);
    const char *dtype = in.dtype == STORE_F16 ? "f16" : "f32";
    if (json) {
        struct buf b = BUF_INIT;
        json_t *j = json_pack("{so so ss ss si ss si sI sI sI sI sI sI sb sI sI}", "store", json_str(dir, strlen(dir)),
                              "model", json_str(in.model, strlen(in.model)), "fingerprint", in.fingerprint,
                              "precision", in.precision, "dim", in.dim, "dtype", dtype, "schema", in.schema,
                              "generation", (json_int_t)in.generation, "shards", (json_int_t)in.n_shards,
                              "shards_in_progress", (json_int_t)in.n_shards_open, "docs", (json_int_t)in.n_docs,
                              "chunks", (json_int_t)in.n_chunks, "vectors", (json_int_t)in.n_vectors,
                              "zstd_dictionary", in.has_dict, "file_bytes", (json_int_t)in.file_size,
                              "map_bytes", (json_int_t)in.map_size);
        rc = json_dump_buf(j, JSON_DUMP_FLAGS, &b);
        json_decref(j);
        if (rc < 0 || buf_putc(&b, '\n') < 0) {
            buf_release(&b);
            return cli_fail(NULL);
        }
        fwrite(b.data, 1, b.len, stdout);
        buf_release(&b);
    } else {
        printf("store       %s\n", dir);
        printf("model       %s\n", in.model[0] ? in.model : "(none yet)");
        printf("fingerprint %s\n", in.fingerprint[0] ? in.fingerprint : "-");
        printf("precision   %s\n", in.precision);
        printf("dim         %d (%s)\n", in.dim, dtype);
        printf("generation  %llu\n", (unsigned long long)in.generation);
        printf("shards      %llu done, %llu in progress\n", (unsigned long long)in.n_shards,
               (unsigned long long)in.n_shards_open);
        printf("docs        %llu\n", (unsigned long long)in.n_docs);
        printf("chunks      %llu\n", (unsigned long long)in.n_chunks);
        printf("vectors     %llu\n", (unsigned long long)in.n_vectors);
        printf("dictionary  %s\n", in.has_dict ? "yes" : "no");
        printf("file        %.1f MB (map %.1f MB)\n", (double)in.file_size / 1e6, (double)in.map_size / 1e6);
    }
    return EXIT_OK;
}

int cmd_stats(int argc, char **argv)
{
    struct stats_options o = { 0 };
    int first, rc = opts_parse(&stats_cmd, &o, argc, argv, &first);
    if (rc != OPTS_CONTINUE) return rc;
    rc = stats(o.store, o.json);
    opts_release(&stats_cmd, &o);
    return rc;
}

