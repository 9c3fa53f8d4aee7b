#!/bin/sh
# `semindex run` killed with SIGKILL at random points, then run again until it
# finishes: the store, index and report equal those of an uninterrupted run.
. "$(dirname "$0")/lib.sh"
T=$(mktemp -d); trap 'rm -rf "$T"' EXIT
make_shards "$T/corpus" 1 8 700
for s in clean killed; do
    cat > "$T/$s.ini" <<INI
store = $s
threads = 2
[ingest]
shards = corpus/
segment = line
[mine]
enabled = yes
threshold = 0.9
output = $s.jsonl
INI
done
"$S" -q run --config "$T/clean.ini" > /dev/null || { echo "clean run failed"; exit 1; }

# kill at increasing delays so kills land in every stage (ingest, index, mine, report)
kills=0
for d in 0.05 0.1 0.2 0.3 0.45 0.6 0.8 1.0 1.3 0.15 0.25 0.7; do
    "$S" -q run --config "$T/killed.ini" > /dev/null 2>&1 &
    pid=$!
    sleep "$d"
    if kill -9 "$pid" 2>/dev/null; then kills=$((kills + 1)); fi
    wait "$pid" 2>/dev/null
done
"$S" -q run --config "$T/killed.ini" > "$T/final" 2>&1
rc=$?
[ $rc -eq 0 ] || { cat "$T/final"; echo "final run exited $rc"; exit 1; }
snapshot "$T/clean" "$T/a" && snapshot "$T/killed" "$T/b" || { echo "snapshot failed"; exit 1; }
same "$T/a" "$T/b" || exit 1
cmp -s "$T/clean.jsonl" "$T/killed.jsonl" || { echo "mining reports differ"; exit 1; }
echo "$kills kills; the resumed store equals the clean one ($(wc -l < "$T/a.export") chunks)"
