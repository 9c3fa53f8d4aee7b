#!/bin/sh
# query over the demo store: tsv and jsonl contracts, a text from the corpus
# finds itself first, batch input, --id, --threshold; a store grown after
# the build is still served, with a note; no index is an error.
. "$(dirname "$0")/../lib.sh"
"$S" -q ingest --store "$T/st" --model builtin:ngram "$C/korsts-part1.tar.zst" || fail "ingest exited $?"
"$S" -q query --store "$T/st" --text "x" 2>"$T/err"; [ $? -eq 1 ] || fail "no index: expected 1"
grep -q "semindex build" "$T/err" || fail "no hint to build: $(cat "$T/err")"
"$S" -q build --store "$T/st" >/dev/null || fail "build exited $?"
q="한 남자가 기타를 치고 있다."
"$S" -q query --store "$T/st" --text "$q" -k 3 > "$T/out" || fail "query exited $?"
[ "$(head -1 "$T/out" | cut -f1-6)" = "$(printf 'query\trank\tscore\tid\tdoc\ttext')" ] || fail "bad header: $(head -1 "$T/out")"
[ $(wc -l < "$T/out") -eq 4 ] || fail "expected 3 hits: $(cat "$T/out")"
sed -n 2p "$T/out" | awk -F'\t' -v q="$q" '$1==0 && $2==1 && $3=="1.000000" && $6==q {ok=1} END{exit !ok}' || fail "first hit is not the text itself: $(sed -n 2p "$T/out")"
awk -F'\t' 'NR>2 && $3 > prev {bad=1} NR>1 {prev=$3} END{exit bad}' "$T/out" || fail "scores not descending"
"$S" -q query --store "$T/st" --text "$q" -k 2 --format jsonl > "$T/j" || fail "jsonl query exited $?"
[ $(wc -l < "$T/j") -eq 2 ] || fail "expected 2 jsonl hits"
if command -v python3 >/dev/null; then
    python3 - "$T/j" <<'PY' || fail "jsonl contract"
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1], encoding="utf-8")]
for r in rows:
    assert set(r) >= {"query", "rank", "score", "id", "doc", "text"}, r
assert [r["rank"] for r in rows] == [1, 2]
assert all(r["query"] == 0 for r in rows)
PY
fi
# a file of queries is one batch; query indices follow the input
printf '%s\n%s\n%s\n' "$q" "고양이가 잔다." "한 여성이 양파를 자르고 있다." > "$T/qs"
"$S" -q query --store "$T/st" --input "$T/qs" -k 2 > "$T/out" || fail "batch query exited $?"
[ "$(awk -F'\t' 'NR>1{print $1}' "$T/out" | sort -u | tr '\n' ' ')" = "0 1 2 " ] || fail "batch query indices: $(cat "$T/out")"
# --id: the chunk's neighbours without itself
id=$(sed -n 2p "$T/out" | cut -f4)
"$S" -q query --store "$T/st" --id "$id" -k 5 > "$T/out" || fail "--id query exited $?"
awk -F'\t' -v id="$id" 'NR>1 && $4==id {bad=1} END{exit bad}' "$T/out" || fail "--id returned the chunk itself"
[ $(wc -l < "$T/out") -eq 6 ] || fail "--id: expected 5 hits"
# --threshold drops weak hits
"$S" -q query --store "$T/st" --text "$q" -k 50 --threshold 0.6 > "$T/out" || fail "threshold query"
awk -F'\t' 'NR>1 && $3 < 0.6 {bad=1} END{exit bad}' "$T/out" || fail "hit below threshold"
# usage
printf '%s\n' "$q" | "$S" -q query --store "$T/st" -k 1 > "$T/out" || fail "no query source: stdin expected"
[ "$(wc -l < "$T/out")" -eq 2 ] || fail "query from stdin: $(cat "$T/out")"
"$S" query --store "$T/st" --text a --id 1 2>/dev/null; [ $? -eq 2 ] || fail "two sources: expected 2"
"$S" query --store "$T/st" --text a --format xml 2>/dev/null; [ $? -eq 2 ] || fail "bad format: expected 2"
"$S" -q query --store "$T/st" --id 999999999 2>/dev/null; [ $? -eq 1 ] || fail "unknown id: expected 1"
# the store grows after the build: the index still serves, and says so
"$S" -q ingest --store "$T/st" --model builtin:ngram "$C/korsts-part2.tar.zst" || fail "second ingest"
"$S" -q query --store "$T/st" --text "$q" 2>"$T/err" >/dev/null || fail "stale index: expected 0, got $?"
grep -q "chunks are newer than the index" "$T/err" || fail "stale index note: $(cat "$T/err")"
"$S" -q build --store "$T/st" >/dev/null || fail "rebuild"
"$S" -q query --store "$T/st" --text "$q" --mmap >/dev/null || fail "query after rebuild"
exit 0
