#!/bin/sh
# ingest the demo corpus, stats --json, rerun skips, export jsonl and npy
# (real NumPy 1.0 header, sibling .jsonl of ids and texts).
. "$(dirname "$0")/../lib.sh"
set -e
"$S" ingest --store "$T/st" --model builtin:ngram --stats-json "$T/run.json" "$here"/demo/corpus/*.tar.zst 2>"$T/err" \
    || { echo "ingest failed"; cat "$T/err"; exit 1; }
grep -q '"shards_new": 2' "$T/run.json" || { echo "run stats: $(cat "$T/run.json")"; exit 1; }
"$S" stats --store "$T/st" --json > "$T/stats.json"
for k in '"shards": 2' '"docs": 360' '"dim": 768' '"model": "builtin:ngram"' '"vectors": ' '"chunks": '; do
    grep -q "$k" "$T/stats.json" || { echo "stats lacks $k: $(cat "$T/stats.json")"; exit 1; }
done
chunks=$(sed 's/.*"chunks": \([0-9]*\).*/\1/' "$T/stats.json")
vectors=$(sed 's/.*"vectors": \([0-9]*\).*/\1/' "$T/stats.json")
gen=$(sed 's/.*"generation": \([0-9]*\).*/\1/' "$T/stats.json")
[ "$chunks" -gt 1000 ] && [ "$chunks" = "$vectors" ] || { echo "chunks $chunks vectors $vectors"; exit 1; }
# a rerun skips both shards and changes nothing
"$S" ingest --store "$T/st" --model builtin:ngram --stats-json - "$here"/demo/corpus/*.tar.zst 2>/dev/null > "$T/run2.json"
grep -q '"shards_skipped": 2' "$T/run2.json" || { echo "rerun: $(cat "$T/run2.json")"; exit 1; }
"$S" stats --store "$T/st" --json | grep -q "\"generation\": $gen," || { echo "rerun changed the store"; exit 1; }
# export jsonl: one object per chunk with id, doc, text, vector
"$S" export --store "$T/st" > "$T/all.jsonl"
[ "$(wc -l < "$T/all.jsonl")" -eq "$chunks" ] || { echo "jsonl lines != chunks"; exit 1; }
head -1 "$T/all.jsonl" | grep -q '^{"id": 0, "doc": 0, "text": "[^"]*", .*"vector": \[' || { echo "bad jsonl: $(head -c 300 "$T/all.jsonl")"; exit 1; }
# export npy
"$S" -q export --store "$T/st" --format npy --output "$T/v.npy"
[ "$(head -c 8 "$T/v.npy" | od -An -tx1 | tr -d ' \n')" = "934e554d50590100" ] || { echo "bad npy magic"; exit 1; }
hl=$(head -c 10 "$T/v.npy" | tail -c 2 | od -An -tu2 | tr -d ' \n')
[ $(( (10 + hl) % 64 )) -eq 0 ] || { echo "npy header not aligned: $hl"; exit 1; }
head -c $((10 + hl)) "$T/v.npy" | tail -c "$hl" | grep -q "{'descr': '<f4', 'fortran_order': False, 'shape': ($vectors, 768), }" \
    || { echo "bad npy header: $(head -c $((10 + hl)) "$T/v.npy" | tail -c "$hl")"; exit 1; }
size=$(wc -c < "$T/v.npy")
[ "$size" -eq $((10 + hl + vectors * 768 * 4)) ] || { echo "npy size $size"; exit 1; }
[ "$(wc -l < "$T/v.jsonl")" -eq "$vectors" ] || { echo "sidecar lines"; exit 1; }
head -1 "$T/v.jsonl" | grep -q '^{"row": 0, "id": 0, "doc": 0, "text": ' || { echo "bad sidecar"; exit 1; }
# npy needs --output
set +e
"$S" export --store "$T/st" --format npy >/dev/null 2>&1; [ $? -eq 2 ] || { echo "npy without --output: expected 2"; exit 1; }
exit 0
