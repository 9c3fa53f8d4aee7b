/*
 * cmd_run.c - `semindex run`: the nightly job (docs/run.md).
 *
 * lock -> discover -> ingest -> index (update or rebuild) -> mine -> report.
 * Each stage commits its own result atomically (ingest per shard, the index
 * and reports by rename), so a run killed anywhere leaves a store the next
 * run finishes. The run report is written whatever happens, with the stage
 * that failed and its error.
 *
 * Exit: 0 all good; 3 finished but inputs were rejected; 1 a stage failed;
 * 2 usage.
 */
#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "common/err.h"
#include "common/fsutil.h"
#include "common/json.h"
#include "common/log.h"
#include "common/mem.h"
#include "index/ann/ann.h"
#include "index/build.h"
#include "index/store/store.h"
#include "ingest/discover.h"
#include "ingest/encoder/encoder.h"
#include "ingest/ingest.h"
#include "ingest/part.h"
#include "pipeline/cli.h"
#include "pipeline/run_opts.h"
#include "query/mine.h"
#include "query/report.h"
#include "query/search.h"

/* the stages of a run, in order; t_stage and the report use these */
enum run_stage { ST_DISCOVER, ST_INGEST, ST_INDEX, ST_MINE, ST_REPORT, N_STAGES };

/* run_state: one `semindex run`: its options, the store, and what each stage
 * found, for the report */
struct run_state {
    struct run_options o;
    struct store *s;
    struct shard_list shards;
    char root[4096];          /* corpus root (--part, --root), "" = ingest's default */
    struct discover_stats disc;
    struct ingest_stats ing;
    struct build_result idx;
    int idx_done;
    size_t mine_pairs, mine_clusters, mine_groups, mine_identical, mine_repeated;
    const char *mine_mode;
    int mine_done;
    struct store_info before, after;
    double t_stage[N_STAGES];
    const char *failed_stage;
    char *error;
    char started[32];
    double t0;
    pthread_mutex_t rej_mu;   /* the report's "rejected" list (on_reject, from the readers) */
    json_t *rej;              /* array of {"shard", "entry", "record", "reason"} */
    size_t n_rej, rej_unlisted;
};

/* at most this many rejected inputs are listed in the report; the rest are
 * counted in "rejected_not_listed" */
#define RUN_REJECTED_MAX 1000

static void on_reject(void *ctx, const char *shard, const char *entry, uint64_t record, const char *reason)
{
    struct run_state *r = ctx;
    pthread_mutex_lock(&r->rej_mu);
    if (r->n_rej >= RUN_REJECTED_MAX) {
        r->rej_unlisted++;
    } else {
        json_t *o = json_object();
        if (o && !json_object_set_new(o, "shard", json_str(shard, strlen(shard))) &&
            !json_object_set_new(o, "entry", entry ? json_str(entry, strlen(entry)) : json_null()) &&
            !json_object_set_new(o, "record", record ? json_integer((json_int_t)record) : json_null()) &&
            !json_object_set_new(o, "reason", json_str(reason, strlen(reason))))
            json_array_append(r->rej, o);
        json_decref(o);
        r->n_rej++;
    }
    pthread_mutex_unlock(&r->rej_mu);
}

static const char *const stage_names[] = { "discover", "ingest", "index", "mine", "report" };

static int fail(struct run_state *r, int stage)
{
    r->failed_stage = stage_names[stage];
    r->error = mem_strdup(err_msg());
    log_error("%s: %s", stage_names[stage], err_msg());
    return -1;
}

/* ---- stages ------------------------------------------------------------ */

static int stage_ingest(struct run_state *r)
{
    struct run_options *o = &r->o;
    const char *model = o->model ? o->model : r->before.model[0] ? r->before.model : ENC_BUILTIN_NGRAM;
    struct enc_options eo = ENC_OPTIONS_INIT;
    eo.n_threads = (int)o->threads;
    const char *prec = o->precision ? o->precision : r->before.model[0] ? r->before.precision : "f32";
    if (enc_precision_parse(prec, &eo.precision) < 0) {
        err_prefix(ERR_INVALID, "precision");
        return fail(r, ST_INGEST);
    }
    cli_precision_warn(eo.precision);
    struct enc *e = NULL;
    if (enc_create(model, &eo, &e) < 0) return fail(r, ST_INGEST);
    struct ingest_options io = INGEST_OPTIONS_INIT;
    ingest_settings_apply(&o->ingest, &io);
    io.src.on_reject = on_reject;
    io.src.reject_ctx = r;
    io.progress = 1;
    if (r->root[0]) io.root = r->root;
    int rc = ingest_run(r->s, e, (const char *const *)r->shards.path, r->shards.n, &io, &r->ing);
    enc_free(e);
    return rc < 0 ? fail(r, ST_INGEST) : 0;
}

