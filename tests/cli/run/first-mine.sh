#!/bin/sh
# Issue 12 item 7: the first `run --mine-enabled` on a new store writes the
# default report <store>/reports/pairs.html although reports/ does not exist
# yet (it failed with "cannot create '.../reports/pairs.html.tmp'").
. "$(dirname "$0")/../lib.sh"
printf '{"text": "고양이가 소파 위에서 잠을 잔다."}\n{"text": "고양이가 소파 위에서 잠을 자고 있다."}\n{"text": "주식 시장이 하락했다."}\n' > "$T/a.jsonl"
"$S" -q run --store "$T/new" --model builtin:ngram --ingest-segment doc --ingest-shards "$T/a.jsonl" \
    --mine-enabled --mine-threshold 0.3 > "$T/out" 2> "$T/err" || { rc=$?; cat "$T/out" "$T/err"; echo "first run exited $rc"; exit 1; }
[ -s "$T/new/reports/pairs.html" ] || { ls -R "$T/new"; echo "no reports/pairs.html"; exit 1; }
grep -q '</html>' "$T/new/reports/pairs.html" || { echo "pairs.html is not a whole report"; exit 1; }
[ -s "$T/new/reports/last-run.json" ] || { echo "no last-run.json"; exit 1; }
echo "first run wrote reports/pairs.html"
