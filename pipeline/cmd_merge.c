/*
 * cmd_merge.c - `semindex merge`: part stores into one store (index/store/merge.h).
 *
 * Exit: 0 merged; 1 failure (a part refused, store error, lock held); 2 usage.
 */
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "err.h"
#include "fsutil.h"
#include "index/store/merge.h"
#include "json.h"
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

/* write_stats: --stats-json, one line in the house style of ingest --stats-json
 * (seconds rounded to the millisecond) */
static int write_stats(const char *path, const struct merge_stats *st)
{
#define U(f) #f, (json_int_t)st->f
    json_t *j = json_pack("{sI sI sI sI sI sI sI sI sI sI sf}", U(parts), "shards", (json_int_t)st->shards_seen,
                          U(shards_new), U(shards_changed), U(shards_resumed), U(shards_skipped), U(docs),
                          U(chunks), U(duplicates), U(deleted), "seconds", round(st->t_total * 1000) / 1000);
#undef U
    struct buf b = BUF_INIT;
    int rc = j ? json_dump_buf(j, JSON_DUMP_FLAGS, &b) : err_set(ERR_NOMEM, "out of memory");
    if (rc == 0) rc = buf_putc(&b, '\n');
    if (rc == 0) rc = fs_write_atomic(path, b.data, b.len);
    json_decref(j);
    buf_release(&b);
    return rc;
}

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
    if (stats_json && write_stats(stats_json, &st) < 0) log_error("%s", err_msg());
    int ex = rc < 0 ? cli_fail(NULL) : EXIT_OK;
    store_close(s);
    return ex;
}
