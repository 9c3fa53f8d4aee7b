#!/bin/sh
# readers see whole shards only (issue 12.2): while an ingest of a changed
# shard is paused (SIGSTOP) after it committed batches of the new version,
# and after it is killed, `export` and `stats` show exactly the old version;
# after the rerun, exactly the new one. Progress is read from the store's
# generation (one per committed batch), not from a clock.
. "$(dirname "$0")/../lib.sh"
pid=
trap '[ -n "$pid" ] && kill -9 $pid 2>/dev/null; rm -rf "$T"' EXIT
awk 'BEGIN { for (i = 0; i < 4000; i++) printf "첫 판의 문장 %d 번입니다\n", i }' > "$T/s.txt"
ING="$S -q ingest --store $T/st --model builtin:ngram --segment line"
$ING "$T/s.txt" || { echo "night 1 failed"; exit 1; }
export_ids() { "$S" -q export --store "$T/st" --format npy --output "$T/x.npy" && sort "$T/x.jsonl" > "$1"; }
export_ids "$T/old.jsonl" || exit 1
[ "$(wc -l < "$T/old.jsonl")" -eq 4000 ] || { echo "night 1: $(wc -l < "$T/old.jsonl") chunks"; exit 1; }
field() { "$S" stats --store "$T/st" --json | sed "s/.*\"$1\": \([0-9]*\).*/\1/"; }
g0=$(field generation)
awk 'BEGIN { for (i = 0; i < 4000; i++) printf "둘째 판의 문장 %d 번입니다\n", i }' > "$T/s.txt"
$ING --batch-tokens 64 "$T/s.txt" &   # small batches: many commits to pause between
pid=$!
n=0
while :; do
    kill -0 $pid 2>/dev/null || { echo "the ingest ended before it could be paused"; exit 1; }
    g=$(field generation)
    [ -n "$g" ] && [ "$g" -ge $((g0 + 5)) ] && [ "$(field shards_in_progress)" = 1 ] && break
    n=$((n + 1))
    [ $n -lt 100000 ] || { echo "no progress"; exit 1; }
done
kill -STOP $pid
check_old() {
    export_ids "$T/now.jsonl" || exit 1
    cmp -s "$T/old.jsonl" "$T/now.jsonl" || {
        echo "$1: a reader sees $(wc -l < "$T/now.jsonl") chunks, $(grep -c '둘째' "$T/now.jsonl") of the new version"; exit 1; }
    [ "$(field chunks)" = 4000 ] && [ "$(field vectors)" = 4000 ] || { echo "$1: stats says $(field chunks) chunks"; exit 1; }
}
check_old "paused"
kill -9 $pid; wait $pid 2>/dev/null; pid=
check_old "killed"
$ING "$T/s.txt" || { echo "rerun failed"; exit 1; }
export_ids "$T/new.jsonl" || exit 1
[ "$(wc -l < "$T/new.jsonl")" -eq 4000 ] && [ "$(grep -c '둘째 판' "$T/new.jsonl")" -eq 4000 ] ||
    { echo "after the rerun: $(wc -l < "$T/new.jsonl") chunks, $(grep -c '둘째 판' "$T/new.jsonl") new"; exit 1; }
exit 0