/* The index and mining both stream the store's vectors (query/search.h
 * search_source): memory is the index and a batch, not the corpus. */
static int stage_index(struct run_state *r)
{
    struct run_options *o = &r->o;
    struct buf path = BUF_INIT;
    search_index_path(&path, o->store);
    struct build_options bo = BUILD_OPTIONS_INIT;
    build_settings_apply(&o->index, &bo);
    struct build_meta meta = { r->after.fingerprint, r->after.generation };
    struct store_txn *t = NULL;
    struct search_src ss = { NULL, NULL, 0 };
    struct build_source src;
    int rc = store_read_begin(r->s, &t);
    if (rc == 0) rc = search_source(&ss, t, &r->after, &src);
    if (rc == 0) rc = build_update_stream(path.data, &src, r->after.dim, &meta, &bo, &r->idx);
    search_source_release(&ss);
    store_read_end(t);
    buf_release(&path);
    if (rc < 0) return fail(r, ST_INDEX);
    r->idx_done = 1;
    log_info("index: %s, %lld vectors, recall@10 %.3f (%s)", r->idx.plan.factory, (long long)r->idx.ntotal,
             r->idx.recall, r->idx.rebuilt ? "rebuilt" : "updated");
    return 0;
}

static int stage_mine(struct run_state *r)
{
    struct run_options *o = &r->o;
    size_t n = (size_t)r->after.n_vectors;
    struct buf def = BUF_INIT;
    const char *out = o->mine.output;
    if (!out) { /* <store>/reports/ does not exist yet on a first run */
        buf_printf(&def, "%s/reports", o->store);
        if (fs_mkdir_p(def.data) < 0) {
            buf_release(&def);
            return fail(r, ST_MINE);
        }
        buf_puts(&def, "/pairs.html");
        out = def.data;
    }
    struct mine_options mo = MINE_OPTIONS_INIT;
    mine_settings_apply(&o->mine, &mo);
    struct ann *a = NULL;
    /* the inverted lists mapped: list-wise mining reads only their ids and
     * the quantizer; its cache of lists gets the build's budget */
    if (search_open_index(o->store, &r->after, ANN_READ_MMAP, &a) < 0) log_info("mine: %s; mining exactly", err_msg());
    struct mine_pair *p = NULL;
    size_t np = 0;
    struct mine_clusters cl = { 0 }, dups = { 0 };
    struct search_report ro = { out, NULL, o->mine.include_identical, mo.max_pairs, 0 };
    struct store_txn *t = NULL;
    double t0 = now_sec();
    struct search_src ss = { NULL, NULL, 0 };
    struct build_source src;
    struct mine_auto au;
    int rc = store_read_begin(r->s, &t);
    if (rc == 0) rc = search_source(&ss, t, &r->after, &src);
    if (rc == 0) rc = search_report_prepare(t, &ro, mo.top_k, &mo.max_pairs, &dups);
    /* exact or ANN by measured throughput (query/mine.h) */
    if (rc == 0) rc = mine_auto_choose(a, &src, n, r->after.dim, &mo, &au);
    if (rc == 0 && a) log_info("mine: estimated exact %.0fs, ann %.0fs", au.exact_seconds, au.ann_seconds);
    if (rc == 0 && !au.use_ann) { ann_free(a); a = NULL; }
    r->mine_mode = a ? "ann" : "exact";
    if (rc == 0 && a) mo.cache_bytes = mine_cache_bytes(a, r->after.dim, &mo, o->index.memory_budget);
    if (rc == 0) rc = a ? mine_ann_stream(a, r->after.dim, &src, &mo, &p, &np)
                        : mine_exact_stream(&src, r->after.dim, &mo, &p, &np);
    if (rc == 0) rc = mine_components(p, np, mo.threshold, (size_t)o->mine.min_cluster, &cl);
    if (rc == 0) {
        struct report_summary sm = { .title = o->store, .model = r->after.model, .mode = r->mine_mode,
                                     .n_vectors = n, .top_k = mo.top_k, .max_pairs = ro.max_pairs,
                                     .threshold = mo.threshold, .seconds = now_sec() - t0, .lang = o->mine.lang };
        rc = search_write_pairs(t, &ro, &sm, p, &np, &cl, &dups);
        r->mine_identical = sm.identical_dropped;
        r->mine_repeated = sm.repeated_dropped;
        r->mine_groups = dups.n;
    }
    search_source_release(&ss);
    store_read_end(t);
    if (rc == 0) {
        r->mine_pairs = np;
        r->mine_clusters = cl.n;
        r->mine_done = 1;
        log_info("mine: %zu pairs >= %.2f, %zu clusters (%s) -> %s", np, o->mine.threshold, cl.n,
                 r->mine_mode, out);
    }
    ann_free(a);
    mem_free(p);
    mine_clusters_release(&cl);
    mine_clusters_release(&dups);
    buf_release(&def);
    return rc < 0 ? fail(r, ST_MINE) : 0;
}

