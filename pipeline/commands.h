/*
 * commands.h - the command table (git's git.c), as an X-macro list so that
 * main.c, the help text and the CLI tests all see the same commands.
 *
 * CMD(name, function, one-line summary). Each cmd_<name> lives in its own
 * pipeline/cmd_<name>.c (cmd_bench in bench/cmd_bench.c, beside the
 * benchmarks) and returns the exit status (see cli.h).
 */
CMD(run,        cmd_run,        "the nightly job: discover, ingest, index, mine, report (docs/run.md)")
CMD(ingest,     cmd_ingest,     "read shards, chunk, embed, and store texts and vectors")
CMD(merge,      cmd_merge,      "merge part stores (ingest --part I/N) into one store")
CMD(slurm,      cmd_slurm,      "write or submit the Slurm array job of a partitioned run")
CMD(build,      cmd_build,      "build or update the FAISS index of a store")
CMD(query,      cmd_query,      "nearest chunks of some texts through the store's index")
CMD(mine,       cmd_mine,       "paraphrase pairs and clusters of a store, as tsv, jsonl or html")
CMD(stats,      cmd_stats,      "what a store holds: model, counts, generation")
CMD(export,     cmd_export,     "the store's vectors and texts as jsonl or .npy")
CMD(show,       cmd_show,       "a chunk or document of a store with where it comes from")
CMD(tokenize,   cmd_tokenize,   "token ids of texts, as sentence-transformers computes them")
CMD(embed,      cmd_embed,      "embed texts with a sentence-transformers model directory")
CMD(similarity, cmd_similarity, "the cosine similarity matrix of some texts")
CMD(eval_sts,   cmd_eval_sts,   "STS evaluation: Pearson and Spearman of a model on scored pairs")
CMD(bench,      cmd_bench,      "benchmarks: tokenize, encode, ingest, mine")
CMD(help,       cmd_help,       "show help for semindex or one command")
