#!/bin/sh
# eval-sts --precision bf16|int8 prints its table and, as f32_<metric>, the
# f32 table of the same run (--compare-f32, on by default): the f32 lines
# equal a separate `--precision f32` run's, the reduced-precision lines are
# the reduced path's (not f32's bits) and close to f32's; --no-compare-f32
# and --precision f32 print no f32_ lines.
. "$(dirname "$0")/../lib.sh"
F=${SEMINDEX_FIXTURES:-../shared/fixtures}
P=${SEMINDEX_DATA:-../shared/data}/korsts/sts-dev.tsv
[ -d "$F/modernbert-ko-tiny/model" ] || { echo "fixtures not found at $F"; exit 77; }
[ -f "$P" ] || { echo "KorSTS dev not found at $P"; exit 77; }
M=$F/modernbert-ko-tiny/model
head -301 "$P" > "$T/pairs.tsv"
"$S" -q eval-sts --model "$M" --threads 2 --pairs "$T/pairs.tsv" > "$T/f32" || fail "f32: exit $?"
[ "$(wc -l < "$T/f32")" -eq 10 ] || fail "f32 run printed $(wc -l < "$T/f32") lines, want 10"
grep -q '^f32_' "$T/f32" && fail "--precision f32 printed f32_ lines"
for p in bf16 int8; do
    "$S" -q eval-sts --model "$M" --threads 2 --precision $p --pairs "$T/pairs.tsv" > "$T/$p" || fail "$p: exit $?"
    [ "$(wc -l < "$T/$p")" -eq 20 ] || fail "$p printed $(wc -l < "$T/$p") lines, want 20"
    sed -n 's/^f32_//p' "$T/$p" > "$T/$p.ref"
    cmp -s "$T/$p.ref" "$T/f32" || fail "$p: its f32_ lines differ from the f32 run's"
    head -10 "$T/$p" > "$T/$p.own"
    cmp -s "$T/$p.own" "$T/f32" && fail "$p: its table is f32's, bit for bit"
    awk -v p=$p 'NR == FNR { f[$1] = $2; next } $1 == "spearman_cosine" {
        d = $2 - f[$1]; if (d < 0) d = -d; if (d > 0.01) { print p ": spearman_cosine " $2 " vs f32 " f[$1]; exit 1 } }' \
        "$T/f32" "$T/$p.own" || exit 1
    "$S" -q eval-sts --model "$M" --threads 2 --precision $p --no-compare-f32 --pairs "$T/pairs.tsv" > "$T/$p.only" ||
        fail "$p --no-compare-f32: exit $?"
    cmp -s "$T/$p.only" "$T/$p.own" || fail "$p --no-compare-f32 differs from the first 10 lines"
done
# --json: one object, the f32_ keys beside
js=$("$S" -q eval-sts --model "$M" --threads 2 --precision int8 --json --pairs "$T/pairs.tsv") || fail "json: exit $?"
if command -v python3 >/dev/null; then
    echo "$js" | python3 -c 'import json,sys; d=json.load(sys.stdin); assert len(d)==20 and "f32_spearman_cosine" in d, d' ||
        fail "--json object"
fi
exit 0
