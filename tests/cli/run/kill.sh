#!/bin/sh
# `semindex run` killed with SIGKILL at random points, then run again until it
# finishes: the store, index and report equal those of an uninterrupted run.
. "$(dirname "$0")/lib.sh"
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
t0=$(date +%s%N)
"$S" -q run --config "$T/clean.ini" > /dev/null || { echo "clean run failed"; exit 1; }
ms=$(( ($(date +%s%N) - t0) / 1000000 ))

# kill at fractions of the clean run's duration, so kills land in every stage
# (ingest, index, mine, report) whatever the machine's speed
kills=0
for pct in 3 8 15 22 30 40 50 60 70 80 88 95; do
    "$S" -q run --config "$T/killed.ini" > /dev/null 2>&1 &
    pid=$!
    sleep "$(awk -v ms="$ms" -v p="$pct" 'BEGIN { printf "%.3f", ms * p / 100000 }')"
    if kill -9 "$pid" 2>/dev/null; then kills=$((kills + 1)); fi
    wait "$pid" 2>/dev/null
done
# a kill that found the run already finished proves nothing: most must land
[ "$kills" -ge 6 ] || { echo "only $kills of 12 kills landed while the run was going (clean run ${ms} ms)"; exit 1; }
"$S" -q run --config "$T/killed.ini" > "$T/final" 2>&1
rc=$?
[ $rc -eq 0 ] || { cat "$T/final"; echo "final run exited $rc"; exit 1; }
snapshot "$T/clean" "$T/a" && snapshot "$T/killed" "$T/b" || { echo "snapshot failed"; exit 1; }
same "$T/a" "$T/b" || exit 1
cmp -s "$T/clean.jsonl" "$T/killed.jsonl" || { echo "mining reports differ"; exit 1; }
echo "$kills kills over a ${ms} ms run; the resumed store equals the clean one ($(wc -l < "$T/a.export") chunks)"
