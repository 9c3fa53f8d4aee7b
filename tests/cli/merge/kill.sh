#!/bin/sh
# a merge killed (kill -9) at several moments and run again each time ends
# with the same store as one uninterrupted merge (the partial shard is redone
# with its ordinal; the stale lock is taken over).
. "$(dirname "$0")/../lib.sh"
. "$here/tests/cli/merge/lib.sh"
set -e
make_corpus "$T/c"
for i in 0 1 2; do "$S" -q ingest --store "$T/p$i" --model builtin:ngram --part $i/3 "$T/c"; done
"$S" -q merge --store "$T/clean" "$T/p0" "$T/p1" "$T/p2"
"$S" export --store "$T/clean" > "$T/clean.jsonl"
killed=0
for d in 0.05 0.1 0.15 0.2 0.3 0.4 0.5 0.7; do
    "$S" -q merge --store "$T/m" "$T/p2" "$T/p0" "$T/p1" 2>/dev/null &
    pid=$!
    sleep $d
    kill -9 $pid 2>/dev/null && killed=$((killed + 1))
    wait $pid 2>/dev/null || true
done
"$S" -q merge --store "$T/m" "$T/p1" "$T/p2" "$T/p0"
"$S" export --store "$T/m" > "$T/m.jsonl"
cmp -s "$T/clean.jsonl" "$T/m.jsonl" || { echo "after $killed kills: the merged store differs"; diff "$T/clean.jsonl" "$T/m.jsonl" | head -c 600; exit 1; }
"$S" stats --store "$T/m" --json | grep -q '"shards_in_progress": 0' || { echo "a shard is left in progress"; exit 1; }
echo "ok ($killed merges killed)"
