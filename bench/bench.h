/*
 * bench.h - what the benchmarks of `semindex bench` share (bench/).
 *
 * The benchmarks are part of the program, not of libsemindex.a: they reach
 * the library through its public headers, plus ingest/encoder/encoder_internal.h
 * (the one internal header, for benchmarks and tests only) in bench_encode.c,
 * and the command line through pipeline/cli.h. Nothing outside bench/
 * includes this file; main.c knows only cmd_bench (pipeline/commands.h).
 *
 * Every benchmark measures its baseline in the same run and prints "key value"
 * lines to stdout (docs/performance.md quotes them); none of them is a test.
 */
#ifndef SEMINDEX_BENCH_H
#define SEMINDEX_BENCH_H

#include "common/buf.h"

/* bench_<name>(argc, argv), argv[0] = name, for each entry of benches.h;
 * returns the exit status (pipeline/cli.h). */
#define BENCH(name, fn, summary) int fn(int argc, char **argv);
#include "bench/benches.h"
#undef BENCH

/* BENCH_OPT_DATA: the --data DIR entry of an option table (pipeline/opts.h)
 * for bench_data's given (char *, off_ its offsetof). */
#define BENCH_OPT_DATA(off_)                                                                       \
    OPT("data", 'd', OPT_STR, off_, "DIR", "KorSTS/KorNLI folder (default: the first of\n"           \
        "$SEMINDEX_DATA, ../shared/data, and ../shared/data\nor ../../shared/data beside the executable)")

/* bench_data: the KorSTS/KorNLI folder, into out: given (--data) if not
 * NULL, else the first of $SEMINDEX_DATA, ../shared/data (from the current
 * directory), <executable's dir>/../shared/data and <executable's
 * dir>/../../shared/data that holds the file probe. Returns 0, or
 * ERR_NOTFOUND naming the places tried and --data (or the --data given). */
int bench_data(const char *given, const char *probe, struct buf *out);

struct cli_texts;
/* bench_read_sentences: append to t the sentence1 column, then the sentence2
 * column, of a TSV file whose header line names them (KorSTS, KorNLI); rows
 * without the column are skipped. Returns 0, ERR_IO (cannot open or read),
 * ERR_FORMAT (no such columns in the header, or no sentences) or ERR_NOMEM,
 * each naming the file. */
int bench_read_sentences(const char *path, struct cli_texts *t);

#endif
