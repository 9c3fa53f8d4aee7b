#!/bin/sh
# -q is honoured (issue 14 item 5): the run summary goes to stderr as
# docs/run.md says (stdout stays empty: `semindex run | head -4` reads
# nothing), and -q drops it; with -q every command's stderr is empty on
# success, and holds only error lines on a failure.
. "$(dirname "$0")/../lib.sh"
"$S" run --store "$T/st" --model builtin:ngram "$C/korsts-part1.tar.zst" >"$T/out" 2>"$T/err" || fail "run: $(cat "$T/err")"
[ -s "$T/out" ] && fail "run wrote to stdout: $(cat "$T/out")"
grep -q "^semindex run: ok (exit 0)" "$T/err" || fail "no summary on stderr: $(cat "$T/err")"
grep -q "^  store      " "$T/err" || fail "summary incomplete: $(cat "$T/err")"
"$S" -q run --store "$T/st" --model builtin:ngram "$C/korsts-part1.tar.zst" "$C/korsts-part2.tar.zst" >"$T/out" 2>"$T/err" ||
    fail "run -q: $(cat "$T/err")"
[ -s "$T/out" ] || [ -s "$T/err" ] && fail "run -q printed: $(cat "$T/out" "$T/err")"
jq -e '.exit == 0 and .shards.new == 1' "$T/st/reports/last-run.json" >/dev/null || fail "run -q report"
Q="한 남자가 기타를 치고 있다."
for cmd in "ingest --store $T/st2 --model builtin:ngram $C/korsts-part1.tar.zst" "build --store $T/st2" \
    "query --store $T/st2 -k 2" "export --store $T/st2" "mine --store $T/st2 --output $T/p.tsv" "stats --store $T/st2"; do
    set -- $cmd
    if [ "$1" = query ]; then "$S" -q "$@" --text "$Q" >"$T/out" 2>"$T/err"; else "$S" -q "$@" >"$T/out" 2>"$T/err"; fi
    [ $? -eq 0 ] || fail "-q $1: $(cat "$T/err")"
    [ -s "$T/err" ] && fail "-q $1 printed on stderr: $(cat "$T/err")"
done
# a failure under -q: errors only
"$S" -q run --store "$T/st" --model "$T/no-such-model" "$C/korsts-part1.tar.zst" >"$T/out" 2>"$T/err"
[ $? -eq 1 ] || fail "bad model: expected exit 1"
[ -s "$T/out" ] && fail "failed run -q wrote to stdout: $(cat "$T/out")"
[ -s "$T/err" ] || fail "failed run -q said nothing"
grep -v "^error: " "$T/err" && fail "failed run -q printed more than errors"
exit 0
