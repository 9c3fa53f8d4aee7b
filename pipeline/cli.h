/*
 * cli.h - what every command file shares: exit codes, usage printing, the
 * common -q/-v/-h options, the option entries and groups several commands
 * share (declared once, for their opts.h tables), and reading input texts.
 *
 * Manners (jq, zstd): results to stdout; diagnostics to stderr with an
 * "error: " or "warning: " prefix; -h/--help prints usage to stdout and
 * exits 0; bad usage prints one line "semindex CMD: ..." to stderr, exit 2.
 */
#ifndef SEMINDEX_CLI_H
#define SEMINDEX_CLI_H

#include <stddef.h>
#include <stdint.h>

#include "common/buf.h"
#include "pipeline/opts.h"

/* Exit status, documented in docs/semindex.1.md (EXIT STATUS). */
enum {
    EXIT_OK = 0,        /* success */
    EXIT_FAIL = 1,      /* failure: nothing or not everything was done */
    EXIT_USAGE = 2,     /* bad command line */
    EXIT_PARTIAL = 3,   /* finished, but some inputs were rejected (see the log) */
};

#define CMD(name, fn, summary) int fn(int argc, char **argv);
#include "pipeline/commands.h"
#undef CMD

/* CLI_OUTPUT_PATHS_HELP: the paragraph every command with an output path
 * (embed, export, ingest, mine, run) appends to its --help: what
 * fs_atomic (common/fsutil.h) does for each kind of path. */
#define CLI_OUTPUT_PATHS_HELP                                                          \
    "\n"                                                                               \
    "Output paths: a regular file (or a new one) is written as FILE.tmp, synced and\n" \
    "renamed over FILE, keeping FILE's mode: a reader sees the old file or the new\n"  \
    "one, never a part. A symlink is kept and the file it points to is replaced the\n" \
    "same way. '-', /dev/stdout, /dev/fd/N, a device such as /dev/null, a FIFO or a\n" \
    "socket is written straight through (no .tmp, no rename). A directory is an error.\n"

/* cli_usage_error: the one style of every command-line error: a single line
 * "semindex CMD: <msg> (see 'semindex CMD --help')" on stderr, CMD read from
 * the usage text ("usage: semindex CMD ..."); returns EXIT_USAGE. */
int cli_usage_error(const char *usage, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* cli_option_error: the error for getopt_long's '?' or ':' (c; the option
 * string starts with ':' and main sets opterr = 0, so getopt prints
 * nothing): "unknown option '--x'", "option '--x' needs a value" or
 * "option '--x' takes no value", through err_set; returns ERR_INVALID. */
int cli_option_error(int c, char **argv);

/* cli_fail: print "error: <err_msg()>" (with an optional context prefix) and
 * return EXIT_FAIL. */
int cli_fail(const char *context);

/* cli_parse_size: "512", "64k", "4M", "2G" (powers of 1024) -> bytes. */
int cli_parse_size(const char *s, uint64_t *out);

/* cli_default_memory_budget: the index memory budget of build and run when
 * none is given: half the physical RAM (0 if unknown). */
uint64_t cli_default_memory_budget(void);

/* cli_parse_int: a decimal integer in [lo, hi]. */
int cli_parse_int(const char *s, long lo, long hi, long *out);

/* cli_precision: parse --precision (f32, bf16, int8) into *out (enum
 * enc_precision) and print one warning line when this CPU lacks native
 * instructions for it (it still runs, more slowly). */
int cli_precision(const char *s, int *out);
/* cli_precision_warn: that warning alone, for a precision taken from a store. */
void cli_precision_warn(int precision);

/* Input texts (tokenize, embed, similarity, query): one text per line
 * ("lines"), or one JSON object per line with a string field ("jsonl"). */
enum cli_input_format { CLI_IN_JSONL, CLI_IN_LINES };
/* cli_input_formats: their names in the enum's order, NULL-terminated (an
 * OPT_ENUM's choices). */
extern const char *const cli_input_formats[];

struct cli_texts {
    char **text;      /* owned, NUL-terminated, valid UTF-8 (invalid bytes -> U+FFFD) */
    size_t *len;
    size_t n, cap;
    long n_replaced;  /* invalid UTF-8 sequences replaced */
};
/* cli_read_texts: read all texts from path ("-" or NULL = stdin). A
 * malformed JSON line is ERR_FORMAT naming the file and line number. */
