#!/bin/sh
# Two nightly runs on a growing corpus: the second embeds only the new shard,
# and the store and index equal those of one run over the whole corpus.
. "$(dirname "$0")/lib.sh"
make_shards "$T/corpus" 1 3 300
cat > "$T/night.ini" <<INI
store = store
[ingest]
shards = corpus/
segment = line
column = text
[mine]
enabled = yes
threshold = 0.9
output = pairs.jsonl
INI
"$S" -q run --config "$T/night.ini" > "$T/out1" || { cat "$T/out1"; echo "run 1 failed"; exit 1; }
jq -e '.shards.new == 3 and .exit == 0 and .index.ntotal > 0' "$T/store/reports/last-run.json" >/dev/null ||
    { cat "$T/store/reports/last-run.json"; echo "run 1 report"; exit 1; }

make_shards "$T/corpus" 4 4 300            # the next night's drop
"$S" run --config "$T/night.ini" > "$T/out2" 2>&1 || { cat "$T/out2"; echo "run 2 failed"; exit 1; }
r=$T/store/reports/last-run.json
jq -e '.shards.new == 1 and .shards.skipped == 3 and .exit == 0' "$r" >/dev/null ||
    { cat "$r"; echo "run 2 should ingest only the new shard"; exit 1; }
# only the new shard's texts reached the encoder: at most its 600 sentences
enc=$(jq '.ingest.encoded' "$r")
[ "$enc" -gt 0 ] && [ "$enc" -le 600 ] || { echo "run 2 encoded $enc texts"; exit 1; }
jq -e ".index.rebuilt == false" "$r" >/dev/null || { echo "run 2 rebuilt the index instead of adding to it"; exit 1; }
grep -q 'semindex run: ok' "$T/out2" || { cat "$T/out2"; echo "no summary"; exit 1; }

# one run over the whole corpus into another store
sed 's/^store = store/store = whole/; s/pairs.jsonl/whole.jsonl/' "$T/night.ini" > "$T/whole.ini"
"$S" -q run --config "$T/whole.ini" > /dev/null || { echo "whole run failed"; exit 1; }
snapshot "$T/store" "$T/a" && snapshot "$T/whole" "$T/b" || { echo "snapshot failed"; exit 1; }
same "$T/a" "$T/b" || exit 1
cmp -s "$T/pairs.jsonl" "$T/whole.jsonl" || { echo "mining reports differ"; exit 1; }
echo "grown store equals the one-run store ($(wc -l < "$T/a.export") chunks)"
