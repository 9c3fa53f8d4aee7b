/*
 * cmd_ingest.c - `semindex ingest`: shards into the store (ingest.h).
 *
 * Exit: 0 all inputs read; 3 finished but some inputs (shards, entries,
 * records) were rejected, see the warnings; 1 failure (store, model
 * mismatch, lock held, --strict rejection); 2 usage.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "cli.h"
#include "err.h"
#include "fsutil.h"
#include "json.h"
#include "index/store/store.h"
#include "ingest/encoder/encoder.h"
#include "ingest/discover.h"
#include "ingest/ingest.h"
#include "ingest/part.h"
#include "log.h"
#include "mem.h"

static const char usage_str[] =
    "usage: semindex ingest --store DIR --model DIR [options] SHARD...\n"
    "\n"
    "  -s, --store DIR     the store (created when absent)\n"
    "  -m, --model DIR     sentence-transformers model directory or builtin:ngram\n"
    "  --segment MODE      doc, line, sentence (default), paragraph or window\n"
    "  --window N          tokens per window (default 256; builtin:ngram counts words)\n"
    "  --overlap M         tokens shared by consecutive windows (default 32)\n"
    "  --text-field F      jsonl: the text field (default: text)\n"
    "  --id-field F        jsonl: a field kept as the document's own id\n"
    "  --column C          tsv/csv: the text column, a header name or 1-based number (default: text)\n"
    "  --max-entry SIZE    cap on decompressed bytes per archive entry (default 4G)\n"
    "  --max-shard SIZE    cap on decompressed bytes per shard (default 64G)\n"
    "  --max-record SIZE   longest record (line or document) kept (default 32M)\n"
    "  --batch-tokens N    tokens per encoder batch (default 16384)\n"
    "  -t, --threads N     encoder threads (default: all cores)\n"
    "  --precision P       encoder precision: f32 (default), bf16 or int8; a store keeps\n"
    "                      one precision (another one needs --reembed)\n"
    "  --strict            a rejected input fails the run (exit 1) instead of exit 3\n"
    "  --allow-streams     read a FIFO or device given as a shard (else it is rejected)\n"
    "  --follow-symlinks   follow symbolic links inside directory shards (loops are skipped)\n"
    "  --reembed           the store holds another model's vectors: re-encode them all\n"
    "  --f16               store vectors as float16 (a new store only)\n"
    "  --root DIR          corpus root: shards are keyed by their path relative to it\n"
    "                      (default: the store's recorded root if it holds every shard, else\n"
    "                      the deepest directory holding them all)\n"
    "  --part I/N          ingest only part I (0-based) of N size-balanced parts of the shards\n"
    "                      (directories are expanded into their shard files); 'slurm' reads\n"
    "                      SLURM_ARRAY_TASK_ID/COUNT, 'k8s:N' JOB_COMPLETION_INDEX. Merge the\n"
    "                      part stores with semindex merge\n"
    "  --stats-json FILE   write the run's statistics as JSON to FILE ('-' = stdout)\n"
    "  -q, -v              quieter, more verbose\n"
    "\n"
    "SHARD: .tar .tar.gz .tgz .tar.zst .tar.xz .zip .7z archives, single .gz/.zst files,\n"
    ".txt .md .jsonl .ndjson .tsv .csv files, or directories of them (symbolic links in\n"
    "them skipped unless --follow-symlinks). A FIFO or device is rejected unless\n"
    "--allow-streams; a stream is read again on every run. Shards already ingested with\n"
    "the same content and settings are skipped; changed ones replace their old chunks.\n"
    "A shard not read whole is not recorded as done: the next run reads it again.\n"
    "Exit status: 0 done, 3 done but some inputs were rejected, 1 failure, 2 usage\n"
    "(also a SHARD path that does not exist: nothing is ingested).\n"
    CLI_OUTPUT_PATHS_HELP;

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

int cmd_ingest(int argc, char **argv)
{
    static const struct option longopts[] = {
        { "store", required_argument, NULL, 's' },   { "model", required_argument, NULL, 'm' },
        { "segment", required_argument, NULL, 'S' }, { "window", required_argument, NULL, 'w' },
        { "overlap", required_argument, NULL, 'o' }, { "text-field", required_argument, NULL, 'T' },
        { "id-field", required_argument, NULL, 'I' }, { "column", required_argument, NULL, 'C' },
        { "max-entry", required_argument, NULL, 'E' }, { "max-shard", required_argument, NULL, 'H' },
        { "max-record", required_argument, NULL, 'R' }, { "batch-tokens", required_argument, NULL, 'B' },
        { "threads", required_argument, NULL, 't' }, { "strict", no_argument, NULL, 'x' },
        { "reembed", no_argument, NULL, 'r' },       { "f16", no_argument, NULL, 'f' },
        { "stats-json", required_argument, NULL, 'j' }, { "help", no_argument, NULL, 'h' },
        { "allow-streams", no_argument, NULL, 'A' }, { "follow-symlinks", no_argument, NULL, 'L' },
        { "root", required_argument, NULL, 'O' },    { "part", required_argument, NULL, 'P' },
        { "precision", required_argument, NULL, 1000 },
        { NULL, 0, NULL, 0 },
    };
    struct ingest_options o = INGEST_OPTIONS_INIT;
    const char *store_dir = NULL, *model = NULL, *stats_json = NULL;
    long threads = 0, v;
    struct part_spec part = { 0, 1 };
    int have_part = 0;
    int prec = ENC_F32;
    uint64_t sz;
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, ":s:m:t:hqv", longopts, NULL)) != -1) {
        switch (c) {
        case 's': store_dir = optarg; break;
        case 'm': model = optarg; break;
        case 'S':
            if (seg_parse_mode(optarg, &o.seg.mode) < 0) return cli_usage_error(usage_str, "%s", err_msg());
            break;
        case 'w':
            if (cli_parse_int(optarg, 1, 1 << 20, &v) < 0) return cli_usage_error(usage_str, "--window: %s", err_msg());
            o.seg.window = (int)v;
            break;
        case 'o':
            if (cli_parse_int(optarg, 0, 1 << 20, &v) < 0) return cli_usage_error(usage_str, "--overlap: %s", err_msg());
            o.seg.overlap = (int)v;
            break;
        case 'T': o.src.text_field = optarg; break;
        case 'I': o.src.id_field = optarg; break;
        case 'C': o.src.column = optarg; break;
        case 'E': case 'H': case 'R':
            if (cli_parse_size(optarg, &sz) < 0 || sz == 0) return cli_usage_error(usage_str, "bad size '%s'", optarg);
            if (c == 'E') o.src.max_entry = sz;
            else if (c == 'H') o.src.max_shard = sz;
            else o.src.max_record = (size_t)sz;
            break;
        case 'B':
            if (cli_parse_int(optarg, 1, 1 << 24, &v) < 0)
                return cli_usage_error(usage_str, "--batch-tokens: %s", err_msg());
            o.batch_tokens = (size_t)v;
            break;
        case 't':
            if (cli_parse_int(optarg, 0, 4096, &threads) < 0)
                return cli_usage_error(usage_str, "--threads: %s", err_msg());
            break;
        case 'x': o.src.strict = 1; break;
        case 'A': o.src.allow_streams = 1; break;
        case 'L': o.src.follow_symlinks = 1; break;
        case 'r': o.reembed = 1; break;
        case 'f': o.dtype = STORE_F16; break;
        case 'j': stats_json = optarg; break;
        case 'O': o.root = optarg; break;
        case 'P':
            if (part_parse(optarg, &part) < 0) return cli_usage_error(usage_str, "%s", err_msg());
            have_part = 1;
            break;
        case 1000:
            if (cli_precision(optarg, &prec) < 0) return cli_usage_error(usage_str, "--precision: %s", err_msg());
            break;
        case 'h': fputs(usage_str, stdout); return EXIT_OK;
        case 'q': case 'v': cli_common_opt(c); break;
        default: return cli_bad_option(usage_str, c, argv);
        }
    }
    if (!store_dir) return cli_usage_error(usage_str, "--store is required");
    if (!model) return cli_usage_error(usage_str, "--model is required");
    if (optind >= argc) return cli_usage_error(usage_str, "no shards given");
    if (o.seg.mode == SEG_WINDOW && o.seg.overlap >= o.seg.window)
        return cli_usage_error(usage_str, "--overlap %d must be smaller than --window %d", o.seg.overlap, o.seg.window);
    o.progress = 1;
    /* a mistyped path fails before anything is created or read */
    for (int i = optind; i < argc; i++) {
        struct stat sb;
        if (stat(argv[i], &sb) != 0 && (errno == ENOENT || errno == ENOTDIR)) {
            log_error("shard '%s': %s (nothing was ingested)", argv[i], strerror(errno));
            return EXIT_USAGE;
        }
    }

    const char *const *shards = (const char *const *)argv + optind;
    size_t n_shards = (size_t)(argc - optind);
    struct shard_list all = { 0 };
    char root[4096];
    if (have_part) {
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
    struct enc_options eo = ENC_OPTIONS_INIT;
    eo.n_threads = (int)threads;
    eo.precision = prec;
    struct enc *e = NULL;
    struct store *s = NULL;
    struct ingest_stats st = { 0 };
    int rc = EXIT_FAIL;
    struct fs_lock lock = { -1, NULL };
    if (enc_create(model, &eo, &e) < 0) {
        rc = cli_fail(NULL);
        goto out;
    }
    /* refused before anything runs: no summary of an ingest that did not happen */
    if (store_open(store_dir, STORE_CREATE, &s) < 0 || store_lock_writer(store_dir, &lock) < 0) {
        rc = cli_fail(NULL);
        goto out;
    }
    int r = ingest_run(s, e, shards, n_shards, &o, &st);
    print_stats(&st);
    if (stats_json) {
        struct buf b = BUF_INIT;
        json_t *j = ingest_stats_json(&st);
        if (json_dump_buf(j, JSON_DUMP_FLAGS, &b) < 0 || buf_putc(&b, '\n') < 0 ||
            fs_write_atomic(stats_json, b.data, b.len) < 0)
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
