#!/bin/sh
# two writers at once, for real: a `build --rebuild` (and an `ingest`) is
# stopped (SIGSTOP) while it holds the store lock; a second `build --rebuild`
# and an `ingest` are refused naming its pid, with no ingest summary; the
# first one, continued, finishes, and the store and index are usable.
. "$(dirname "$0")/../lib.sh"
P=
trap '[ -n "$P" ] && kill -CONT $P 2>/dev/null; rm -rf "$T"' EXIT
"$S" -q ingest --store "$T/st" --model builtin:ngram "$C/korsts-part1.tar.zst" || fail "ingest"
L="$T/st/ingest.lock"
# catch_holder CMD...: start CMD in the background and stop it as soon as its
# pid is in the lock file (it holds the lock); retried when it ends first
catch_holder() {
    tries=0
    while [ $tries -lt 20 ]; do
        "$@" >"$T/first.out" 2>"$T/first.err" &
        P=$!
        while kill -0 $P 2>/dev/null; do
            if [ "$(cat "$L" 2>/dev/null)" = "$P" ]; then kill -STOP $P; return 0; fi
        done
        wait $P; P=
        tries=$((tries + 1))
    done
    echo "could not catch the first writer holding the lock"; exit 77
}
catch_holder "$S" -q build --store "$T/st" --rebuild --index IVF16,Flat --recall 0.99
"$S" build --store "$T/st" --rebuild >/dev/null 2>"$T/err"
[ $? -eq 1 ] || fail "second build: expected exit 1"
grep -q "store '$T/st' is locked by pid $P " "$T/err" || fail "second build: $(cat "$T/err")"
"$S" ingest --store "$T/st" --model builtin:ngram "$C/korsts-part2.tar.zst" >"$T/out" 2>"$T/err"
[ $? -eq 1 ] || fail "ingest during a build: expected exit 1"
grep -q "is locked by pid $P " "$T/err" || fail "ingest during a build: $(cat "$T/err")"
grep -q "shards" "$T/err" "$T/out" && fail "a refused ingest printed a summary: $(cat "$T/err")"
kill -CONT $P; wait $P || fail "the first build failed: $(cat "$T/first.err")"; P=
"$S" -q query --store "$T/st" --text "한 남자가 기타를 치고 있다." -k 1 >/dev/null || fail "query after the build"
catch_holder "$S" -q ingest --store "$T/st" --model builtin:ngram "$C/korsts-part2.tar.zst"
"$S" build --store "$T/st" >/dev/null 2>"$T/err"
[ $? -eq 1 ] || fail "build during an ingest: expected exit 1"
grep -q "is locked by pid $P " "$T/err" || fail "build during an ingest: $(cat "$T/err")"
kill -CONT $P; wait $P || fail "the first ingest failed: $(cat "$T/first.err")"; P=
"$S" -q build --store "$T/st" >/dev/null || fail "build after the ingest"
exit 0
