#!/bin/sh
# an index built at an older store generation keeps serving queries: chunks
# ingested since are not found and counted ("newer_than_index" in jsonl, a
# note on stderr), hits of chunks deleted since (a changed shard) are dropped;
# only a real incompatibility (checksum, model) refuses it; a build makes it
# current again.
. "$(dirname "$0")/../lib.sh"
printf '{"text": "고양이가 소파 위에서 잔다."}\n{"text": "한 남자가 기타를 치고 있다."}\n{"text": "두 여자가 공원에서 걷고 있다."}\n' > "$T/a.jsonl"
printf '{"text": "비행기가 활주로에 착륙했다."}\n{"text": "아이들이 눈사람을 만들고 있다."}\n' > "$T/b.jsonl"
I="ingest --store $T/st --model builtin:ngram --segment doc"
"$S" -q $I "$T/a.jsonl" || fail "ingest a"
"$S" -q build --store "$T/st" >/dev/null || fail "build"
"$S" -q query --store "$T/st" --text "고양이가 소파 위에서 잔다." -k 1 --format jsonl >"$T/out" 2>"$T/err" || fail "fresh query"
grep -q '"newer_than_index": 0}' "$T/out" || fail "fresh: newer_than_index is not 0: $(cat "$T/out")"
[ -s "$T/err" ] && fail "fresh index: unexpected note: $(cat "$T/err")"
# the store grows: no rebuild
"$S" -q $I "$T/b.jsonl" || fail "ingest b"
"$S" -q query --store "$T/st" --text "비행기가 활주로에 착륙했다." -k 5 --format jsonl >"$T/out" 2>"$T/err" || fail "query after ingest: exit $?: $(cat "$T/err")"
grep -q "2 chunks are newer than the index" "$T/err" || fail "no staleness note: $(cat "$T/err")"
[ $(wc -l < "$T/out") -eq 3 ] || fail "expected the 3 indexed chunks: $(cat "$T/out")"
grep -q '"newer_than_index": 2}' "$T/out" || fail "newer_than_index is not 2: $(cat "$T/out")"
grep -q '비행기' "$T/out" && fail "a chunk newer than the index was found"
# a changed shard: its old chunks are deleted, hits on them are dropped
printf '{"text": "고양이가 소파 위에서 잔다."}\n{"text": "한 남자가 기타를 치고 있다."}\n{"text": "세 여자가 공원에서 뛰고 있다."}\n' > "$T/a.jsonl"
"$S" -q $I "$T/a.jsonl" || fail "re-ingest a"
"$S" -q query --store "$T/st" --text "고양이가 소파 위에서 잔다." -k 3 --format jsonl >"$T/out" 2>"$T/err" || fail "query after a change: exit $?: $(cat "$T/err")"
grep -q "5 chunks are newer than the index.*3 indexed chunks are gone" "$T/err" || fail "note: $(cat "$T/err")"
[ -s "$T/out" ] && fail "hits of deleted chunks returned: $(cat "$T/out")"
# tsv too
"$S" -q query --store "$T/st" --text "고양이" -k 3 >"$T/out" 2>/dev/null || fail "tsv query after a change"
[ $(wc -l < "$T/out") -eq 1 ] || fail "tsv: expected only the header: $(cat "$T/out")"
# a corrupt index is still refused
f=$(sed -n 's/.*"file": "\([^"]*\)".*/\1/p' "$T/st/index.faiss.manifest.json")
[ -n "$f" ] && [ -f "$T/st/$f" ] || fail "manifest names no data file"
cp "$T/st/$f" "$T/keep"; printf x >> "$T/st/$f"
"$S" -q query --store "$T/st" --text "x" >/dev/null 2>"$T/err"; [ $? -eq 1 ] || fail "corrupt index: expected 1"
grep -q "checksum" "$T/err" || fail "corrupt index message: $(cat "$T/err")"
cat "$T/keep" > "$T/st/$f"
# rebuilt: current again
"$S" -q build --store "$T/st" >/dev/null || fail "rebuild"
"$S" -q query --store "$T/st" --text "비행기가 활주로에 착륙했다." -k 1 --format jsonl >"$T/out" 2>"$T/err" || fail "query after rebuild"
grep -q '"score": 1.0000.*비행기.*"newer_than_index": 0}' "$T/out" || fail "after rebuild: $(cat "$T/out")"
[ -s "$T/err" ] && fail "after rebuild: unexpected note: $(cat "$T/err")"
exit 0
