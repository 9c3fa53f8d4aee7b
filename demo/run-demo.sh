#!/bin/sh
# run-demo.sh - `make demo`: the nightly job on the bundled demo corpus, then a
# nearest-neighbour query and the paraphrase-mining report. Uses the built-in
# lexical encoder builtin:ngram, so it needs no model download.
set -eu
BUILD=${BUILD:-build}
bin="$BUILD/semindex"
store="$BUILD/demo/store"

echo "== semindex run --config demo/demo.ini  (builtin:ngram: lexical, not semantic)"
rm -rf "$BUILD/demo"
mkdir -p "$BUILD/demo"
rc=0
"$bin" run --config demo/demo.ini || rc=$?
if [ "$rc" -ne 0 ] && [ "$rc" -ne 3 ]; then
    echo "demo: semindex run failed (exit $rc)" >&2
    exit "$rc"
fi

for q in "남자가 기타를 연주한다." "주식 시장이 하락했다."; do
    echo
    echo "== semindex query --store $store -k 5 --text \"$q\""
    "$bin" query --store "$store" -k 5 --text "$q"
done

echo
echo "== semindex stats --store $store"
"$bin" stats --store "$store"
echo
echo "demo: mining report written to $BUILD/demo/pairs.html (open it in a browser);"
echo "      run report in $store/reports/last-run.json"
