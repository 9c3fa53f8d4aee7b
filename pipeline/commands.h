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
CMD(similarity, cmd_similarity, "the cosine similarity matrix of some texts")
CMD(eval_sts,   cmd_eval_sts,   "STS evaluation: Pearson and Spearman of a model on scored pairs")
CMD(ingest,     cmd_ingest,     "read shards, chunk, embed, and store texts and vectors")
CMD(stats,      cmd_stats,      "what a store holds: model, counts, generation")
CMD(export,     cmd_export,     "the store's vectors and texts as jsonl or .npy")
CMD(build,      cmd_build,      "build or update the FAISS index of a store")
CMD(query,      cmd_query,      "nearest chunks of some texts through the store's index")
CMD(mine,       cmd_mine,       "paraphrase pairs and clusters of a store, as tsv, jsonl or html")
CMD(tokenize,   cmd_tokenize,   "token ids of texts, as sentence-transformers computes them")
