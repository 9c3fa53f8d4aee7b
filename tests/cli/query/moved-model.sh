#!/bin/sh
# a store outlives the directory it was made from (issue 14 item 4): made
# with a relative --model, it records the model's absolute path, so a query
# from another directory works; when the model moves, the query fails
# naming the recorded path and --model, and query --model NEWDIR works; a
# different model given with --model is refused naming both fingerprints.
. "$(dirname "$0")/../lib.sh"
F=${SEMINDEX_FIXTURES:-../shared/fixtures}
[ -d "$F/bert-tiny-ko/model" ] && [ -d "$F/xlmr-tiny/model" ] || { echo "fixtures not found at $F"; exit 77; }
mkdir "$T/w" "$T/elsewhere"
cp -r "$F/bert-tiny-ko/model" "$T/w/mcopy"
printf '한 남자가 기타를 치고 있다.\n고양이가 소파 위에서 잔다.\n두 여자가 공원에서 걷고 있다.\n' > "$T/w/docs.txt"
(cd "$T/w" && "$S" -q ingest --store st --model mcopy --segment line docs.txt && "$S" -q build --store st >/dev/null) ||
    fail "ingest/build"
"$S" stats --store "$T/w/st" | grep -q "^model  *$T/w/mcopy\$" || fail "recorded model: $("$S" stats --store "$T/w/st")"
Q="고양이가 소파 위에서 잔다."
(cd "$T/elsewhere" && "$S" -q query --store "$T/w/st" --text "$Q" -k 1 >"$T/out") || fail "query from elsewhere"
grep -q '고양이가' "$T/out" || fail "query from elsewhere: $(cat "$T/out")"
mv "$T/w/mcopy" "$T/moved"
(cd "$T/elsewhere" && "$S" -q query --store "$T/w/st" --text "$Q" -k 1 >"$T/out" 2>"$T/err")
[ $? -eq 1 ] || fail "moved model: expected exit 1"
grep -q "'$T/w/mcopy': no such model directory.*--model DIR" "$T/err" || fail "moved model: $(cat "$T/err")"
"$S" -q query --store "$T/w/st" --model "$T/moved" --text "$Q" -k 1 >"$T/out" || fail "query --model NEWDIR"
grep -q '고양이가' "$T/out" || fail "query --model NEWDIR: $(cat "$T/out")"
fp=$("$S" stats --store "$T/w/st" | sed -n "s/^fingerprint  *//p")
[ ${#fp} -eq 32 ] || fail "stats: no fingerprint"
"$S" -q query --store "$T/w/st" --model "$F/xlmr-tiny/model" --text "$Q" >"$T/out" 2>"$T/err"
[ $? -eq 1 ] || fail "another model: expected exit 1"
grep -q "model '$F/xlmr-tiny/model' has fingerprint [0-9a-f]\{32\} .*the store was made with '$T/w/mcopy', fingerprint $fp" \
    "$T/err" || fail "another model: $(cat "$T/err") (store fingerprint '$fp')"
exit 0
