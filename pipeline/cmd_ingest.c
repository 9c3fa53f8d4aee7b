/*
 * cmd_ingest.c - `semindex ingest`: shards into the store (ingest.h).
 *
 * Exit: 0 all inputs read; 3 finished but some inputs (shards, entries,
 * records) were rejected, see the warnings; 1 failure (store, model
 * mismatch, lock held, --strict rejection); 2 usage.
 */
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "common/err.h"
#include "common/fsutil.h"
#include "common/json.h"
#include "common/log.h"
#include "common/mem.h"
#include "index/store/store.h"
#include "ingest/discover.h"
#include "ingest/encoder/encoder.h"
#include "ingest/ingest.h"
#include "ingest/part.h"
#include "pipeline/cli.h"
#include "pipeline/opts.h"
#include "pipeline/stage_opts.h"

struct ingest_cmd_options {
    char *store;
    struct cli_encoder enc;  /* --model, --threads, --precision */
    char *stats_json;
    struct ingest_settings s;
};

#define O(f) offsetof(struct ingest_cmd_options, f)
static const struct opt ingest_cmd_opts[] = {
    OPT("store", 's', OPT_STR, O(store), "DIR", "the store (created when absent)", .flags = OPT_REQUIRED),
};
static const struct opt ingest_out_opts[] = {
    OPT("stats-json", 0, OPT_STR, O(stats_json), "FILE", "write the run's statistics as JSON to FILE ('-' = stdout)"),
};
static const struct opt_group ingest_groups[] = {
    OPT_GROUP(ingest_cmd_opts, 0, NULL),
    CLI_ENCODER_GROUP(O(enc)),
    INGEST_GROUP(O(s), NULL),
    INGEST_SCOPE_GROUP(O(s)),
    OPT_GROUP(ingest_out_opts, 0, NULL),
};
#undef O
static const struct opts_cmd ingest_cmd = {
    .name = "ingest", .groups = ingest_groups, .n_groups = sizeof ingest_groups / sizeof ingest_groups[0],
    .synopsis = "--store DIR --model DIR [options] SHARD...", .args = "SHARD...",
    .outro = "SHARD: .tar .tar.gz .tgz .tar.zst .tar.xz .zip .7z archives, single .gz/.zst files,\n"
             ".txt .md .jsonl .ndjson .tsv .csv files, or directories of them (symbolic links in\n"
             "them skipped unless --follow-symlinks). A FIFO or device is rejected unless\n"
             "--allow-streams; a stream is read again on every run. Shards already ingested with\n"
             "the same content and settings are skipped; changed ones replace their old chunks.\n"
             "A shard not read whole is not recorded as done: the next run reads it again.\n"
             "Exit status: 0 done, 3 done but some inputs were rejected, 1 failure, 2 usage\n"
             "(also a SHARD path that does not exist: nothing is ingested).\n"
             CLI_OUTPUT_PATHS_HELP,
};

static void print_stats(const struct ingest_stats *st)
{
    log_info("ingest: %llu shards (%llu new, %llu changed, %llu resumed, %llu skipped, %llu failed), "
             "%llu docs, %llu chunks (%llu duplicates not encoded, %llu truncated), %llu tokens, %.1f MB read",
             (unsigned long long)st->shards_seen, (unsigned long long)st->shards_new,
             (unsigned long long)st->shards_changed, (unsigned long long)st->shards_resumed,
             (unsigned long long)st->shards_skipped, (unsigned long long)st->shards_failed,
             (unsigned long long)st->docs, (unsigned long long)st->chunks, (unsigned long long)st->duplicates,
             (unsigned long long)st->truncated, (unsigned long long)st->tokens, (double)st->bytes / 1e6);
    log_info("ingest: %.2fs total; prep %.2fs, encode %.2fs (waited %.2fs for input), write %.2fs; "
             "%llu rejected, %llu invalid UTF-8 replaced",
             st->t_total, st->t_prep, st->t_encode, st->t_encode_wait, st->t_write,
             (unsigned long long)st->rejected, (unsigned long long)st->replaced);
}

/* ingest: the command once its options are parsed; the exit status. */
static int ingest(struct ingest_cmd_options *c, char **args, int n_args)
{
    if (n_args == 0) return opts_error(&ingest_cmd, "no shards given");
    if (ingest_settings_check(&c->s, "") < 0) return opts_error(&ingest_cmd, "%s", err_msg());
    struct part_spec part = { 0, 1 };
    if (c->s.part && part_parse(c->s.part, &part) < 0) return opts_error(&ingest_cmd, "%s", err_msg());
    struct ingest_options o = INGEST_OPTIONS_INIT;
    ingest_settings_apply(&c->s, &o);
    o.progress = 1;
    /* a mistyped path fails before anything is created or read */
    for (int i = 0; i < n_args; i++) {
        struct stat sb;
        if (stat(args[i], &sb) != 0 && (errno == ENOENT || errno == ENOTDIR)) {
            log_error("shard '%s': %s (nothing was ingested)", args[i], strerror(errno));
            return EXIT_USAGE;
        }
    }

    const char *const *shards = (const char *const *)args;
    size_t n_shards = (size_t)n_args;
    struct shard_list all = { 0 };
    char root[4096];
    if (c->s.part) {
        /* every task discovers the same list and computes the same split */
        if (discover_shards(shards, n_shards, o.src.follow_symlinks, &all, NULL) < 0) return cli_fail(NULL);
        if (all.n == 0) {
            shard_list_release(&all);
            err_set(ERR_INVALID, "no shards found in the %zu patterns given", n_shards);
            return cli_fail(NULL);
        }
        if (part_filter(&all, &part, o.root, root, sizeof root) < 0) {
            shard_list_release(&all);
            return cli_fail(NULL);
        }
        o.root = root;
        shards = (const char *const *)all.path;
        n_shards = all.n;
    }
    struct enc *e = NULL;
    struct store *s = NULL;
    struct ingest_stats st = { 0 };
    int rc = EXIT_FAIL;
    struct fs_lock lock = { -1, NULL };
    if (cli_encoder_create(&c->enc, NULL, &e) < 0) {
        rc = cli_fail(NULL);
        goto out;
    }
    /* refused before anything runs: no summary of an ingest that did not happen */
    if (store_open(c->store, STORE_CREATE, &s) < 0 || store_lock_writer(c->store, &lock) < 0) {
        rc = cli_fail(NULL);
        goto out;
    }
    int r = ingest_run(s, e, shards, n_shards, &o, &st);
    print_stats(&st);
    if (c->stats_json) {
        struct buf b = BUF_INIT;
        json_t *j = ingest_stats_json(&st);
        if (json_dump_buf(j, JSON_DUMP_FLAGS, &b) < 0 || buf_putc(&b, '\n') < 0 ||
            fs_write_atomic(c->stats_json, b.data, b.len) < 0)
            log_error("%s", err_msg());
        json_decref(j);
        buf_release(&b);
    }
    if (r < 0) {
        rc = cli_fail(NULL);
        goto out;
    }
    rc = st.rejected || st.shards_failed ? EXIT_PARTIAL : EXIT_OK;
out:
    fs_lock_release(&lock);
    store_close(s);
    enc_free(e);
    shard_list_release(&all);
    return rc;
}

int cmd_ingest(int argc, char **argv)
{
    struct ingest_cmd_options o = { 0 };
    ingest_settings_init(&o.s);
    int first, rc = opts_parse(&ingest_cmd, &o, argc, argv, &first);
    if (rc != OPTS_CONTINUE) return rc;
    rc = ingest(&o, argv + first, argc - first);
    opts_release(&ingest_cmd, &o);
    return rc;
}
