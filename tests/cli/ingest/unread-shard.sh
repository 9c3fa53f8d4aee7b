#!/bin/sh
# a shard that cannot be read whole is never recorded as done (issue 14.1):
# a truncated archive is reported and exits 3 on every night until it is
# whole; a file of no record format (a.json, a tar through /dev/stdin) is a
# warning and a rejected input (exit 3), also every night.
. "$(dirname "$0")/../lib.sh"
src="$here/demo/corpus/korsts-part1.tar.zst"
[ -f "$src" ] || { echo "no demo corpus at $src"; exit 77; }
head -c 12000 "$src" > "$T/night.tar.zst"
for night in 1 2; do
    "$S" ingest --store "$T/st" --model builtin:ngram "$T/night.tar.zst" 2>"$T/err"
    rc=$?
    [ $rc -eq 3 ] || { echo "night $night, truncated shard: expected exit 3, got $rc"; cat "$T/err"; exit 1; }
    grep -q "night.tar.zst.*not recorded as done" "$T/err" || { echo "night $night: no message"; cat "$T/err"; exit 1; }
    "$S" stats --store "$T/st" --json > "$T/stats.json"
    grep -q '"shards": 0,' "$T/stats.json" || { echo "truncated shard recorded done: $(cat "$T/stats.json")"; exit 1; }
    grep -q '"chunks": 0,' "$T/stats.json" || { echo "readers see part of a truncated shard: $(cat "$T/stats.json")"; exit 1; }
done
cp "$src" "$T/night.tar.zst"
"$S" ingest --store "$T/st" --model builtin:ngram "$T/night.tar.zst" 2>"$T/err" || { echo "whole shard: failed"; cat "$T/err"; exit 1; }
"$S" stats --store "$T/st" --json | grep -q '"shards": 1,' || { echo "whole shard not done"; exit 1; }
# no record format
printf '{"text": "제이슨 파일"}\n' > "$T/a.json"
for night in 1 2; do
    "$S" ingest --store "$T/st" --model builtin:ngram "$T/a.json" 2>"$T/err"
    rc=$?
    [ $rc -eq 3 ] || { echo "night $night, a.json: expected exit 3, got $rc"; cat "$T/err"; exit 1; }
    grep -q "^warning: .*a.json.*no entry of a known record format" "$T/err" || { echo "a.json: no warning"; cat "$T/err"; exit 1; }
    "$S" ingest --store "$T/st" --model builtin:ngram /dev/stdin < "$src" 2>"$T/err"
    rc=$?
    [ $rc -eq 3 ] || { echo "night $night, a tar through /dev/stdin: expected exit 3, got $rc"; cat "$T/err"; exit 1; }
    grep -q "^warning: .*no entry of a known record format" "$T/err" || { echo "/dev/stdin: no warning"; cat "$T/err"; exit 1; }
done
"$S" stats --store "$T/st" --json | grep -q '"shards": 1,' || { echo "a formatless shard is recorded done"; exit 1; }
exit 0
