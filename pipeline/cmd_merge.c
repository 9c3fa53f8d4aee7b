/*
 * cmd_merge.c - `semindex merge`: part stores into one store (index/store/merge.h).
 *
 * Exit: 0 merged; 1 failure (a part refused, store error, lock held); 2 usage.
 */
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "common/err.h"
#include "common/fsutil.h"
#include "common/json.h"
#include "common/log.h"
#include "index/store/merge.h"
#include "pipeline/cli.h"
#include "pipeline/opts.h"

struct merge_options {
    char *store, *stats_json;
};

#define O(f) offsetof(struct merge_options, f)
static const struct opt merge_opts[] = {
    OPT("store", 's', OPT_STR, O(store), "OUT", "the merged store (created when absent)", .flags = OPT_REQUIRED),
    OPT("stats-json", 0, OPT_STR, O(stats_json), "FILE", "write the merge's statistics as JSON to FILE ('-' = stdout)"),
};
#undef O
static const struct opt_group merge_groups[] = { OPT_GROUP(merge_opts, 0, NULL) };
static const struct opts_cmd merge_cmd = {
    .name = "merge", .groups = merge_groups, .n_groups = 1,
    .synopsis = "--store OUT [options] PART_STORE...", .args = "PART_STORE...",
    .outro = "Merges the stores of `semindex ingest --part I/N` into OUT so that it equals one\n"
             "ingest of the whole corpus (the same ids, texts, provenance and vectors). The order\n"
             "of the parts does not matter; vectors are copied, never re-embedded. Run again, it\n"
             "adds only the shards OUT lacks (new parts, a re-run task), and a merge killed at any\n"
             "point and run again gives the same store. A part with another model, dimension,\n"
             "vector type, segmentation settings or schema, or with a shard still in progress,\n"
             "is refused by name.\n",
};

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

/* merge: parts[0..n) into out_dir; the exit status. */
static int merge(const char *out_dir, const char *stats_json, char **parts, int n)
{
    if (n == 0) return opts_error(&merge_cmd, "no part stores given");
    struct store *s = NULL;
    if (store_open(out_dir, STORE_CREATE, &s) < 0) return cli_fail(NULL);
    struct merge_stats st = { 0 };
    int rc = store_merge(s, (const char *const *)parts, (size_t)n, &st);
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

int cmd_merge(int argc, char **argv)
{
    struct merge_options o = { 0 };
    int first, rc = opts_parse(&merge_cmd, &o, argc, argv, &first);
    if (rc != OPTS_CONTINUE) return rc;
    rc = merge(o.store, o.stats_json, argv + first, argc - first);
    opts_release(&merge_cmd, &o);
    return rc;
}
