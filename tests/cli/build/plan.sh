#!/bin/sh
# build plans before it works (issue 14 item 8): a factory whose index cannot
# take ids (Flat, HNSW32) is wrapped in IDMap; a changed --index or
# --memory-budget replans (rebuilds) instead of being ignored until --rebuild;
# a changed --recall re-tunes. The query works on every index.
. "$(dirname "$0")/../lib.sh"
"$S" -q ingest --store "$T/st" --model builtin:ngram "$C/korsts-part1.tar.zst" || fail "ingest"
Q="한 남자가 기타를 치고 있다."
for f in Flat HNSW16 PQ8np; do
    "$S" build --store "$T/st" --index $f >"$T/out" 2>"$T/err" || fail "build --index $f: $(cat "$T/err")"
    grep -qx "factory IDMap,$f" "$T/out" || fail "build --index $f: $(cat "$T/out")"
    grep -qx "rebuilt yes" "$T/out" || fail "build --index $f did not rebuild: $(cat "$T/out")"
    "$S" -q query --store "$T/st" --text "$Q" -k 1 >/dev/null || fail "query on $f"
done
# the same --index again: added to, not rebuilt
"$S" build --store "$T/st" --index PQ8np >"$T/out" 2>"$T/err" || fail "build again: $(cat "$T/err")"
grep -qx "rebuilt no" "$T/out" || fail "same --index rebuilt: $(cat "$T/out") $(cat "$T/err")"
# back to auto: replanned
"$S" build --store "$T/st" >"$T/out" 2>"$T/err" || fail "build auto: $(cat "$T/err")"
grep -qx "rebuilt yes" "$T/out" || fail "--index auto after PQ8np was not replanned: $(cat "$T/out")"
grep -q "rebuilding from scratch: --index changed" "$T/err" || fail "no reason given: $(cat "$T/err")"
grep -qx "factory IDMap,Flat" "$T/out" || fail "auto plan: $(cat "$T/out")"
# a memory budget too small for Flat: replanned (not ignored)
"$S" build --store "$T/st" --memory-budget 4G >"$T/out" 2>"$T/err" || fail "build 4G: $(cat "$T/err")"
grep -qx "rebuilt yes" "$T/out" || fail "changed --memory-budget was ignored: $(cat "$T/out")"
grep -q "rebuilding from scratch: --memory-budget changed" "$T/err" || fail "no budget reason: $(cat "$T/err")"
"$S" build --store "$T/st" --memory-budget 4G >"$T/out" 2>"$T/err" || fail "build 4G again: $(cat "$T/err")"
grep -qx "rebuilt no" "$T/out" || fail "same --memory-budget rebuilt: $(cat "$T/out")"
# another recall target: re-tuned, recorded in the manifest
"$S" build --store "$T/st" --memory-budget 4G --recall 0.5 >"$T/out" 2>"$T/err" || fail "recall: $(cat "$T/err")"
grep -q "re-tuning for recall@10 0.500 (was 0.950)" "$T/err" || fail "recall change not re-tuned: $(cat "$T/err")"
grep -q '"recall_target": 0.5' "$T/st/index.faiss.manifest.json" || fail "manifest: $(cat "$T/st/index.faiss.manifest.json")"
exit 0