/* ---- the report -------------------------------------------------------- */

static void utc_now(char *out, size_t n, const char *fmt)
{
    time_t now = time(NULL);
    struct tm tm;
    gmtime_r(&now, &tm);
    strftime(out, n, fmt, &tm);
}

static int exit_code(const struct run_state *r)
{
    if (r->failed_stage) return EXIT_FAIL;
    /* a glob that matched nothing or a missing path is a rejected input:
     * a typo in the config must not pass for a quiet night */
    if (r->ing.rejected || r->ing.shards_failed || r->disc.unreadable || r->disc.empty_patterns) return EXIT_PARTIAL;
    return EXIT_OK;
}

/* set: obj[key] = v (a new reference, NULL = out of memory); jansson keeps
 * the order the keys are set in. */
static int set(json_t *obj, const char *key, json_t *v)
{
    return json_object_set_new(obj, key, v) < 0 ? -1 : 0;
}

#define MS(x) json_real(round((x) * 1000) / 1000)

static int report_json(struct run_state *r, struct buf *b, int code)
{
    char finished[32];
    utc_now(finished, sizeof finished, "%Y-%m-%dT%H:%M:%SZ");
    const struct ingest_stats *g = &r->ing;
    json_t *j = json_object();
    int rc = j ? 0 : -1;
    rc |= set(j, "semindex", json_string(SEMINDEX_VERSION));
    rc |= set(j, "started", json_string(r->started));
    rc |= set(j, "finished", json_string(finished));
    rc |= set(j, "store", json_str(r->o.store, strlen(r->o.store)));
    rc |= set(j, "config", r->o.config ? json_str(r->o.config, strlen(r->o.config)) : json_null());
    rc |= set(j, "model", json_str(r->after.model, strlen(r->after.model)));
    rc |= set(j, "fingerprint", json_string(r->after.fingerprint));
    rc |= set(j, "exit", json_integer(code));
    rc |= set(j, "status", json_string(code == EXIT_OK ? "ok" : code == EXIT_PARTIAL ? "partial" : "failed"));
    if (r->failed_stage) {
        rc |= set(j, "failed_stage", json_string(r->failed_stage));
        rc |= set(j, "error", json_str(r->error ? r->error : "", r->error ? strlen(r->error) : 0));
    }
    rc |= set(j, "shards", json_pack("{sI sI sI sI sI sI sI}", "found", (json_int_t)r->shards.n, "seen",
                                     (json_int_t)g->shards_seen, "new", (json_int_t)g->shards_new, "changed",
                                     (json_int_t)g->shards_changed, "resumed", (json_int_t)g->shards_resumed,
                                     "skipped", (json_int_t)g->shards_skipped, "failed",
                                     (json_int_t)g->shards_failed));
    rc |= set(j, "discover", json_pack("{sI sI sI sI}", "patterns", (json_int_t)r->disc.patterns,
                                       "empty_patterns", (json_int_t)r->disc.empty_patterns, "skipped_files",
                                       (json_int_t)r->disc.skipped_files, "unreadable",
                                       (json_int_t)r->disc.unreadable));
    rc |= set(j, "rejected", json_incref(r->rej));
    rc |= set(j, "rejected_not_listed", json_integer((json_int_t)r->rej_unlisted));
    rc |= set(j, "ingest", ingest_stats_json(g));
    rc |= set(j, "tokens_per_second",
              json_real(round(10 * (g->t_encode > 0 ? (double)g->tokens / g->t_encode : 0.0)) / 10));
    if (r->idx_done)
        rc |= set(j, "index", json_pack("{ss sI sf si si sb so}", "factory", r->idx.plan.factory, "ntotal",
                                        (json_int_t)r->idx.ntotal, "recall_at_10",
                                        round(r->idx.recall * 10000) / 10000, "nprobe", r->idx.nprobe,
                                        "ef_search", r->idx.ef_search, "rebuilt", r->idx.rebuilt, "seconds",
                                        MS(r->idx.seconds)));
    if (r->mine_done)
        rc |= set(j, "mine", json_pack("{ss sI sI sI sI sI}", "mode", r->mine_mode, "pairs",
                                       (json_int_t)r->mine_pairs, "clusters", (json_int_t)r->mine_clusters,
                                       "duplicate_groups", (json_int_t)r->mine_groups, "identical_dropped",
                                       (json_int_t)r->mine_identical, "repeated_dropped",
                                       (json_int_t)r->mine_repeated));
    rc |= set(j, "store_after", json_pack("{sI sI sI sI sI}", "generation", (json_int_t)r->after.generation,
                                          "shards", (json_int_t)r->after.n_shards, "docs",
                                          (json_int_t)r->after.n_docs, "chunks", (json_int_t)r->after.n_chunks,
                                          "vectors", (json_int_t)r->after.n_vectors));
    json_t *sec = json_object();
    for (int i = 0; i < ST_REPORT; i++) rc |= set(sec, stage_names[i], MS(r->t_stage[i]));
    rc |= set(sec, "total", MS(now_sec() - r->t0));
    rc |= set(j, "seconds", sec);
    if (rc == 0) rc = json_dump_buf(j, JSON_DUMP_FLAGS | JSON_INDENT(2), b);
    if (rc == 0 && buf_putc(b, '\n') < 0) rc = -1;
    json_decref(j);
    return rc < 0 ? err_nomem() : 0;
}

