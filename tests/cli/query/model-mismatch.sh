#!/bin/sh
# query encodes with the model the store records: a transformer fixture
# model works end to end (ingest, build, query finds the text itself), and
# when the model directory changes afterwards (another fingerprint) the
# query is refused instead of searching with foreign vectors.
. "$(dirname "$0")/../lib.sh"
F=${SEMINDEX_FIXTURES:-../shared/fixtures}
[ -d "$F/bert-tiny-ko/model" ] || { echo "fixtures not found at $F"; exit 77; }
cp -r "$F/bert-tiny-ko/model" "$T/model"
printf '한 남자가 기타를 치고 있다.\n고양이가 소파 위에서 잔다.\n두 여자가 공원에서 걷고 있다.\n한 남자가 피아노를 연주한다.\n' > "$T/docs.txt"
"$S" -q ingest --store "$T/st" --model "$T/model" --segment line "$T/docs.txt" || fail "ingest exited $?"
"$S" -q build --store "$T/st" > /dev/null || fail "build exited $?"
"$S" -q query --store "$T/st" --text "고양이가 소파 위에서 잔다." -k 1 --format jsonl > "$T/out" || fail "query exited $?"
grep -q '"rank": 1, "score": 1.0000' "$T/out" && grep -q '고양이가 소파 위에서 잔다' "$T/out" || fail "the text does not find itself: $(cat "$T/out")"
# change the model: a different config value changes its fingerprint
sed -i 's/"layer_norm_eps": [0-9.e-]*/"layer_norm_eps": 1e-06/' "$T/model/config.json"
cmp -s "$T/model/config.json" "$F/bert-tiny-ko/model/config.json" && fail "could not alter the model copy"
"$S" -q query --store "$T/st" --text "x" 2>"$T/err"; [ $? -eq 1 ] || fail "changed model: expected exit 1"
grep -q "fingerprint" "$T/err" || fail "message does not name the fingerprint: $(cat "$T/err")"
exit 0
