#!/bin/sh
# a reader that stops early is a normal end of output (issue 14 item 6):
# `export | head -1`, `query | head -1`, `mine | head -1` and `run | head -4`
# end quietly: exit 141 (SIGPIPE), nothing on stderr, no file left in the
# store, the store intact - also when the parent ignores SIGPIPE (a service
# manager, a Python subprocess), where writes would fail with EPIPE and print
# errors: semindex restores the default SIGPIPE (pipeline/main.c).
. "$(dirname "$0")/../lib.sh"
"$S" -q ingest --store "$T/st" --model builtin:ngram "$C/korsts-part1.tar.zst" || fail "ingest"
"$S" -q build --store "$T/st" >/dev/null || fail "build"
awk 'NR <= 200' "$C/../demo.ini" > "$T/q.txt"
ls -A "$T/st" > "$T/before"
for ign in no yes; do
    for cmd in "export --store $T/st" "query --store $T/st -k 50 --input $T/q.txt" "mine --store $T/st"; do
        if [ $ign = yes ]; then
            sh -c "trap '' PIPE; { \"$S\" $cmd 2>\"$T/err\"; echo \$? >\"$T/rc\"; } | head -1 >\"$T/out\""
        else
            { "$S" $cmd 2>"$T/err"; echo $? >"$T/rc"; } | head -1 >"$T/out"
        fi
        rc=$(cat "$T/rc")
        # every output is far over a pipe's 64 KiB (export 4.2 MB, query 140 kB,
        # mine 19 MB), so the reader's end is always met, and semindex restores
        # the default SIGPIPE (main.c) even when its parent ignored it: 141
        [ "$rc" = 141 ] || fail "$cmd (SIGPIPE ignored: $ign): exit $rc, want 141: $(cat "$T/err")"
        grep -v "^mine: " "$T/err" | grep . && fail "$cmd (SIGPIPE ignored: $ign): stderr: $(cat "$T/err")"
        [ -s "$T/out" ] || fail "$cmd: no first line"
    done
done
ls -A "$T/st" > "$T/after"
cmp -s "$T/before" "$T/after" || fail "files left in the store: $(diff "$T/before" "$T/after")"
{ "$S" run --store "$T/st" --model builtin:ngram "$C/korsts-part2.tar.zst" 2>"$T/err"; echo $? >"$T/rc"; } | head -4 >"$T/out"
[ "$(cat "$T/rc")" = 0 ] || fail "run | head -4: exit $(cat "$T/rc"): $(cat "$T/err")"
grep -q "^semindex run: ok" "$T/err" || fail "run summary: $(cat "$T/err")"
"$S" -q query --store "$T/st" --text "한 남자가 기타를 치고 있다." -k 1 >/dev/null || fail "query after the pipes"
"$S" stats --store "$T/st" | grep -q "^shards *2 done" || fail "store after the pipes: $("$S" stats --store "$T/st")"
exit 0