int cli_read_texts(const char *path, enum cli_input_format fmt, const char *field,
                   struct cli_texts *out);
/* cli_texts_push: append a copy of s[0..n) to t (invalid UTF-8 replaced as
 * above); 0 or ERR_NOMEM. */
int cli_texts_push(struct cli_texts *t, const char *s, size_t n);
void cli_texts_release(struct cli_texts *t);

/* ---- options several commands share ------------------------------------
 *
 * Declared once here, used by the commands' option tables (opts.h) so that
 * --store, --threads, --model, --precision and --input mean the same, with
 * the same short flag, range and help, in every command that has them.
 *
 * Single entries, for a command's own table (off_ = offsetof its field):
 *   CLI_OPT_STORE      -s, --store DIR, required (char *)
 *   CLI_OPT_THREADS    -t, --threads N, 1..4096 (long; not given: 0, all cores)
 *   CLI_OPT_TOKENIZER  -m, --model DIR of a tokenizer, required (char *)
 *   CLI_OPT_BATCH_TOKENS --batch-tokens N, encoder batch budget (long; 0 =
 *                      the encoder's 8192)
 * Groups, added with their struct: CLI_ENCODER_GROUP (struct cli_encoder:
 * --model, --threads, --precision) and CLI_INPUT_GROUP (struct cli_input:
 * --input, --input-format, --field), each with the one function that uses
 * it (cli_encoder_create, cli_input_read). */
#define CLI_OPT_STORE(off_) OPT("store", 's', OPT_STR, off_, "DIR", "the store", .flags = OPT_REQUIRED)
#define CLI_OPT_THREADS(off_) \
    OPT("threads", 't', OPT_INT, off_, "N", "threads (default: all cores)", .lo = 1, .hi = 4096)
#define CLI_OPT_TOKENIZER(off_)                                                     \
    OPT("model", 'm', OPT_STR, off_, "DIR", "sentence-transformers model directory, any\n" \
        "directory with a tokenizer.json, or that file", .flags = OPT_REQUIRED)
#define CLI_OPT_BATCH_TOKENS(off_) \
    OPT("batch-tokens", 0, OPT_INT, off_, "N", "tokens per encoder batch", .lo = 1, .hi = 1 << 24, .def = "8192")

struct enc;
struct enc_options;

/* struct cli_encoder: the encoder a command loads. Initialize with { 0 }
 * (f32); model is required. */
struct cli_encoder {
    char *model;     /* model directory or builtin:ngram */
    long threads;    /* 0: all cores */
    int precision;   /* enum enc_precision */
};
extern const struct opt cli_encoder_opts[3];
#define CLI_ENCODER_GROUP(base_off) OPT_GROUP(cli_encoder_opts, base_off, NULL)
/* cli_precisions: enum enc_precision's names in its order, NULL-terminated. */
extern const char *const cli_precisions[];

/* cli_encoder_create: enc_create(c->model) with eo's other settings (eo may
 * be NULL: the defaults) and c's threads and precision; warns once when the
 * CPU lacks native instructions for the precision. Errors as enc_create. */
int cli_encoder_create(const struct cli_encoder *c, const struct enc_options *eo, struct enc **out);

/* struct cli_input: where a command's texts come from. Initialize with
 * CLI_INPUT_INIT (lines from stdin). */
struct cli_input {
    char *path;      /* NULL or "-": stdin */
    int format;      /* enum cli_input_format */
    char *field;     /* jsonl: the string field; NULL: "text" */
};
#define CLI_INPUT_INIT { .format = CLI_IN_LINES }
extern const struct opt cli_input_opts[3];
#define CLI_INPUT_GROUP(base_off) OPT_GROUP(cli_input_opts, base_off, NULL)

/* cli_input_read: cli_read_texts from in, with a warning counting the
 * invalid UTF-8 sequences replaced. */
int cli_input_read(const struct cli_input *in, struct cli_texts *out);

/* cli_common_opt: handle -q / -v (returns 1 if consumed). */
int cli_common_opt(int c);

/* cli_peak_rss_mb: the process's peak resident memory (VmHWM) in MiB, -1
 * when unknown; cli_peak_reset starts a new peak (/proc/self/clear_refs 5),
 * so a benchmark can measure one stage at a time. cli_rss_mb: the resident
 * memory now (VmRSS), the same way. */
double cli_peak_rss_mb(void);
double cli_rss_mb(void);
void cli_peak_reset(void);

#endif
