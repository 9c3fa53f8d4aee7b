#!/bin/sh
# The same short flags everywhere (issue 14.7): -s --store, -m --model,
# -i --input, -o --output, -t --threads mean the same in every command that
# has the long option (`embed -m` works as `tokenize -m` does), and query
# reads its texts from stdin when given no --text/--input/--id.
. "$(dirname "$0")/../lib.sh"
FX=${SEMINDEX_FIXTURES:?}
M=$FX/bert-tiny-ko/model
[ -d "$M" ] || { echo "no fixtures at $FX"; exit 77; }
die() { echo "short-flags: $*"; exit 1; }
printf '남자가 기타를 연주한다.\n고양이가 잠을 잔다.\n주식 시장이 하락했다.\n' > "$T/in.txt"
"$S" -q embed -m "$M" -i "$T/in.txt" -o "$T/e1" -t 1 || die "embed -m -i -o -t failed"
"$S" -q embed --model "$M" --input "$T/in.txt" --output "$T/e2" --threads 1 || die "embed long failed"
cmp -s "$T/e1" "$T/e2" || die "embed: short and long flags differ"
"$S" -q similarity -m "$M" -i "$T/in.txt" -t 1 > "$T/sim" || die "similarity -m -i -t"
"$S" -q ingest -s "$T/st" -m builtin:ngram -t 1 "$T/in.txt" || die "ingest -s -m -t"
"$S" -q build -s "$T/st" >/dev/null || die "build -s"
"$S" -q stats -s "$T/st" | grep -q "chunks *3" || die "stats -s: $("$S" stats -s "$T/st")"
"$S" -q export -s "$T/st" -o "$T/exp.jsonl" && [ "$(wc -l < "$T/exp.jsonl")" -eq 3 ] || die "export -s -o"
"$S" -q mine -s "$T/st" -o "$T/pairs.tsv" --threshold -1 || die "mine -s -o"
"$S" -q query -s "$T/st" -i "$T/in.txt" -t 1 -k 2 > "$T/q1" || die "query -s -i -t -k"
# query without --text/--input/--id: texts from stdin
"$S" -q query -s "$T/st" -k 2 < "$T/in.txt" > "$T/q2" || die "query from stdin failed"
cmp -s "$T/q1" "$T/q2" || die "query from stdin differs from --input"
[ "$(wc -l < "$T/q2")" -ge 3 ] || die "query from stdin: too few hits"
"$S" -q query -s "$T/st" --text '남자가 기타를 연주한다.' -k 1 | grep -q . || die "query --text"
"$S" -q show -s "$T/st" 1 | grep -q . || die "show -s"
"$S" -q run -s "$T/st2" -m builtin:ngram -t 1 --no-index-enabled "$T/in.txt" >/dev/null || die "run -s -m -t"
"$S" -q stats -s "$T/st2" | grep -q "chunks *3" || die "run -s: no store"
echo "short flags ok"
