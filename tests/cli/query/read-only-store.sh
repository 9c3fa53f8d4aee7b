#!/bin/sh
# a store this user may not write (another user's): stats, export, query and
# mine read it (LMDB MDB_RDONLY + MDB_NOLOCK); ingest is refused with an
# error. Runs the readers as 'nobody' (needs root and setpriv); skipped
# otherwise.
. "$(dirname "$0")/../lib.sh"
[ "$(id -u)" -eq 0 ] || { echo "needs root to run as another user"; exit 77; }
command -v setpriv >/dev/null || { echo "setpriv not installed"; exit 77; }
id nobody >/dev/null 2>&1 || { echo "no user nobody"; exit 77; }
"$S" -q ingest --store "$T/st" --model builtin:ngram "$C/korsts-part1.tar.zst" || fail "ingest"
"$S" -q build --store "$T/st" >/dev/null || fail "build"
mkdir "$T/out"; chmod 0755 "$T"; chmod 0777 "$T/out"; chmod 0555 "$T/st"
as_nobody() { setpriv --reuid=nobody --regid=nogroup --clear-groups "$@"; }
as_nobody test -w "$T/st" && { echo "nobody can write the store: cannot test"; exit 77; }
as_nobody "$S" -q stats --store "$T/st" >"$T/out/stats" 2>"$T/err" || fail "stats of a read-only store: $(cat "$T/err")"
grep -q "chunks" "$T/out/stats" || fail "stats printed nothing: $(cat "$T/out/stats")"
as_nobody "$S" -q export --store "$T/st" >"$T/out/export" 2>"$T/err" || fail "export of a read-only store: $(cat "$T/err")"
[ -s "$T/out/export" ] || fail "export printed nothing"
as_nobody "$S" -q query --store "$T/st" --text "한 남자가 기타를 치고 있다." -k 2 >"$T/out/q" 2>"$T/err" || fail "query of a read-only store: $(cat "$T/err")"
[ $(wc -l < "$T/out/q") -eq 3 ] || fail "query: expected 2 hits: $(cat "$T/out/q")"
as_nobody "$S" -q mine --store "$T/st" --output "$T/out/pairs.tsv" 2>"$T/err" || fail "mine of a read-only store: $(cat "$T/err")"
[ -s "$T/out/pairs.tsv" ] || fail "mine wrote nothing"
as_nobody "$S" -q ingest --store "$T/st" --model builtin:ngram "$C/korsts-part2.tar.zst" 2>"$T/err"
[ $? -eq 1 ] || fail "ingest into a read-only store: expected exit 1"
[ -s "$T/err" ] || fail "ingest into a read-only store: no message"
chmod 0755 "$T/st"
exit 0
