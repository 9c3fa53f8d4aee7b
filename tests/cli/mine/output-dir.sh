#!/bin/sh
# mine checks where it will write before it mines (issue 14 item 8): an
# --output (or --duplicates-output, --clusters-output) in a directory that
# does not exist, or that is a directory, fails at once naming the path and
# the directory, before the "mine:" stage starts; nothing is written.
. "$(dirname "$0")/../lib.sh"
"$S" -q ingest --store "$T/st" --model builtin:ngram "$C/korsts-part1.tar.zst" || fail "ingest"
"$S" mine --store "$T/st" --output "$T/nonexistent/dir/p.html" >"$T/out" 2>"$T/err"
[ $? -eq 1 ] || fail "expected exit 1: $(cat "$T/err")"
grep -q "cannot write '$T/nonexistent/dir/p.html': directory '$T/nonexistent/dir': No such file or directory" \
    "$T/err" || fail "message: $(cat "$T/err")"
grep -q "mine:" "$T/err" && fail "mined before failing: $(cat "$T/err")"
"$S" mine --store "$T/st" --output "$T/p.tsv" --duplicates-output "$T/no/d.jsonl" >"$T/out" 2>"$T/err"
[ $? -eq 1 ] || fail "--duplicates-output: expected exit 1: $(cat "$T/err")"
grep -q "cannot write '$T/no/d.jsonl'" "$T/err" || fail "--duplicates-output: $(cat "$T/err")"
mkdir "$T/d.html"
"$S" mine --store "$T/st" --output "$T/d.html" >"$T/out" 2>"$T/err"
[ $? -eq 1 ] || fail "a directory as --output: expected exit 1"
grep -q "cannot write '$T/d.html': it is a directory" "$T/err" || fail "directory: $(cat "$T/err")"
[ -e "$T/p.tsv" ] && fail "an output was written"
# a relative output in the current directory is fine
(cd "$T" && "$S" -q mine --store st --output p.tsv) || fail "relative --output"
[ -s "$T/p.tsv" ] || fail "no pairs written"
exit 0
