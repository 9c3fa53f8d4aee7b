#!/bin/sh
# a corrupt shard next to good ones: the good ones are stored, the bad one is
# named in a warning, exit 3; --strict makes it exit 1; usage errors exit 2;
# another model on the same store exits 1 unless --reembed.
. "$(dirname "$0")/../lib.sh"
printf '{"text": "좋은 문서입니다. 두 문장."}\n{"text": 5}\n' > "$T/good.jsonl"
printf 'not a tar archive, not zstd either' > "$T/bad.tar.zst"
printf '첫 줄\n둘째 줄\n' > "$T/plain.txt"
"$S" ingest --store "$T/st" --model builtin:ngram "$T/good.jsonl" "$T/bad.tar.zst" "$T/plain.txt" 2>"$T/err"
rc=$?
[ $rc -eq 3 ] || { echo "expected exit 3, got $rc"; cat "$T/err"; exit 1; }
grep -q "bad.tar.zst" "$T/err" || { echo "no message names the bad shard"; cat "$T/err"; exit 1; }
grep -q "good.jsonl': entry 'good.jsonl': line 2" "$T/err" || { echo "no message names the bad line"; cat "$T/err"; exit 1; }
# a mistyped shard path: usage error naming it, before any store is made
"$S" ingest --store "$T/st-typo" --model builtin:ngram "$T/good.jsonl" "$T/missing.tar" 2>"$T/err"
[ $? -eq 2 ] || { echo "missing shard: expected exit 2"; cat "$T/err"; exit 1; }
grep -q "missing.tar" "$T/err" || { echo "no message names the missing shard"; cat "$T/err"; exit 1; }
[ ! -e "$T/st-typo" ] || { echo "a store was created for a mistyped shard path"; exit 1; }
"$S" stats --store "$T/st" --json | grep -q "\"chunks\": 4," || { echo "good chunks not stored"; "$S" stats --store "$T/st"; exit 1; }
"$S" ingest --store "$T/st2" --model builtin:ngram --strict "$T/good.jsonl" 2>"$T/err"
[ $? -eq 1 ] || { echo "--strict: expected exit 1"; exit 1; }
grep -q "strict" "$T/err" || { echo "--strict: no message"; exit 1; }
"$S" ingest --model builtin:ngram "$T/good.jsonl" 2>/dev/null; [ $? -eq 2 ] || { echo "no --store: expected 2"; exit 1; }
"$S" ingest --store "$T/st" --model builtin:ngram 2>/dev/null; [ $? -eq 2 ] || { echo "no shard: expected 2"; exit 1; }
"$S" ingest --store "$T/st" --model builtin:ngram --segment words x 2>/dev/null; [ $? -eq 2 ] || { echo "bad segment: expected 2"; exit 1; }
"$S" stats --store "$T/nostore" 2>/dev/null; [ $? -eq 1 ] || { echo "stats of no store: expected 1"; exit 1; }
M="${SEMINDEX_FIXTURES:-}/bert-tiny-ko/model"
if [ -d "$M" ]; then
    "$S" -q ingest --store "$T/st" --model "$M" "$T/plain.txt" 2>"$T/err"
    [ $? -eq 1 ] || { echo "other model: expected exit 1"; exit 1; }
    grep -q "reembed" "$T/err" || { echo "mismatch message lacks --reembed"; cat "$T/err"; exit 1; }
fi
exit 0
