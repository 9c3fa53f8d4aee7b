#!/bin/sh
# ingest --part discovers the shards with --follow-symlinks honoured: a corpus
# whose second half sits behind a symlinked directory is ingested whole by
# --part 0/1 --follow-symlinks (and only its real half without the flag, as
# the same ingest without --part reads it).
. "$(dirname "$0")/../lib.sh"
fail() { echo "$*"; cat "$T/err" 2>/dev/null; exit 1; }
mkdir -p "$T/c" "$T/elsewhere"
printf '첫 문서.\n' > "$T/c/a.txt"
printf '둘째 문서.\n' > "$T/elsewhere/b.txt"
ln -s ../elsewhere "$T/c/linked"
chunks() { "$S" stats --store "$1" --json | sed -n 's/.*"chunks": \([0-9]*\),.*/\1/p'; }
timeout 60 "$S" ingest -q --store "$T/st1" --model builtin:ngram --segment doc --part 0/1 --follow-symlinks "$T/c" 2>"$T/err" ||
    fail "--part --follow-symlinks: expected exit 0, got $?"
[ "$(chunks "$T/st1")" = 2 ] || fail "--part 0/1 --follow-symlinks: expected 2 chunks, got $(chunks "$T/st1")"
timeout 60 "$S" ingest -q --store "$T/st2" --model builtin:ngram --segment doc --follow-symlinks "$T/c" 2>"$T/err" ||
    fail "--follow-symlinks: expected exit 0, got $?"
[ "$(chunks "$T/st2")" = 2 ] || fail "--follow-symlinks: expected 2 chunks, got $(chunks "$T/st2")"
timeout 60 "$S" ingest -q --store "$T/st3" --model builtin:ngram --segment doc --part 0/1 "$T/c" 2>"$T/err" ||
    fail "--part without --follow-symlinks: expected exit 0, got $?"
[ "$(chunks "$T/st3")" = 1 ] || fail "--part 0/1: the link is not followed, expected 1 chunk, got $(chunks "$T/st3")"
exit 0
