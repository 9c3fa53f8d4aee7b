#!/bin/sh
# `run` spells its flags as the commands it stands for (issue 14.7):
# --reembed (what the model-change error tells) works for --ingest-reembed,
# an ambiguous short name (--enabled) is refused with exit 2; the ingest caps
# (--max-record, --batch-tokens) reach ingest; mining has mine's defaults
# (top-k 100, max-pairs 500000): run and mine find the same pairs.
. "$(dirname "$0")/lib.sh"
F=${SEMINDEX_FIXTURES:-}
[ -d "$F/modernbert-ko-tiny/model" ] || { echo "fixtures not found"; exit 77; }
fail() { echo "run/flags: $*"; exit 1; }
make_shards "$T/in" 1 1 40
"$S" -q run --store "$T/st" --model builtin:ngram --no-index-enabled --mine-enabled --mine-threshold -1 \
    --mine-output "$T/run.jsonl" --include-identical "$T/in" >/dev/null 2>"$T/err" || fail "first run: $(cat "$T/err")"
"$S" -q mine --store "$T/st" --threshold -1 --include-identical --output "$T/mine.jsonl" 2>"$T/err" || fail "mine: $(cat "$T/err")"
n_run=$(wc -l < "$T/run.jsonl"); n_mine=$(wc -l < "$T/mine.jsonl")
[ "$n_run" -eq "$n_mine" ] || fail "run mined $n_run pairs, mine $n_mine (defaults differ)"
[ "$n_run" -gt 400 ] || fail "run mined $n_run pairs of 40 chunks: top-k is not 100"
# a new model: refused naming --reembed, which run accepts
"$S" -q run --store "$T/st" --model "$F/modernbert-ko-tiny/model" --no-index-enabled "$T/in" >/dev/null 2>"$T/err"
[ $? -eq 1 ] || fail "model change not refused"
grep -q -- "--reembed" "$T/err" || fail "the refusal does not name --reembed: $(cat "$T/err")"
"$S" -q run --store "$T/st" --model "$F/modernbert-ko-tiny/model" --no-index-enabled --reembed --batch-tokens 64 \
    "$T/in" >/dev/null 2>"$T/err" || fail "run --reembed: $(cat "$T/err")"
"$S" stats --store "$T/st" | grep -q "modernbert-ko-tiny" || fail "not re-embedded: $("$S" stats --store "$T/st")"
"$S" -q run --store "$T/st" --enabled "$T/in" >/dev/null 2>"$T/err"
[ $? -eq 2 ] || fail "--enabled (index or mine?) accepted"
grep -q "^semindex run: unknown option '--enabled'" "$T/err" || fail "--enabled: $(cat "$T/err")"
# --max-record: a longer record is rejected (exit 3), as ingest --max-record
{ printf 'text\n'; printf 'short line\n'; head -c 3000 /dev/zero | tr '\0' 'a'; printf '\n'; } > "$T/long.tsv"
"$S" -q run --store "$T/st2" --model builtin:ngram --no-index-enabled --max-record 1K "$T/long.tsv" >/dev/null 2>"$T/err"
rc=$?
[ $rc -eq 3 ] || fail "--max-record 1K: exit $rc, expected 3: $(cat "$T/err")"
"$S" -q run --store "$T/st3" --model builtin:ngram --no-index-enabled --ingest-max-record 1M "$T/long.tsv" >/dev/null 2>"$T/err" ||
    fail "--ingest-max-record 1M: exit $?: $(cat "$T/err")"
echo "run flags ok"
