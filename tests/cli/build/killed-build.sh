#!/bin/sh
# index.faiss and its manifest are replaced as one unit: a `build --rebuild`
# killed (SIGKILL, strace fault injection) at its 1st, 2nd, 3rd, 4th or 5th
# rename leaves an index that queries use (the old pair or the new one), and
# the next build removes the temp files the killed one left.
. "$(dirname "$0")/../lib.sh"
command -v strace >/dev/null || { echo "strace not installed"; exit 77; }
"$S" -q ingest --store "$T/st" --model builtin:ngram "$C/korsts-part1.tar.zst" || fail "ingest"
"$S" -q build --store "$T/st" >/dev/null || fail "first build"
q="한 남자가 기타를 치고 있다."
strace -o /dev/null -e trace=none true 2>/dev/null || { echo "strace cannot trace here"; exit 77; }
for n in 1 2 3 4 5; do
    # a different factory each time, so that the new pair differs from the old
    if [ $((n % 2)) -eq 0 ]; then ix=IVF16,Flat; else ix=IDMap,Flat; fi
    strace -f -o /dev/null -e trace=rename -e inject=rename:signal=SIGKILL:when=$n \
        "$S" -q build --store "$T/st" --rebuild --index "$ix" >/dev/null 2>&1
    "$S" -q query --store "$T/st" --text "$q" -k 1 >"$T/out" 2>"$T/err" || fail "kill at rename $n: query failed: $(cat "$T/err")"
    [ $(wc -l < "$T/out") -eq 2 ] || fail "kill at rename $n: no hit: $(cat "$T/out")"
done
ls "$T/st" > "$T/ls1"; [ -n "$DEBUG" ] && cat "$T/ls1"
"$S" -q build --store "$T/st" --rebuild >/dev/null || fail "build after the kills"
ls "$T/st" > "$T/ls"
grep -q '\.tmp$\|\.new$' "$T/ls" && fail "leftovers after a clean build: $(cat "$T/ls")"
[ $(grep -c '^index\.faiss\.[0-9a-f]\{16\}$' "$T/ls") -eq 1 ] || fail "expected one data file: $(cat "$T/ls")"
[ -f "$T/st/index.faiss" ] || fail "no index.faiss"
f=$(sed -n 's/.*"file": "\([^"]*\)".*/\1/p' "$T/st/index.faiss.manifest.json")
cmp -s "$T/st/index.faiss" "$T/st/$f" || fail "index.faiss is not the current data file"
"$S" -q query --store "$T/st" --text "$q" -k 1 >/dev/null || fail "query after the clean build"
exit 0
