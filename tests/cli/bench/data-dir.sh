#!/bin/sh
# Issue 14 item 9: `semindex bench` works from any directory. The data folder
# is --data, else $SEMINDEX_DATA, else ../shared/data from the current
# directory, else ../shared/data or ../../shared/data beside the executable;
# with none of them an error names --data.
. "$(dirname "$0")/../lib.sh"
DATA=${SEMINDEX_DATA:-../shared/data}
FIX=${SEMINDEX_FIXTURES:-../shared/fixtures}
M=$FIX/bert-tiny-ko/model
[ -f "$DATA/korsts/sts-dev.tsv" ] || { echo "KorSTS not found at $DATA"; exit 77; }
[ -d "$M" ] || { echo "fixture model not found at $M"; exit 77; }
DATA=$(cd "$DATA" && pwd); M=$(cd "$M" && pwd)
# a copy of the program in T/opt/bin (the executable's path is where it really
# is, so a symlink would not do), the data at T/shared/data for the
# executable-relative case
mkdir -p "$T/opt/bin" "$T/shared" "$T/empty/cwd" "$T/lonely" "$T/a/b/c"
cp "$S" "$T/opt/bin/semindex"
ln -s "$DATA" "$T/shared/data"
enc() { # bin, then extra args; from the current directory, SEMINDEX_DATA unset unless given
    b=$1; shift
    "$b" bench encode --model "$M" --limit 4 --naive-sentences 0 --threads 1 "$@" > "$T/out" 2> "$T/err"
}
cd "$T/empty/cwd" || exit 1
SEMINDEX_DATA=$DATA enc "$S" || { cat "$T/err"; fail "\$SEMINDEX_DATA from another directory failed"; }
grep -q '^sentences 4$' "$T/out" || { cat "$T/out"; fail "no sentences line"; }
SEMINDEX_DATA= enc "$S" --data "$DATA" || { cat "$T/err"; fail "--data from another directory failed"; }
cd "$T/opt/bin" || exit 1 # ../shared/data from here does not exist; ../../shared/data beside the executable does
SEMINDEX_DATA= enc "$T/opt/bin/semindex" || { cat "$T/err"; fail "data beside the executable not found"; }
cd "$T/lonely" || exit 1  # ../shared/data from the current directory
cp "$S" "$T/a/b/c/semindex" # no shared/data beside this copy
SEMINDEX_DATA= enc "$T/a/b/c/semindex" || { cat "$T/err"; fail "../shared/data from the current directory not found"; }
cd "$T/empty/cwd" || exit 1 # nothing anywhere: an error that names --data
SEMINDEX_DATA= enc "$T/a/b/c/semindex"; rc=$?
[ $rc -eq 1 ] || fail "no data: exit $rc, want 1"
grep -q "error: no benchmark data: korsts/sts-dev.tsv not found.*--data DIR" "$T/err" || { cat "$T/err"; fail "the error does not name --data"; }
SEMINDEX_DATA=$DATA enc "$S" --data "$T/empty"; rc=$?
[ $rc -eq 1 ] && grep -q -- "--data '$T/empty' has no korsts/sts-dev.tsv" "$T/err" || { cat "$T/err"; fail "a wrong --data is not named"; }
echo "bench found its data from every directory"
