/*
 * cmd_stats.c - `semindex stats`: what a store holds (store_info), as text
 * or as one JSON object (the output contract of issue 5: at least shards,
 * docs, chunks, vectors, dim, model).
 */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "err.h"
#include "index/store/store.h"
#include "log.h"
#include "json.h"

static const char usage_str[] =
    "usage: semindex stats --store DIR [--json]\n"
    "\n"
    "  -s, --store DIR   the store\n"
    "  --json            one JSON object instead of text\n"
    "  -q, -v            quieter, more verbose\n"
    "\n"
    "Prints the model, dimension, vector type, generation and the counts of shards,\n"
    "documents, chunks and vectors. Reading never blocks a running ingest.\n";

int cmd_stats(int argc, char **argv)
{
    static const struct option longopts[] = {
        { "store", required_argument, NULL, 's' },
        { "json", no_argument, NULL, 'j' },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    const char *dir = NULL;
    int json = 0, c;
    optind = 1;
    while ((c = getopt_long(argc, argv, ":s:hqv", longopts, NULL)) != -1) {
        switch (c) {
        case 's': dir = optarg; break;
        case 'j': json = 1; break;
        case 'h': fputs(usage_str, stdout); return EXIT_OK;
        case 'q': case 'v': cli_common_opt(c); break;
        default: return cli_bad_option(usage_str, c, argv);
        }
    }
    if (optind < argc) return cli_usage_error(usage_str, "unexpected argument '%s'", argv[optind]);
    if (!dir) return cli_usage_error(usage_str, "--store is required");
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
