#!/bin/sh
# a shards pattern that matches nothing (a glob with no match, a missing
# directory) is a rejected input: the run stores what the other patterns
# found and exits 3, naming the pattern; the report counts it.
. "$(dirname "$0")/../lib.sh"
command -v jq >/dev/null || { echo "jq not installed"; exit 77; }
mkdir "$T/in"
printf '{"text": "첫 문서입니다."}\n' > "$T/in/a.jsonl"
"$S" -q run --store "$T/st" --model builtin:ngram "$T/in/a.jsonl" >/dev/null 2>&1 || fail "a good run exited $?"
"$S" run --store "$T/st" --model builtin:ngram "$T/in/a.jsonl" "$T/in/night-*.tsv" >/dev/null 2>"$T/err"
rc=$?; [ $rc -eq 3 ] || fail "glob matching nothing: expected exit 3, got $rc: $(cat "$T/err")"
grep -q "night-\*.tsv' matched no shard" "$T/err" || fail "the pattern is not named: $(cat "$T/err")"
grep -q "^  discover   1 of 2 patterns matched nothing" "$T/err" || fail "the summary does not say why it exits 3: $(cat "$T/err")"
jq -e '.discover.empty_patterns == 1 and .status == "partial"' "$T/st/reports/last-run.json" >/dev/null ||
    fail "report: $(jq -c .discover "$T/st/reports/last-run.json")"
"$S" run --store "$T/st" --model builtin:ngram "$T/missing-dir" >/dev/null 2>"$T/err"
rc=$?; [ $rc -eq 3 ] || fail "missing directory: expected exit 3, got $rc: $(cat "$T/err")"
grep -q "missing-dir" "$T/err" || fail "the directory is not named: $(cat "$T/err")"
exit 0
