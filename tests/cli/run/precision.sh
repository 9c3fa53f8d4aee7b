#!/bin/sh
# `run` with the config key precision: the store records it; the next run
# without the key keeps the store's precision (no refusal); a run asking
# for another precision is refused naming both; a bad value fails the run.
. "$(dirname "$0")/lib.sh"
F=${SEMINDEX_FIXTURES:-}
[ -d "$F/modernbert-ko-tiny/model" ] || { echo "fixtures not found"; exit 77; }
make_shards "$T/in" 1 2 20
cat > "$T/a.ini" <<INI
store = $T/st
model = $F/modernbert-ko-tiny/model
threads = 2
precision = int8
[ingest]
shards = $T/in/night-01.tsv
[index]
enabled = no
INI
"$S" -q run --config "$T/a.ini" >/dev/null 2>"$T/err" || fail "int8 run exited $?: $(cat "$T/err")"
"$S" stats --store "$T/st" | grep -q '^precision *int8$' || fail "stats: $("$S" stats --store "$T/st")"
# no key: the store's precision
"$S" -q run --store "$T/st" --ingest-shards "$T/in/night-02.tsv" --no-index-enabled --threads 2 >/dev/null 2>"$T/err" ||
    fail "run without precision exited $?: $(cat "$T/err")"
"$S" stats --store "$T/st" | grep -q '^precision *int8$' || fail "stats after the second run"
# another precision is refused
"$S" -q run --config "$T/a.ini" --precision bf16 --ingest-shards "$T/in/night-02.tsv" >/dev/null 2>"$T/err"
[ $? -ne 0 ] || fail "bf16 run into an int8 store succeeded"
grep -q "int8" "$T/err" && grep -q "bf16" "$T/err" || fail "message: $(cat "$T/err")"
"$S" -q run --config "$T/a.ini" --precision int4 >/dev/null 2>"$T/err"
[ $? -ne 0 ] || fail "precision int4 accepted"
grep -q "int4" "$T/err" || fail "bad precision message: $(cat "$T/err")"
exit 0
