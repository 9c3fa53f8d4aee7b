#!/bin/sh
# eval-sts on KorSTS dev with builtin:ngram: the ten metric lines in the
# card's order, spearman_cosine as measured (0.6546), --json as one object.
S=${SEMINDEX_BIN:?}
P=${SEMINDEX_DATA:-../shared/data}/korsts/sts-dev.tsv
[ -f "$P" ] || { echo "KorSTS dev not found at $P"; exit 77; }
out=$("$S" -q eval-sts --model builtin:ngram --pairs "$P") || { echo "exit $?"; exit 1; }
names=$(echo "$out" | awk '{print $1}' | tr '\n' ' ')
want="pearson_cosine spearman_cosine pearson_euclidean spearman_euclidean pearson_manhattan spearman_manhattan pearson_dot spearman_dot pearson_max spearman_max "
[ "$names" = "$want" ] || { echo "metric names: $names"; exit 1; }
sc=$(echo "$out" | awk '$1=="spearman_cosine"{print $2}')
awk -v v="$sc" 'BEGIN{exit !(v > 0.6540 && v < 0.6552)}' || { echo "spearman_cosine $sc, expected 0.6546"; exit 1; }
# spearman_max is the largest spearman
echo "$out" | awk '$1 ~ /^spearman_/ && $1 != "spearman_max" {if ($2 > m) m = $2} $1=="spearman_max"{x=$2} END{exit !(m == x)}' || { echo "spearman_max is not the max"; exit 1; }
js=$("$S" -q eval-sts --model builtin:ngram --pairs "$P" --json) || exit 1
[ $(echo "$js" | wc -l) -eq 1 ] || { echo "--json is not one line"; exit 1; }
if command -v python3 >/dev/null; then
    echo "$js" | python3 -c 'import json,sys; d=json.load(sys.stdin); assert len(d)==10 and abs(d["spearman_cosine"]-'"$sc"')<1e-9, d' || exit 1
fi
# --score-scale does not change a correlation
out2=$("$S" -q eval-sts --model builtin:ngram --pairs "$P" --score-scale 1) || exit 1
[ "$out" = "$out2" ] || { echo "--score-scale changed the correlations"; exit 1; }
exit 0
