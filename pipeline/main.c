/*
 * main.c - the semindex program: command table, dispatch, exit status.
 *
 * Follows git's git.c: a table of {name, function, summary} (commands.h),
 * `semindex help` prints it, `semindex help CMD` == `semindex CMD --help`,
 * an unknown command is an error that lists the commands, exit 2. Only
 * pipeline/ parses options, prints usage or exits.
 */
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "common/log.h"
#include "pipeline/cli.h"

struct command {
    const char *name;
    int (*fn)(int argc, char **argv);
    const char *summary;
};

static const struct command commands[] = {
#define CMD(name, fn, summary) { #name, fn, summary },
#include "pipeline/commands.h"
#undef CMD
};
#define N_COMMANDS (sizeof commands / sizeof commands[0])

static const char main_usage[] =
    "usage: semindex [-q|-v] <command> [options] [args]\n"
    "       semindex --version\n"
    "       semindex help [<command>]\n";

/* command names use '-' on the command line and '_' in C (eval-sts). */
static const struct command *find_command(const char *name)
{
    for (size_t i = 0; i < N_COMMANDS; i++) {
        const char *a = commands[i].name, *b = name;
        while (*a && (*a == *b || (*a == '_' && *b == '-'))) a++, b++;
        if (!*a && !*b) return &commands[i];
    }
    return NULL;
}

static void print_name(FILE *f, const char *name)
{
    for (const char *p = name; *p; p++) fputc(*p == '_' ? '-' : *p, f);
}

enum { SUMMARY_COLUMN = 13 }; /* command names are padded to this width */

static void list_commands(FILE *f)
{
    fprintf(f, "\ncommands:\n");
    for (size_t i = 0; i < N_COMMANDS; i++) {
        int w = (int)strlen(commands[i].name);
        fputs("  ", f);
        print_name(f, commands[i].name);
        fprintf(f, "%*s%s\n", SUMMARY_COLUMN - w, "", commands[i].summary);
    }
    fprintf(f, "\n'semindex help <command>' or 'semindex <command> --help' shows a command's options.\n"
               "Exit status: 0 success, 1 failure, 2 usage error, 3 finished with rejected inputs.\n");
}

/* distance: edits (insert, delete, substitute, swap of two neighbours)
 * between a command name ('_' read as '-') and what was typed. */
static int distance(const char *cmd, const char *typed)
{
    enum { M = 32 };
    size_t n = strlen(cmd), m = strlen(typed);
    if (n >= M || m >= M) return M;
    int d[M][M];
    for (size_t i = 0; i <= n; i++) d[i][0] = (int)i;
    for (size_t j = 0; j <= m; j++) d[0][j] = (int)j;
    for (size_t i = 1; i <= n; i++)
        for (size_t j = 1; j <= m; j++) {
            char a = cmd[i - 1] == '_' ? '-' : cmd[i - 1], b = typed[j - 1];
            int v = d[i - 1][j - 1] + (a != b);
            if (d[i - 1][j] + 1 < v) v = d[i - 1][j] + 1;
            if (d[i][j - 1] + 1 < v) v = d[i][j - 1] + 1;
            if (i > 1 && j > 1 && a == typed[j - 2] && (cmd[i - 2] == '_' ? '-' : cmd[i - 2]) == b &&
                d[i - 2][j - 2] + 1 < v)
                v = d[i - 2][j - 2] + 1;
            d[i][j] = v;
        }
    return d[n][m];
}

/* unknown_command: one line, with git's "did you mean" when one command is
 * within 2 edits (the closest, first in the table on a tie); else the
 * list of commands. Exit 2. */
static int unknown_command(const char *name)
{
    const struct command *best = NULL;
    int best_d = 3;
    for (size_t i = 0; i < N_COMMANDS; i++) {
        int d = distance(commands[i].name, name);
        if (d < best_d) best_d = d, best = &commands[i];
    }
    fprintf(stderr, "semindex: unknown command '%s'", name);
    if (best) {
        fputs("; did you mean '", stderr);
        print_name(stderr, best->name);
        fputs("'?\n", stderr);
        return EXIT_USAGE;
    }
    fputc('\n', stderr);
    list_commands(stderr);
    return EXIT_USAGE;
}

int cmd_help(int argc, char **argv)
{
    if (argc >= 2 && (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help"))) {
        printf("usage: semindex help [<command>]\n\n"
               "Without a command, list the commands; with one, show its usage and options\n"
               "(the same as 'semindex <command> --help').\n");
        return EXIT_OK;
    }
    if (argc < 2) {
        printf("semindex %s - build a semantic index of a corpus, overnight, in C\n\n%s",
               SEMINDEX_VERSION, main_usage);
        list_commands(stdout);
        return EXIT_OK;
    }
    const struct command *c = find_command(argv[1]);
    if (!c) return unknown_command(argv[1]);
    char *sub[] = { argv[1], "--help", NULL };
    return c->fn(2, sub);
}

int main(int argc, char **argv)
{
    /* a reader that stops early (`semindex export ... | head -1`) is a normal
     * end of the output: the default SIGPIPE ends us quietly (exit status
     * 141), also when the parent left SIGPIPE ignored (then every write
     * would fail with EPIPE and print errors). Outputs to files are written
     * to a temporary name and renamed, so nothing partial is left. */
    signal(SIGPIPE, SIG_DFL);
    int i = 1;
    for (; i < argc && argv[i][0] == '-'; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "--version") || !strcmp(a, "-V")) {
            printf("semindex %s\n", SEMINDEX_VERSION);
            return EXIT_OK;
        }
        if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
            char *h[] = { "help", NULL };
            return cmd_help(1, h);
        }
        if (!strcmp(a, "-q")) cli_common_opt('q');
        else if (!strcmp(a, "-v")) cli_common_opt('v');
        else {
            fprintf(stderr, "error: unknown option '%s'\n%s", a, main_usage);
            return EXIT_USAGE;
        }
    }
    if (i >= argc) {
        fprintf(stderr, "%s", main_usage);
        list_commands(stderr);
        return EXIT_USAGE;
    }
    const struct command *c = find_command(argv[i]);
    if (!c) return unknown_command(argv[i]);
    fflush(stdout);
    opterr = 0; /* commands report bad options themselves (opts.c, cli_option_error) */
    int rc = c->fn(argc - i, argv + i);
    if (fflush(stdout) != 0 || ferror(stdout)) {
        fprintf(stderr, "error: cannot write the output\n");
        if (rc == EXIT_OK) rc = EXIT_FAIL;
    }
    return rc;
}
