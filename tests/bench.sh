#!/bin/sh
# bench.sh - `make bench`: every benchmark of `semindex bench`, on the fixture
# models and KorSTS, each printing its same-run baseline and ratio
# (docs/performance.md explains the method and quotes the numbers).
# Not a test: nothing here passes or fails on speed.
BUILD=${BUILD:-build}
bin="$BUILD/semindex"
FIX=${SEMINDEX_FIXTURES:-../shared/fixtures}
DATA=${SEMINDEX_DATA:-../shared/data}
export SEMINDEX_FIXTURES="$FIX" SEMINDEX_DATA="$DATA"
status=0
run() {
    echo "== semindex bench $*"
    "$bin" bench "$@" || { echo "bench: '$*' failed" >&2; status=1; }
    echo
}

if [ -d "$FIX" ]; then
    for m in modernbert-ko-tiny modernbert-tiny bert-tiny-ko xlmr-tiny; do
        run tokenize --model "$FIX/$m/model"
    done
    for m in modernbert-ko-tiny bert-tiny-ko; do
        run encode --model "$FIX/$m/model"
    done
else
    echo "bench: fixtures not found at $FIX: tokenizer and encoder benchmarks skipped"
fi
run ingest
run mine
# SEMINDEX_BENCH_FULL=1: the reduced precisions on full-size random models
# (ModernBERT-base shape, Korean vocabulary; ~610 MB each, written to a
# temporary folder and removed), as in docs/performance.md ("int8 per model"):
# the transformers-initialised model, and the harsher plain one
if [ -n "$SEMINDEX_BENCH_FULL" ] && [ -d "$FIX" ]; then
    tmp=$(mktemp -d) || exit 1
    trap 'rm -rf "$tmp"' EXIT
    for init in transformers semindex; do
        "$BUILD/tools/make_random_model" --init $init --tokenizer "$FIX/modernbert-ko-tiny/model" "$tmp/$init" ||
            { status=1; continue; }
        for p in int8 bf16; do
            run encode --model "$tmp/$init" --threads 2 --limit 1000 --precision $p --interleave 1
        done
        rm -rf "${tmp:?}/$init"
    done
fi
exit $status