/* summary: the human summary on stderr (docs/run.md); -q drops it (a
 * failure was already logged as an error) */
static void summary(const struct run_state *r, int code)
{
    if (log_level < LOG_INFO) return;
    FILE *f = stderr;
    const struct ingest_stats *g = &r->ing;
    fprintf(f, "semindex run: %s (exit %d)\n", code == EXIT_OK ? "ok" : code == EXIT_PARTIAL ? "finished, some inputs rejected" : "FAILED", code);
    if (r->failed_stage) fprintf(f, "  failed in %s: %s\n", r->failed_stage, r->error ? r->error : "");
    fprintf(f, "  shards     %zu found: %llu new, %llu changed, %llu resumed, %llu unchanged, %llu failed\n",
           r->shards.n, (unsigned long long)g->shards_new, (unsigned long long)g->shards_changed,
           (unsigned long long)g->shards_resumed, (unsigned long long)g->shards_skipped,
           (unsigned long long)g->shards_failed);
    if (r->disc.empty_patterns || r->disc.unreadable) /* what made the exit 3 when ingest rejected nothing */
        fprintf(f, "  discover   %llu of %llu patterns matched nothing, %llu paths unreadable\n",
                (unsigned long long)r->disc.empty_patterns, (unsigned long long)r->disc.patterns,
                (unsigned long long)r->disc.unreadable);
    fprintf(f, "  ingest     %llu docs, %llu chunks (%llu duplicates not embedded, %llu truncated), %llu rejected inputs\n",
           (unsigned long long)g->docs, (unsigned long long)g->chunks, (unsigned long long)g->duplicates,
           (unsigned long long)g->truncated, (unsigned long long)g->rejected);
    fprintf(f, "  encoder    %llu tokens, %.0f tokens/s\n", (unsigned long long)g->tokens,
           g->t_encode > 0 ? (double)g->tokens / g->t_encode : 0.0);
    if (r->idx_done)
        fprintf(f, "  index      %s, %lld vectors, recall@10 %.3f, %s\n", r->idx.plan.factory, (long long)r->idx.ntotal,
               r->idx.recall, r->idx.rebuilt ? "rebuilt" : "updated");
    if (r->mine_done) fprintf(f, "  mine       %zu pairs, %zu clusters (%s)\n", r->mine_pairs, r->mine_clusters, r->mine_mode);
    fprintf(f, "  store      %llu docs, %llu chunks, generation %llu\n", (unsigned long long)r->after.n_docs,
           (unsigned long long)r->after.n_chunks, (unsigned long long)r->after.generation);
    fprintf(f, "  time       discover %.1fs, ingest %.1fs, index %.1fs, mine %.1fs, total %.1fs\n", r->t_stage[ST_DISCOVER],
           r->t_stage[ST_INGEST], r->t_stage[ST_INDEX], r->t_stage[ST_MINE], now_sec() - r->t0);
    fflush(f);
}

/* write_report: the JSON to o->report or reports/run-<time>.json, and a copy
 * as reports/last-run.json. A failure to write it is logged, not fatal. */
