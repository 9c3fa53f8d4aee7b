#!/bin/sh
# --precision: a store records the precision of its vectors (stats shows it);
# ingesting at another one is refused naming both and suggesting --reembed;
# --reembed re-encodes at the new one; query embeds at the store's precision
# unless told otherwise (a stored text finds itself with score 1.000000 only
# at the store's precision); a bad value is a usage error.
. "$(dirname "$0")/../lib.sh"
F=${SEMINDEX_FIXTURES:-}
[ -d "$F/modernbert-ko-tiny/model" ] || { echo "fixtures not found"; exit 77; }
M="$F/modernbert-ko-tiny/model"
q="한 남자가 기타를 치고 있다."
printf '%s\n고양이가 잔다.\n한 여성이 양파를 자르고 있다.\n두 남자가 축구를 하고 있다.\n' "$q" > "$T/a.txt"
"$S" -q ingest --store "$T/st" --model "$M" --precision int8 --threads 2 "$T/a.txt" || fail "int8 ingest exited $?"
"$S" stats --store "$T/st" | grep -q '^precision *int8$' || fail "stats: $("$S" stats --store "$T/st")"
"$S" stats --store "$T/st" --json | grep -q '"precision": "int8"' || fail "stats --json: $("$S" stats --store "$T/st" --json)"
printf 'Another sentence.\n' > "$T/b.txt"
"$S" -q ingest --store "$T/st" --model "$M" --threads 2 "$T/b.txt" 2>"$T/err"; [ $? -eq 1 ] || fail "f32 into an int8 store: expected 1"
grep -q "int8" "$T/err" && grep -q "f32" "$T/err" && grep -q -- "--reembed" "$T/err" || fail "message: $(cat "$T/err")"
"$S" stats --store "$T/st" | grep -q '^chunks *4' || fail "the refused ingest changed the store: $("$S" stats --store "$T/st")"
# query: the store's precision by default
"$S" -q build --store "$T/st" >/dev/null || fail "build exited $?"
"$S" -q query --store "$T/st" --text "$q" -k 1 --threads 2 > "$T/out" || fail "query exited $?"
sed -n 2p "$T/out" | awk -F'\t' -v q="$q" '$3=="1.000000" && $6==q {ok=1} END{exit !ok}' || fail "int8 query did not find its text at 1.000000: $(cat "$T/out")"
"$S" -q query --store "$T/st" --text "$q" -k 1 --threads 2 --precision f32 > "$T/out" || fail "f32 query exited $?"
sed -n 2p "$T/out" | awk -F'\t' -v q="$q" '$3!="1.000000" && $3 > 0.99 && $6==q {ok=1} END{exit !ok}' || fail "f32 query against int8 vectors: $(cat "$T/out")"
# --reembed moves the store to bf16
"$S" -q ingest --store "$T/st" --model "$M" --precision bf16 --reembed --threads 2 "$T/b.txt" || fail "bf16 --reembed exited $?"
"$S" stats --store "$T/st" | grep -q '^precision *bf16$' || fail "stats after reembed: $("$S" stats --store "$T/st")"
# usage
"$S" ingest --store "$T/st" --model "$M" --precision fp8 "$T/b.txt" 2>"$T/err"; [ $? -eq 2 ] || fail "bad precision: expected 2"
grep -q "fp8" "$T/err" || fail "bad precision message: $(cat "$T/err")"
"$S" embed --model "$M" --precision int4 --input "$T/b.txt" 2>/dev/null; [ $? -eq 2 ] || fail "embed bad precision: expected 2"
exit 0
