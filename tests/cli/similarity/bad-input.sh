#!/bin/sh
# similarity: usage errors exit 2; bad input files exit 1 naming the line.
. "$(dirname "$0")/../lib.sh"
"$S" similarity --input /dev/null 2>"$T/err"; [ $? -eq 2 ] || { echo "no --model: expected exit 2"; exit 1; }
grep -q "model is required" "$T/err" || exit 1
"$S" similarity --model builtin:ngram --input-format xml 2>"$T/err"; [ $? -eq 2 ] || { echo "bad format: expected 2"; exit 1; }
printf '{"text": "a"}\n{"text": 5}\n' > "$T/bad.jsonl"
"$S" -q similarity --model builtin:ngram --input "$T/bad.jsonl" --input-format jsonl 2>"$T/err"
[ $? -eq 1 ] || { echo "bad jsonl: expected exit 1"; exit 1; }
grep -q "line 2" "$T/err" || { echo "message lacks the line:"; cat "$T/err"; exit 1; }
"$S" -q similarity --model builtin:ngram --input "$T/none.txt" 2>"$T/err"
[ $? -eq 1 ] || { echo "missing input: expected exit 1"; exit 1; }
# empty input: empty matrix, success
"$S" -q similarity --model builtin:ngram --input /dev/null > "$T/out" || { echo "empty input failed"; exit 1; }
[ ! -s "$T/out" ] || { echo "empty input printed something"; exit 1; }
exit 0
