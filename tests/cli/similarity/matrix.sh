#!/bin/sh
# similarity prints an n x n symmetric matrix with ones on the diagonal;
# identical texts score 1; lines and jsonl input give the same matrix.
. "$(dirname "$0")/../lib.sh"
printf '한 남자가 기타를 치고 있다.\n한 남자가 기타를 연주하고 있다.\n고양이가 잔다.\n한 남자가 기타를 치고 있다.\n' > "$T/in.txt"
"$S" -q similarity --model builtin:ngram --input "$T/in.txt" > "$T/m" || { echo "exit $?"; exit 1; }
[ $(wc -l < "$T/m") -eq 4 ] || { echo "expected 4 rows"; cat "$T/m"; exit 1; }
awk -F'\t' '
    NF != 4 { print "row " NR " has " NF " columns"; bad = 1 }
    { for (j = 1; j <= NF; j++) m[NR, j] = $j }
    END {
        for (i = 1; i <= 4; i++) {
            if (m[i, i] != "1.000000") { print "diagonal " i ": " m[i, i]; bad = 1 }
            for (j = 1; j <= 4; j++) if (m[i, j] != m[j, i]) { print "not symmetric at " i "," j; bad = 1 }
        }
        if (m[1, 4] != "1.000000") { print "identical texts score " m[1, 4]; bad = 1 }
        if (!(m[1, 2] > m[1, 3])) { print "shared words should score higher"; bad = 1 }
        exit bad
    }' "$T/m" || exit 1
printf '{"text": "한 남자가 기타를 치고 있다."}\n{"text": "한 남자가 기타를 연주하고 있다."}\n\n{"text": "고양이가 잔다."}\n{"text": "한 남자가 기타를 치고 있다.", "id": 4}\n' > "$T/in.jsonl"
"$S" -q similarity --model builtin:ngram --input "$T/in.jsonl" --input-format jsonl > "$T/m2" || exit 1
cmp -s "$T/m" "$T/m2" || { echo "jsonl input gives a different matrix"; exit 1; }
# stdin works too
"$S" -q similarity --model builtin:ngram < "$T/in.txt" | cmp -s - "$T/m" || { echo "stdin differs"; exit 1; }
exit 0
