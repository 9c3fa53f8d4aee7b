#!/bin/sh
# per-record warnings are capped per shard (issue 14 item 5): rejected
# records warn like the other per-record warnings, the first 10 of a shard
# shown, then one line counting the rest; another shard has its own 10.
. "$(dirname "$0")/../lib.sh"
{ i=0; while [ $i -lt 25 ]; do printf '{"text": "문장 %d"\n' $i; i=$((i + 1)); done
  printf '{"text": "좋은 문장 하나"}\n{"text": "좋은 문장 둘"}\n'; } > "$T/a.jsonl"
{ i=0; while [ $i -lt 12 ]; do printf '{"txt": "문장 %d"}\n' $i; i=$((i + 1)); done
  printf '{"text": "좋은 문장 셋"}\n'; } > "$T/b.jsonl"
"$S" ingest --store "$T/st" --model builtin:ngram "$T/a.jsonl" "$T/b.jsonl" >"$T/out" 2>"$T/err"
[ $? -eq 3 ] || fail "expected exit 3 (rejected records): $(cat "$T/err")"
[ "$(grep -c "a.jsonl': line [0-9]*: malformed JSON" "$T/err")" -eq 10 ] ||
    fail "a.jsonl: expected 10 warnings: $(cat "$T/err")"
grep -q "shard '[^']*a.jsonl': 15 more warnings not shown (at most 10 per shard)" "$T/err" ||
    fail "a.jsonl: no count line: $(cat "$T/err")"
[ "$(grep -c "b.jsonl': line [0-9]*: no string field 'text'" "$T/err")" -eq 10 ] ||
    fail "b.jsonl: expected 10 warnings: $(cat "$T/err")"
grep -q "shard '[^']*b.jsonl': 2 more warnings not shown" "$T/err" || fail "b.jsonl: no count line: $(cat "$T/err")"
"$S" stats --store "$T/st" | grep -q "^docs  *3$" || fail "the good records: $("$S" stats --store "$T/st")"
exit 0
