/*
 * stage_opts.c - the option groups of ingest, build and mine, shared with
 * run (see stage_opts.h): the tables, their defaults and the conversion
 * into the library's option structs.
 */
#include "pipeline/stage_opts.h"

#include <stddef.h>
#include <string.h>

#include "common/err.h"
#include "index/build.h"
#include "ingest/ingest.h"
#include "ingest/segment.h"
#include "pipeline/cli.h"
#include "query/mine.h"

/* ---- ingest ------------------------------------------------------------- */

#define O(f) offsetof(struct ingest_settings, f)
const struct opt ingest_opts[] = {
    OPT("segment", 0, OPT_ENUM, O(segment), "MODE", "doc, line, sentence, paragraph or window",
        .choices = seg_mode_names, .def = "sentence"),
    OPT("window", 0, OPT_INT, O(window), "N", "tokens per window chunk (builtin:ngram counts words)",
        .lo = 1, .hi = 1 << 20, .def = "256"),
    OPT("overlap", 0, OPT_INT, O(overlap), "N", "tokens shared by consecutive windows", .hi = 1 << 20, .def = "32"),
    OPT("text-field", 0, OPT_STR, O(text_field), "F", "jsonl: the text field", .def = "text"),
    OPT("id-field", 0, OPT_STR, O(id_field), "F", "jsonl: a field kept as the document's own id"),
    OPT("column", 0, OPT_STR, O(column), "C", "tsv/csv: the text column, a header name or 1-based number",
        .def = "text"),
    OPT("max-entry", 0, OPT_SIZE, O(max_entry), "SIZE", "cap on decompressed bytes per archive entry",
        .lo = 1, .def = "4G"),
    OPT("max-shard", 0, OPT_SIZE, O(max_shard), "SIZE", "cap on decompressed bytes per shard",
        .lo = 1, .def = "64G"),
    OPT("max-record", 0, OPT_SIZE, O(max_record), "SIZE", "longest record (line or document) kept",
        .lo = 1, .def = "32M"),
    OPT("batch-tokens", 0, OPT_INT, O(batch_tokens), "N", "tokens per encoder batch",
        .lo = 1, .hi = 1 << 24, .def = "16384"),
    OPT("strict", 0, OPT_BOOL, O(strict), NULL, "a rejected input is a failure (exit 1), not exit 3"),
    OPT("allow-streams", 0, OPT_BOOL, O(allow_streams), NULL,
        "read a FIFO or device given as a shard (else it is rejected)"),
    OPT("follow-symlinks", 0, OPT_BOOL, O(follow_symlinks), NULL,
        "follow symbolic links inside directory shards\n(loops are reported and skipped)"),
    OPT("reembed", 0, OPT_BOOL, O(reembed), NULL, "the store holds another model's vectors: re-encode them all"),
    OPT("f16", 0, OPT_BOOL, O(f16), NULL, "store vectors as float16 (a new store only)"),
};
_Static_assert(sizeof ingest_opts / sizeof ingest_opts[0] == INGEST_N_OPTS, "INGEST_N_OPTS");

const struct opt ingest_scope_opts[] = {
    OPT("root", 0, OPT_STR, O(root), "DIR", "corpus root: shards are keyed by their path relative to it\n"
      "(default: the store's recorded root if it holds every shard, else\n"
      "the deepest directory holding them all)", .flags = OPT_PATH),
    OPT("part", 0, OPT_STR, O(part), "I/N", "ingest only part I (0-based) of N size-balanced parts of the shards\n"
      "(directories are expanded into their shard files); 'slurm' reads\n"
      "SLURM_ARRAY_TASK_ID/COUNT, 'k8s:N' JOB_COMPLETION_INDEX. Merge the\n"
      "part stores with semindex merge"),
};
_Static_assert(sizeof ingest_scope_opts / sizeof ingest_scope_opts[0] == INGEST_SCOPE_N_OPTS,
               "INGEST_SCOPE_N_OPTS");
#undef O

void ingest_settings_init(struct ingest_settings *s)
{
    struct seg_options so = SEG_OPTIONS_INIT;
    memset(s, 0, sizeof *s);
    s->segment = (int)so.mode;
    s->window = so.window;
    s->overlap = so.overlap;
}

int ingest_settings_check(const struct ingest_settings *s, const char *prefix)
{
    if (s->segment == SEG_WINDOW && s->overlap >= s->window)
        return err_set(ERR_INVALID, "--%soverlap %ld must be smaller than --%swindow %ld", prefix, s->overlap,
                       prefix, s->window);
    return 0;
}

