#!/bin/sh
# records that are used but not quite right get a warning each, capped at 10
# per shard: an --id-field holding an object or a float (the record gets no
# id), a tsv/csv row with more fields than its header (the extra ones are
# ignored). The records are still stored; exit 0.
. "$(dirname "$0")/../lib.sh"
printf '{"text": "하나", "id": {"a": 1}}\n{"text": "둘", "id": 2.5}\n{"text": "셋", "id": "x3"}\n{"text": "넷", "id": 4}\n' > "$T/a.jsonl"
printf 'text\tlabel\n하나\t1\n둘\t2\textra\n' > "$T/b.tsv"
printf 'text,label\n"하나, 둘",1\n셋,2,3\n' > "$T/c.csv"
"$S" ingest --store "$T/st" --model builtin:ngram --id-field id "$T/a.jsonl" "$T/b.tsv" "$T/c.csv" 2>"$T/err"
[ $? -eq 0 ] || fail "expected exit 0: $(cat "$T/err")"
grep -q "a.jsonl': line 1: field 'id' is an object" "$T/err" || fail "no warning for an object id: $(cat "$T/err")"
grep -q "a.jsonl': line 2: field 'id' is a float" "$T/err" || fail "no warning for a float id: $(cat "$T/err")"
grep -q "a.jsonl': line [34]: field" "$T/err" && fail "a string or integer id warned"
grep -q "b.tsv': line 3: 3 fields, the header has 2" "$T/err" || fail "no warning for an extra tsv column: $(cat "$T/err")"
grep -q "c.csv': line 3: 3 fields, the header has 2" "$T/err" || fail "no warning for an extra csv column: $(cat "$T/err")"
grep -q "c.csv': line 2" "$T/err" && fail "a quoted comma counted as a field"
"$S" stats --store "$T/st" --json | grep -q '"chunks": 8,' || fail "records not all stored: $("$S" stats --store "$T/st")"
# capped: 30 bad rows, 10 warnings and one line counting the rest
{ printf 'text\tlabel\n'; i=0; while [ $i -lt 30 ]; do printf '문장 %d\t1\tx\n' $i; i=$((i + 1)); done; } > "$T/d.tsv"
"$S" ingest --store "$T/st" --model builtin:ngram "$T/d.tsv" 2>"$T/err" || fail "d.tsv: exit $?"
[ $(grep -c "fields, the header has 2" "$T/err") -eq 10 ] || fail "expected 10 warnings: $(grep -c "fields" "$T/err")"
grep -q "d.tsv': 20 more warnings not shown (at most 10 per shard)" "$T/err" || fail "no cap line: $(cat "$T/err")"
exit 0