static int write_report(struct run_state *r, int code)
{
    struct buf json = BUF_INIT, dir = BUF_INIT, path = BUF_INIT, last = BUF_INIT;
    int rc = report_json(r, &json, code);
    buf_printf(&dir, "%s/reports", r->o.store);
    if (rc == 0) rc = fs_mkdir_p(dir.data);
    char stamp[32];
    utc_now(stamp, sizeof stamp, "%Y%m%dT%H%M%SZ");
    if (r->o.report) buf_puts(&path, r->o.report);
    else buf_printf(&path, "%s/run-%s.json", dir.data, stamp);
    buf_printf(&last, "%s/last-run.json", dir.data);
    if (rc == 0) rc = fs_write_atomic(path.data, json.data, json.len);
    if (rc == 0) rc = fs_write_atomic(last.data, json.data, json.len);
    if (rc < 0) log_error("cannot write the run report: %s", err_msg());
    else log_info("run report: %s", path.data);
    buf_release(&json);
    buf_release(&dir);
    buf_release(&path);
    buf_release(&last);
    return rc;
}

/* select_part: --part: keep only this task's part of the discovered shards
 * (every task discovers the same list, so all compute the same split). */
static int select_part(struct run_state *r)
{
    struct part_spec p;
    FORWARD_ERR(part_parse(r->o.ingest.part, &p));
    return part_filter(&r->shards, &p, r->o.ingest.root, r->root, sizeof r->root);
}

/* ---- the command ------------------------------------------------------- */

int cmd_run(int argc, char **argv)
{
    struct run_state r;
    memset(&r, 0, sizeof r);
    run_options_init(&r.o);
    int prc = run_options_parse(&r.o, argc, argv);
    if (prc == 1) {
        run_options_usage(&r.o, stdout);
        run_options_release(&r.o);
        return EXIT_OK;
    }
    if (prc == 0 && !r.o.store) prc = err_set(ERR_INVALID, "no store: set 'store' in the config or --store");
    if (prc == 0 && r.o.shards.n == 0)
        prc = err_set(ERR_INVALID, "no shards: set 'shards' in [ingest] or give --ingest-shards / SHARD");
    if (prc < 0) {
        run_options_release(&r.o);
        return cli_usage_error("usage: semindex run", "%s", err_msg());
    }
    struct run_options *o = &r.o;
    pthread_mutex_init(&r.rej_mu, NULL);
    r.rej = json_array();
    r.t0 = now_sec();
    utc_now(r.started, sizeof r.started, "%Y-%m-%dT%H:%M:%SZ");

    struct fs_lock lock = { -1, NULL };
    int code = EXIT_FAIL;
    /* the store's writer lock for the whole run (ingest, index, reports);
     * the ingest inside shares it */
    if (fs_mkdir_p(o->store) < 0 || store_lock_writer(o->store, &lock) < 0) {
        log_error("%s", err_msg());
        goto out; /* another writer has this store: nothing to report into */
    }

    double t = now_sec();
    if (discover_shards((const char *const *)o->shards.v, o->shards.n, o->ingest.follow_symlinks, &r.shards, &r.disc) < 0) {
        fail(&r, ST_DISCOVER);
        goto report;
    }
    r.t_stage[ST_DISCOVER] = now_sec() - t;
    log_info("discover: %zu shards from %zu patterns", r.shards.n, o->shards.n);
    if (o->ingest.part && select_part(&r) < 0) {
        fail(&r, ST_DISCOVER);
        goto report;
    }

    if (store_open(o->store, STORE_CREATE, &r.s) < 0 || store_info(r.s, &r.before) < 0) {
        fail(&r, ST_INGEST);
        goto report;
    }
    t = now_sec();
    int rc = stage_ingest(&r);
    r.t_stage[ST_INGEST] = now_sec() - t;
    if (store_info(r.s, &r.after) < 0 && rc == 0) rc = fail(&r, ST_INGEST);
    if (rc < 0) goto report;

    if (o->index_enabled && r.after.n_vectors > 0) {
        t = now_sec();
        rc = stage_index(&r);
        r.t_stage[ST_INDEX] = now_sec() - t;
        if (rc < 0) goto report;
    }
    if (o->mine_enabled && r.after.n_vectors > 0) {
        t = now_sec();
        rc = stage_mine(&r);
        r.t_stage[ST_MINE] = now_sec() - t;
    }

report:
    if (r.s && !r.after.schema) store_info(r.s, &r.after);
    code = exit_code(&r);
    if (write_report(&r, code) < 0 && code == EXIT_OK) code = EXIT_FAIL;
    summary(&r, code);
out:
    store_close(r.s);
    fs_lock_release(&lock);
    shard_list_release(&r.shards);
    mem_free(r.error);
    json_decref(r.rej);
    pthread_mutex_destroy(&r.rej_mu);
    run_options_release(&r.o);
    return code;
}
