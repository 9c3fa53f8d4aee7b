/*
 * cmd_bench.c - `semindex bench <what>`: dispatch to the benchmarks of
 * bench/benches.h. Benchmarks print their numbers to stdout as "key value"
 * lines (and --json where offered) so docs/performance.md can quote them.
 */
#include <stdio.h>
#include <string.h>

#include "bench/bench.h"
#include "pipeline/cli.h"

static const struct {
    const char *name;
    int (*fn)(int, char **);
    const char *summary;
} benches[] = {
#define BENCH(name, fn, summary) { #name, fn, summary },
#include "bench/benches.h"
#undef BENCH
    { NULL, NULL, NULL },
};

static void usage(FILE *f)
{
    fprintf(f, "usage: semindex bench <what> [options]\n\nbenchmarks:\n");
    for (int i = 0; benches[i].name; i++) fprintf(f, "  %-10s %s\n", benches[i].name, benches[i].summary);
    fprintf(f, "\n'semindex bench <what> --help' shows its options.\n");
}

int cmd_bench(int argc, char **argv)
{
    if (argc < 2 || !strcmp(argv[1], "-h") || !strcmp(argv[1], "--help")) {
        usage(argc < 2 ? stderr : stdout);
        return argc < 2 ? EXIT_USAGE : EXIT_OK;
    }
    for (int i = 0; benches[i].name; i++)
        if (!strcmp(argv[1], benches[i].name)) return benches[i].fn(argc - 1, argv + 1);
    return cli_usage_error("usage: semindex bench <what>", "unknown benchmark '%s'", argv[1]);
}
