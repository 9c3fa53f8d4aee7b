/*
 * commands.h - the command table (git's git.c), as an X-macro list so that
 * main.c, the help text and the CLI tests all see the same commands.
 *
 * CMD(name, function, one-line summary). Each cmd_<name> lives in its own
 * pipeline/cmd_<name>.c and returns the exit status (see cli.h).
 */
CMD(help,       cmd_help,       "show help for semindex or one command")
CMD(embed,      cmd_embed,      "embed texts with a sentence-transformers model directory")
CMD(bench,      cmd_bench,      "benchmarks: tokenize, encode, ingest, mine")
