#!/bin/sh
# The int8 accuracy check at load (issue 15; docs/encoder.md, "int8
# scheme"): a model on which all-int8 stays within the check's margin (a
# small model initialised as transformers initialises ModernBERT) is packed
# all-int8; one on which it does not (the modernbert-tiny fixture, weights
# std ~0.1) keeps its attention GEMMs in the high precision, and bench
# encode prints the check's cosines behind each choice.
. "$(dirname "$0")/../lib.sh"
FIX=${SEMINDEX_FIXTURES:-../shared/fixtures}
MK=${SEMINDEX_BUILD:?}/tools/make_random_model
[ -d "$FIX/modernbert-ko-tiny/model" ] || { echo "fixtures not found at $FIX"; exit 77; }
[ -x "$MK" ] || fail "no $MK (make tools)"
printf '%s\n' "첫 번째 문장입니다." "두 번째 문장은 조금 더 길다." "A third one, in English." > "$T/in.txt"
"$MK" --init transformers --layers 2 --hidden 64 --heads 4 --intermediate 96 --local-attention 16 \
    --tokenizer "$FIX/modernbert-ko-tiny/model" "$T/m" > /dev/null || fail "make_random_model --init transformers failed"
"$MK" --init pytorch --tokenizer "$FIX/modernbert-ko-tiny/model" "$T/bad" > /dev/null 2> "$T/err" && fail "--init pytorch accepted"
grep -q "semindex' or 'transformers'" "$T/err" || { cat "$T/err"; fail "the --init error does not name the choices"; }
bench() { # model -> $T/out
    "$S" bench encode --model "$1" --input "$T/in.txt" --threads 2 --precision int8 > "$T/out" 2> "$T/err" ||
        { cat "$T/err"; fail "bench encode --precision int8 --model $1 failed"; }
}
bench "$T/m"
grep -q '^int8_scheme i,i,i,i$' "$T/out" || { cat "$T/out"; fail "transformers-initialised model: not all-int8"; }
awk '$1 == "int8_check_all_int8_mean_cos" && $2 >= 0.99998 { ok = 1 } END { exit !ok }' "$T/out" ||
    { cat "$T/out"; fail "all-int8 kept without a check mean cos >= 0.99998"; }
grep -q '^int8_check_attention_hp' "$T/out" && { cat "$T/out"; fail "a second try after all-int8 passed"; }
bench "$FIX/modernbert-tiny/model"
grep -Eq '^int8_scheme [bf],[bf],i,i$' "$T/out" || { cat "$T/out"; fail "modernbert-tiny: attention not in high precision"; }
awk '$1 == "int8_check_all_int8_mean_cos" && $2 < 0.99998 { a = 1 } $1 == "int8_check_all_int8_min_cos" && $2 < 0.9998 { a = 1 }
     $1 == "int8_check_attention_hp_mean_cos" && $2 >= 0.9999 { k = 1 } END { exit !(a && k) }' "$T/out" ||
    { cat "$T/out"; fail "modernbert-tiny: the check's numbers do not explain the fallback"; }
SEMINDEX_INT8_SIM=i,i,i,i "$S" bench encode --model "$FIX/modernbert-tiny/model" --input "$T/in.txt" --threads 2 \
    --precision int8 > "$T/out" 2>&1 || { cat "$T/out"; fail "bench encode with SEMINDEX_INT8_SIM failed"; }
grep -q '^int8_check' "$T/out" && { cat "$T/out"; fail "SEMINDEX_INT8_SIM did not skip the check"; }
# a model int8 cannot serve within the bounds (outlier gains x1000): loading
# it at int8 says so, naming the model and the way out
"$MK" --layers 4 --hidden 64 --heads 4 --intermediate 96 --local-attention 16 --outliers 4 --outlier-scale 1000 \
    --tokenizer "$FIX/modernbert-ko-tiny/model" "$T/bad" > /dev/null || fail "make_random_model --outliers failed"
"$S" embed --model "$T/bad" --precision int8 --input "$T/in.txt" --format f32 --output "$T/v" 2> "$T/err" ||
    { cat "$T/err"; fail "embed --precision int8 of the outlier model failed"; }
grep -q "precision int8: '$T/bad' loses more than int8 is allowed" "$T/err" || { cat "$T/err"; fail "no warning"; }
grep -q -- "--precision bf16 is closer" "$T/err" || { cat "$T/err"; fail "the warning names no way out"; }
[ "$(wc -c < "$T/v")" -eq $((3 * 64 * 4)) ] || fail "the warning stopped the embed"
# query loads the model itself (not through the embed commands' helper):
# the warning comes from the encoder, so it says it too
"$S" ingest -q --store "$T/s" --model "$T/bad" --precision int8 "$C/korsts-part1.tar.zst" 2> "$T/err" ||
    { cat "$T/err"; fail "ingest --precision int8 of the outlier model failed"; }
"$S" build -q --store "$T/s" > /dev/null 2> "$T/err" || { cat "$T/err"; fail "build failed"; }
"$S" query --store "$T/s" --text "하나 둘" > /dev/null 2> "$T/err" || { cat "$T/err"; fail "query failed"; }
grep -q "precision int8: '$T/bad' loses more" "$T/err" || { cat "$T/err"; fail "query: no warning"; }
"$S" embed --model "$T/m" --precision int8 --input "$T/in.txt" --format f32 --output "$T/v" 2> "$T/err" ||
    { cat "$T/err"; fail "embed --precision int8 failed"; }
grep -q "loses more" "$T/err" && { cat "$T/err"; fail "a warning for a model within the bounds"; }
echo "int8: all-int8 where the load-time check allows it, attention in high precision where not"
