#!/bin/sh
# bench encode --precision P [--interleave N] (issue 15): the reduced
# precision against f32 in the same run, and the interleaved ratio (the two
# precisions alternated chunk by chunk over more than one chunk).
S=${SEMINDEX_BIN:?}
DATA=${SEMINDEX_DATA:-../shared/data}
FIX=${SEMINDEX_FIXTURES:-../shared/fixtures}
M=$FIX/modernbert-ko-tiny/model
[ -f "$DATA/korsts/sts-dev.tsv" ] || { echo "KorSTS not found at $DATA"; exit 77; }
[ -d "$M" ] || { echo "fixture model not found at $M"; exit 77; }
T=$(mktemp -d); trap 'rm -rf "$T"' EXIT
fail() { echo "$*"; exit 1; }
"$S" bench encode --model "$M" --data "$DATA" --limit 300 --threads 2 --precision int8 --interleave 1 \
    > "$T/out" 2> "$T/err" || { cat "$T/err"; fail "bench encode --precision int8 --interleave 1 failed"; }
for k in int8_speedup_vs_f32 int8_mean_cos interleaved_f32_sentences_per_s int8_interleaved_sentences_per_s \
         int8_interleaved_speedup_vs_f32 int8_interleaved_gemm_share; do
    grep -Eq "^$k [0-9]+\.[0-9]+$" "$T/out" || { cat "$T/out"; fail "no '$k' number"; }
done
grep -q '^interleaved_rounds 1$' "$T/out" || { cat "$T/out"; fail "no interleaved_rounds 1"; }
awk '$1 == "int8_min_cos" && $2 >= 0.99 { ok = 1 } END { exit !ok }' "$T/out" || { cat "$T/out"; fail "int8 min cos below 0.99"; }
"$S" bench encode --model "$M" --data "$DATA" --limit 4 --interleave 1 > "$T/out" 2> "$T/err"; rc=$?
[ $rc -eq 2 ] || fail "--interleave without --precision: exit $rc, want 2"
grep -q -- "--interleave needs --precision" "$T/err" || { cat "$T/err"; fail "the error does not name --precision"; }
echo "bench encode --precision int8 --interleave 1 prints the interleaved ratio"
