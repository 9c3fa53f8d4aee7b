#!/bin/sh
# embed: usage errors exit 2, a missing or broken model exits 1 with one
# "error:" line naming it, and no partial output file is left behind.
. "$(dirname "$0")/../lib.sh"
echo hello > "$T/in.txt"
"$S" embed --input "$T/in.txt" 2> "$T/err"; [ $? -eq 2 ] || { echo "no --model: want 2"; exit 1; }
grep -q "^semindex embed: --model is required" "$T/err" || exit 1
"$S" embed --model x --format csv 2>/dev/null; [ $? -eq 2 ] || { echo "bad format: want 2"; exit 1; }
"$S" embed --model x --threads 0 2>/dev/null; [ $? -eq 2 ] || { echo "bad threads: want 2"; exit 1; }
"$S" embed --model "$T/nope" --input "$T/in.txt" --output "$T/o" 2> "$T/err"; [ $? -eq 1 ] || exit 1
grep -q "error: .*nope" "$T/err" || { cat "$T/err"; exit 1; }
[ ! -e "$T/o" ] && [ ! -e "$T/o.tmp" ] || { echo "left output behind"; exit 1; }
mkdir "$T/m"
echo '[{"idx":0,"name":"0","path":"","type":"sentence_transformers.models.Transformer"}]' > "$T/m/modules.json"
echo '{"model_type": "t5"}' > "$T/m/config.json"
"$S" embed --model "$T/m" --input "$T/in.txt" 2> "$T/err"; [ $? -eq 1 ] || exit 1
grep -q "model_type 't5'" "$T/err" || { cat "$T/err"; exit 1; }
# the builtin encoder works without files
"$S" embed --model builtin:ngram --input "$T/in.txt" --format f32 | wc -c | grep -q '^3072$' || exit 1
exit 0
