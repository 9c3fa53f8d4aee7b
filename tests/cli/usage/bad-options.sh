#!/bin/sh
# One error style for a bad command line (issue 14.7): every command, on an
# unknown option, a missing value, a value given to a flag or a malformed
# value, prints exactly one line "semindex CMD: ... (see 'semindex CMD
# --help')" to stderr and exits 2 (getopt prints nothing of its own).
. "$(dirname "$0")/../lib.sh"
die() { echo "bad-options: $*"; exit 1; }
check() { # want-message cmd args...
    want=$1; shift
    "$S" "$@" >/dev/null 2>"$T/err" </dev/null
    rc=$?
    [ $rc -eq 2 ] || die "'$*': exit $rc, expected 2 ($(cat "$T/err"))"
    [ "$(wc -l < "$T/err")" -eq 1 ] || die "'$*': not one line: $(cat "$T/err")"
    cmd=$1
    case "$1 $2" in "bench nope") ;; bench*) cmd="bench $2" ;; esac
    grep -q "^semindex $cmd: $want (see 'semindex $cmd --help')\$" "$T/err" || die "'$*': got '$(cat "$T/err")'"
}
for c in run ingest merge slurm build query mine stats export show tokenize embed similarity eval-sts; do
    check "unknown option '--no-such-option'" $c --no-such-option
    check "unknown option '--no-such-option'" $c --no-such-option=1
done
for b in tokenize encode ingest mine; do
    check "unknown option '--no-such-option'" bench $b --no-such-option
done
check "unknown benchmark 'nope'" bench nope
check "option '--store' needs a value" query --store
check "option '-k' needs a value" query --store x -k
check "unknown option '-Z'" query -Z
check "option '--json' takes no value" stats --json=yes
check "--top-k: .*" mine --store x --top-k many
echo "bad-options ok"
