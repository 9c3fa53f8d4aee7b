#!/bin/sh
# Issue 18: `--output /dev/null` (and every other output path option) writes
# through to the device; /dev/null stays a character device. Run as root (as
# CI is), the old writer renamed its temporary file over /dev/null.
. "$(dirname "$0")/lib.sh"
restore() { # the old behaviour would have left a regular file: put the device back
    if [ "$(stat -c %F /dev/null)" != "character special file" ] && [ "$(id -u)" -eq 0 ]; then
        rm -f /dev/null && mknod -m 666 /dev/null c 1 3
    fi
}
trap 'restore; rm -rf "$T"' EXIT
check() { # what was run
    kind=$(stat -c %F /dev/null)
    [ "$kind" = "character special file" ] || fail "$*: /dev/null became a '$kind'"
    [ ! -e /dev/null.tmp ] && [ ! -e /dev/null.jsonl ] || fail "$*: left /dev/null.tmp or /dev/null.jsonl"
}
for f in f32 npy jsonl; do
    "$S" -q embed --model builtin:ngram --input "$T/in.txt" --format "$f" --output /dev/null || fail "embed --format $f exited $?"
    check "embed --format $f --output /dev/null"
done
"$S" -q ingest --store "$T/st" --model builtin:ngram --segment doc --stats-json /dev/null "$T/in.jsonl" > "$T/o" ||
    fail "ingest exited $?"
check "ingest --stats-json /dev/null"
"$S" -q build --store "$T/st" > "$T/o" || fail "build"
"$S" -q export --store "$T/st" --output /dev/null || fail "export jsonl exited $?"
check "export --output /dev/null"
"$S" -q export --store "$T/st" --format npy --output /dev/null || fail "export npy exited $?"
check "export --format npy --output /dev/null"
for o in /dev/null; do
    "$S" -q mine --store "$T/st" --threshold 0.3 --clusters --clusters-output "$o" --output "$o" ||
        fail "mine exited $?"
    check "mine --output $o --clusters-output $o"
done
"$S" -q run --store "$T/st2" --model builtin:ngram --ingest-segment doc --ingest-shards "$T/in.jsonl" \
    --mine-enabled --mine-threshold 0.3 --mine-output /dev/null --report /dev/null > "$T/o" || fail "run exited $?"
check "run --mine-output /dev/null --report /dev/null"
[ -f "$T/st2/reports/last-run.json" ] || fail "run wrote no last-run.json"
# a directory is a clear error naming it; nothing is written into or beside it
mkdir "$T/dir"
"$S" -q embed --model builtin:ngram --input "$T/in.txt" --output "$T/dir" 2> "$T/err"; rc=$?
[ $rc -eq 1 ] || fail "embed --output DIR: exit $rc, want 1"
grep -q "error: cannot write '$T/dir': it is a directory" "$T/err" || { cat "$T/err"; fail "no clear error for a directory"; }
[ ! -e "$T/dir.tmp" ] || fail "left $T/dir.tmp"
echo "every output option wrote through /dev/null and left it a character device"