void ingest_settings_apply(const struct ingest_settings *s, struct ingest_options *io)
{
    io->seg.mode = (enum seg_mode)s->segment;
    io->seg.window = (int)s->window;
    io->seg.overlap = (int)s->overlap;
    if (s->text_field) io->src.text_field = s->text_field;
    if (s->id_field) io->src.id_field = s->id_field;
    if (s->column) io->src.column = s->column;
    io->src.max_entry = s->max_entry;
    io->src.max_shard = s->max_shard;
    io->src.max_record = (size_t)s->max_record;
    io->batch_tokens = (size_t)s->batch_tokens;
    io->src.strict = s->strict;
    io->src.allow_streams = s->allow_streams;
    io->src.follow_symlinks = s->follow_symlinks;
    io->reembed = s->reembed;
    io->dtype = s->f16 ? STORE_F16 : STORE_F32;
    io->root = s->root;
}

/* ---- build -------------------------------------------------------------- */

#define O(f) offsetof(struct build_settings, f)
const struct opt build_opts[] = {
    OPT("index", 0, OPT_STR, O(type), "auto|FACTORY", "auto: Flat, HNSW, IVF or IVF-PQ by size\n"
      "and budget; or a FAISS factory string such as\n"
      "IVF1024,Flat or IDMap,HNSW32", .def = "auto", .key = "type"),
    OPT("memory-budget", 0, OPT_SIZE, O(memory_budget), "SIZE", "memory the build may use: index +\n"
      "training sample + one batch of vectors (read from\n"
      "the store in batches), e.g. 8G (default: half the RAM)", .lo = 1),
    OPT("recall", 0, OPT_NUM, O(recall), "R", "recall@10 target for tuning nprobe / efSearch",
        .lo = 0.01, .hi = 1.0, .def = "0.95"),
    OPT("growth", 0, OPT_NUM, O(grow_factor), "F", "add to the trained index while the store is at most\n"
      "F times the size it was trained at, retrain beyond", .lo = 1.0, .hi = 1e9, .def = "2",
      .key = "grow-factor"),
};
_Static_assert(sizeof build_opts / sizeof build_opts[0] == BUILD_N_OPTS, "BUILD_N_OPTS");
#undef O

void build_settings_init(struct build_settings *s)
{
    struct build_options bo = BUILD_OPTIONS_INIT;
    memset(s, 0, sizeof *s);
    s->memory_budget = cli_default_memory_budget();
    s->recall = bo.recall_target;
    s->grow_factor = bo.growth_factor;
}

void build_settings_apply(const struct build_settings *s, struct build_options *bo)
{
    bo->factory = s->type && strcmp(s->type, "auto") ? s->type : NULL;
    bo->memory_budget = s->memory_budget;
    bo->recall_target = s->recall;
    bo->growth_factor = s->grow_factor;
}

/* ---- mine --------------------------------------------------------------- */

#define O(f) offsetof(struct mine_settings, f)
const struct opt mine_opts[] = {
    OPT("output", 'o', OPT_STR, O(output), "FILE", "pairs report: .tsv, .jsonl or .html\n"
      "(one self-contained report)", .def = "tsv on stdout", .flags = OPT_PATH),
    OPT("threshold", 0, OPT_NUM, O(threshold), "S", "keep pairs with cosine >= S (-1: all)",
        .lo = -1.0, .hi = 1.0, .def = "-1"),
    OPT("top-k", 0, OPT_INT, O(top_k), "K", "neighbours looked at per chunk", .lo = 1, .hi = 100000, .def = "100"),
    OPT("max-pairs", 0, OPT_INT, O(max_pairs), "N", "pairs kept at most, best first",
        .lo = 1, .hi = 1000000000, .def = "500000"),
    OPT("min-cluster-size", 0, OPT_INT, O(min_cluster), "N", "smallest cluster kept", .lo = 1, .hi = 1000000000,
        .def = "2; communities 10", .key = "min-cluster"),
    OPT("include-identical", 0, OPT_BOOL, O(include_identical), NULL, "keep pairs of identical texts and\n"
      "repeats of a pair of texts (default: left out,\n"
      "the duplicates grouped in <output stem>.duplicates.jsonl)"),
    OPT("lang", 0, OPT_STR, O(lang), "TAG", "the html report's language (default: ko if the\n"
      "texts are mostly Hangul, else en)"),
};
_Static_assert(sizeof mine_opts / sizeof mine_opts[0] == MINE_N_OPTS, "MINE_N_OPTS");
#undef O

void mine_settings_init(struct mine_settings *s)
{
    struct mine_options mo = MINE_OPTIONS_INIT;
    memset(s, 0, sizeof *s);
    s->threshold = mo.threshold;
    s->top_k = mo.top_k;
    s->max_pairs = (long)mo.max_pairs;
}

int mine_settings_check(const struct mine_settings *s, const char *prefix)
{
    static const char tag[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-";
    if (s->lang && (!s->lang[0] || strspn(s->lang, tag) != strlen(s->lang)))
        return err_set(ERR_INVALID, "bad --%slang '%s' (a language tag such as ko or en)", prefix, s->lang);
    return 0;
}

void mine_settings_apply(const struct mine_settings *s, struct mine_options *mo)
{
    mo->top_k = (int)s->top_k;
    mo->max_pairs = (size_t)s->max_pairs;
    mo->threshold = (float)s->threshold;
}
