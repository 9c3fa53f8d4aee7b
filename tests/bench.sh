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
exit $status
