#!/bin/sh
# Every command listed by `semindex help` answers --help (stdout, exit 0,
# starts with "usage: semindex <cmd>") and `semindex help <cmd>` prints the
# same; an unknown command exits 2 with the list on stderr (git t0012).
S=${SEMINDEX_BIN:?}
set -e
"$S" --version | grep -q '^semindex [0-9]'
"$S" help > /tmp/help.$$ 
cmds=$(sed -n '/^commands:/,/^$/p' /tmp/help.$$ | awk 'NF>1 && $1!="commands:" {print $1}')
[ -n "$cmds" ] || { echo "no commands listed"; exit 1; }
for c in $cmds; do
    out=$("$S" "$c" --help) || { echo "$c --help exited $?"; exit 1; }
    echo "$out" | head -1 | grep -q "^usage: semindex $c" || { echo "$c --help: bad first line: $(echo "$out" | head -1)"; exit 1; }
    out2=$("$S" help "$c") || { echo "help $c exited $?"; exit 1; }
    [ "$out" = "$out2" ] || { echo "help $c differs from $c --help"; exit 1; }
done
set +e
"$S" no-such-command >/dev/null 2>/tmp/err.$$
rc=$?
[ $rc -eq 2 ] || { echo "unknown command exited $rc, expected 2"; exit 1; }
grep -q "unknown command 'no-such-command'" /tmp/err.$$ || { echo "no error message"; exit 1; }
"$S" >/dev/null 2>&1
[ $? -eq 2 ] || { echo "no command: expected exit 2"; exit 1; }
rm -f /tmp/help.$$ /tmp/err.$$
echo "$(echo $cmds | wc -w) commands ok"
