/*
 * cmd_merge.c - `semindex merge`: part stores into one store (index/store/merge.h).
 *
 * Exit: 0 merged; 1 failure (a part refused, store error, lock held); 2 usage.
 */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "err.h"
#include "index/store/merge.h"
#include "log.h"

static const char usage_str[] =
    "usage: semindex merge --store OUT [options] PART_STORE...\n"
    "\n"
    "  -s, --store OUT     the merged store (created when absent)\n"
    "  --stats-json FILE   write the merge's statistics as JSON to FILE ('-' = stdout)\n"
    "  -q, -v              quieter, more verbose\n"
    "\n"
    "Merges the stores of `semindex ingest --part I/N` into OUT so that it equals one\n"
    "ingest of the whole corpus (the same ids, texts, provenance and vectors). The order\n"
    "of the parts does not matter; vectors are copied, never re-embedded. Run again, it\n"
    "adds only the shards OUT lacks (new parts, a re-run task), and a merge killed at any\n"
    "point and run again gives the same store. A part with another model, dimension,\n"
    "vector type, segmentation settings or schema, or with a shard still in progress,\n"
    "is refused by name.\n";

int cmd_merge(int argc, char **argv)
{
    static const struct option longopts[] = {
        { "store", required_argument, NULL, 's' },
        { "stats-json", required_argument, NULL, 'j' },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    const char *out_dir = NULL, *stats_json = NULL;
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, ":s:hqv", longopts, NULL)) != -1) {
        switch (c) {
        case 's': out_dir = optarg; break;
        case 'j': stats_json = optarg; break;
        case 'h': fputs(usage_str, stdout); return EXIT_OK;
        case 'q': case 'v': cli_common_opt(c); break;
        default: return cli_bad_option(usage_str, c, argv);
        }
    }
    if (!out_dir) return cli_usage_error(usage_str, "--store is required");
    if (optind >= argc) return cli_usage_error(usage_str, "no part stores given");
    struct store *s = NULL;
    if (store_open(out_dir, STORE_CREATE, &s) < 0) return cli_fail(NULL);
    struct merge_stats st = { 0 };
    int rc = store_merge(s, (const char *const *)argv + optind, (size_t)(argc - optind), &st);
    log_info("merge: %llu parts, %llu shards (%llu new, %llu changed, %llu resumed, %llu already merged), "
             "%llu docs, %llu chunks (%llu took the vector of a text already merged), %.2fs",
             (unsigned long long)st.parts, (unsigned long long)st.shards_seen, (unsigned long long)st.shards_new,
             (unsigned long long)st.shards_changed, (unsigned long long)st.shards_resumed,
             (unsigned long long)st.shards_skipped, (unsigned long long)st.docs, (unsigned long long)st.chunks,
             (unsigned long long)st.duplicates, st.t_total);
    if (stats_json) {
        FILE *f = strcmp(stats_json, "-") ? fopen(stats_json, "w") : stdout;
        if (f) {
            fprintf(f,
                    "{\"parts\": %llu, \"shards\": %llu, \"shards_new\": %llu, \"shards_changed\": %llu, "
                    "\"shards_resumed\": %llu, \"shards_skipped\": %llu, \"docs\": %llu, \"chunks\": %llu, "
                    "\"duplicates\": %llu, \"deleted\": %llu, \"seconds\": %.3f}\n",
                    (unsigned long long)st.parts, (unsigned long long)st.shards_seen,
                    (unsigned long long)st.shards_new, (unsigned long long)st.shards_changed,
                    (unsigned long long)st.shards_resumed, (unsigned long long)st.shards_skipped,
                    (unsigned long long)st.docs, (unsigned long long)st.chunks, (unsigned long long)st.duplicates,
                    (unsigned long long)st.deleted, st.t_total);
            if (f != stdout) fclose(f);
        } else {
            log_error("cannot write '%s'", stats_json);
        }
    }
    int ex = rc < 0 ? cli_fail(NULL) : EXIT_OK;
    store_close(s);
    return ex;
}
