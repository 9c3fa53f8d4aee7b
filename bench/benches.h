/*
 * benches.h - the benchmark table, as an X-macro list like pipeline/commands.h.
 *
 * BENCH(name, function, summary). `semindex bench <name> [options]` calls
 * function(argc, argv) with argv[0] = name (bench/cmd_bench.c); each
 * bench_<name> lives in bench/bench_<name>.c. Every benchmark measures its
 * baseline in the same run and reports a ratio (see docs/performance.md);
 * none of them is a test.
 */
BENCH(ingest,   bench_ingest,   "end-to-end ingest vs the encoder alone on the same texts")
BENCH(build,    bench_build,    "out-of-core build + ANN mining of a synthetic store: time per stage, peak RSS, recall")
BENCH(mine, bench_mine, "paraphrase mining: naive vs exact vs FAISS kNN, time, memory, recall")
BENCH(tokenize, bench_tokenize, "tokenizer MB/s and texts/s on one thread vs the HF tokenizers core")
BENCH(encode, bench_encode, "encoder throughput (sentences/s) vs padded batches, naive loops and GEMM ceiling")
