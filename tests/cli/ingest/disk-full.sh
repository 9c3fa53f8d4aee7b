#!/bin/sh
# a store on a full file system: ingest exits 1 with a message that says the
# disk is full and names the store (not a bare "Input/output error"). Needs a
# small tmpfs (root); skipped otherwise.
. "$(dirname "$0")/../lib.sh"
M=
trap '[ -n "$M" ] && umount "$M"; rm -rf "$T"' EXIT
mkdir "$T/mnt"
mount -t tmpfs -o size=600k tmpfs "$T/mnt" 2>/dev/null || { echo "cannot mount a tmpfs (not root?)"; exit 77; }
M="$T/mnt"
"$S" -q ingest --store "$M/st" --model builtin:ngram "$C/korsts-part1.tar.zst" 2>"$T/err"
rc=$?
[ $rc -eq 1 ] || { echo "expected exit 1, got $rc"; cat "$T/err"; exit 1; }
grep -q "store '$M/st'.*the disk is full" "$T/err" || { echo "message does not say the disk is full: $(cat "$T/err")"; exit 1; }
exit 0
