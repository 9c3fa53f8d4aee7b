#!/bin/sh
# ingest --part I/N for I = 0..N-1 (N = 1, 3, 7) into N part stores, merged in
# shuffled order: the export (ids, texts, provenance, vectors) equals one
# ingest of the whole corpus, also when the map grows during the merge;
# merging again changes nothing; a merge re-run with more parts adds them.
. "$(dirname "$0")/../lib.sh"
. "$here/tests/cli/merge/lib.sh"
set -e
make_corpus "$T/c"
# the single-machine ingest, arguments in reverse order (ordinals follow keys)
"$S" -q ingest --store "$T/whole" --model builtin:ngram $(find "$T/c" -type f | sort -r)
"$S" export --store "$T/whole" > "$T/whole.jsonl"
grep -q '"shard": "y/dup-00.jsonl", "entry": "dup-00.jsonl", "record": 1' "$T/whole.jsonl" || { echo "no provenance"; head -c 400 "$T/whole.jsonl"; exit 1; }
for n in 1 3 7; do
    i=0
    while [ $i -lt $n ]; do
        "$S" -q ingest --store "$T/p$n-$i" --model builtin:ngram --part $i/$n "$T/c"
        i=$((i + 1))
    done
    # shuffled order of the arguments
    parts=$(i=0; while [ $i -lt $n ]; do echo "$T/p$n-$i"; i=$((i + 1)); done | awk 'BEGIN{srand(42)} {print rand() "\t" $0}' | sort | cut -f2)
    "$S" -q merge --store "$T/m$n" $parts
    "$S" export --store "$T/m$n" > "$T/m$n.jsonl"
    cmp -s "$T/whole.jsonl" "$T/m$n.jsonl" || { echo "N=$n: merged export differs"; diff "$T/whole.jsonl" "$T/m$n.jsonl" | head -c 600; exit 1; }
done
# a small map that must grow many times during the merge (MDB_MAP_FULL: the
# transaction is redone in a bigger map): the same store
SEMINDEX_STORE_MAP_SIZE=262144 "$S" -q merge --store "$T/small" "$T/p3-2" "$T/p3-1" "$T/p3-0"
"$S" export --store "$T/small" | cmp -s - "$T/whole.jsonl" || { echo "merge with map growth differs"; exit 1; }
# every part of 7 got something, and the parts are disjoint
total=0
for i in 0 1 2 3 4 5 6; do
    s=$("$S" stats --store "$T/p7-$i" --json | sed 's/.*"shards": \([0-9]*\).*/\1/')
    total=$((total + s))
done
[ $total -eq 9 ] || { echo "7 parts hold $total shards, not 9"; exit 1; }
# merging again changes nothing
gen=$("$S" stats --store "$T/m3" --json | sed 's/.*"generation": \([0-9]*\).*/\1/')
"$S" -q merge --store "$T/m3" --stats-json "$T/again.json" "$T/p3-1" "$T/p3-0" "$T/p3-2"
grep -q '"shards_skipped": 9' "$T/again.json" || { echo "re-merge: $(cat "$T/again.json")"; exit 1; }
[ "$("$S" stats --store "$T/m3" --json | sed 's/.*"generation": \([0-9]*\).*/\1/')" = "$gen" ] || { echo "re-merge changed the store"; exit 1; }
# incremental: parts 0 and 2 tonight, part 1 tomorrow
"$S" -q merge --store "$T/inc" "$T/p3-2" "$T/p3-0"
"$S" -q merge --store "$T/inc" "$T/p3-1" "$T/p3-0"
"$S" export --store "$T/inc" > "$T/inc.jsonl"
# ordinals are handed out as merged, so compare what does not depend on them
cut_ids() { sed 's/^{"id": [0-9]*, "doc": [0-9]*, //' "$1" | sort; }
[ "$(cut_ids "$T/inc.jsonl" | md5sum)" = "$(cut_ids "$T/whole.jsonl" | md5sum)" ] || { echo "incremental merge lost or changed chunks"; exit 1; }
echo ok
