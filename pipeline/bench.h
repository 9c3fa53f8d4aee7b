/*
 * bench.h - the benchmark table, as an X-macro list like commands.h.
 *
 * BENCH(name, function, summary). `semindex bench <name> [options]` calls
 * function(argc, argv) with argv[0] = name. Every benchmark measures its
 * baseline in the same run and reports a ratio (see docs/performance.md);
 * none of them is a test.
 */
BENCH(encode, bench_encode, "encoder throughput (sentences/s) vs padded batches, naive loops and GEMM ceiling")
