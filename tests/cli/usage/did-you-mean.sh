#!/bin/sh
# A mistyped command is one line naming the closest command, exit 2
# (issue 14.7: `semindex ingst`); a name far from all lists the commands.
S=${SEMINDEX_BIN:?}
die() { echo "did-you-mean: $*"; exit 1; }
check() { # typed expected
    "$S" "$1" >/dev/null 2>/tmp/dym.$$
    rc=$?
    [ $rc -eq 2 ] || die "$1: exit $rc, expected 2"
    [ "$(cat /tmp/dym.$$)" = "semindex: unknown command '$1'; did you mean '$2'?" ] ||
        die "$1: got '$(cat /tmp/dym.$$)'"
}
check ingst ingest
check emebd embed
check eval-st eval-sts
check qurey query
check help2 help
"$S" xyzzy-nothing >/dev/null 2>/tmp/dym.$$
[ $? -eq 2 ] || die "far name: bad exit"
grep -q "did you mean" /tmp/dym.$$ && die "far name got a suggestion"
grep -q '^  ingest ' /tmp/dym.$$ || die "far name: no command list"
"$S" help ingst >/dev/null 2>/tmp/dym.$$
grep -q "did you mean 'ingest'" /tmp/dym.$$ || die "help ingst: no suggestion"
rm -f /tmp/dym.$$
echo "did-you-mean ok"
