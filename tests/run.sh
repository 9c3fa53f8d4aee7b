#!/bin/sh
# run.sh - the quick tier: every unit test binary in $BUILD/tests, then every
# CLI case tests/cli/*/*.sh. Each unit binary ends with "RESULT p f s"; each
# CLI case is one test (exit 0 pass, 77 skip, else fail). The last line is the
# summary CI reads: "N passed, N failed, N skipped".
BUILD=${BUILD:-build}
export SEMINDEX_BIN="$(pwd)/$BUILD/semindex"
export SEMINDEX_BUILD="$(pwd)/$BUILD"
export SEMINDEX_FIXTURES="${SEMINDEX_FIXTURES:-$(pwd)/../shared/fixtures}"
export SEMINDEX_DATA="${SEMINDEX_DATA:-$(pwd)/../shared/data}"
[ -d "$SEMINDEX_FIXTURES" ] || echo "note: fixtures not found at $SEMINDEX_FIXTURES: fixture tests will be skipped"
P=0; F=0; S=0
log=$(mktemp)
for t in "$BUILD"/tests/test_*; do
    [ -x "$t" ] || continue
    name=$(basename "$t")
    start=$(date +%s)
    "$t" >"$log" 2>&1
    rc=$?
    res=$(grep '^RESULT ' "$log" | tail -1)
    if [ -z "$res" ]; then
        echo "FAIL $name: crashed or exited $rc without a RESULT line"; sed 's/^/    /' "$log" | tail -30
        F=$((F + 1)); continue
    fi
    set -- $res
    P=$((P + $2)); F=$((F + $3)); S=$((S + $4))
    grep -E '^(FAIL|skip|  )' "$log" | sed "s/^/  [$name] /"
    [ "$rc" -ne 0 ] && [ "$3" -eq 0 ] && { echo "FAIL $name: exit $rc"; F=$((F + 1)); }
    echo "$name: $2 passed, $3 failed, $4 skipped ($(( $(date +%s) - start ))s)"
done
for c in tests/cli/*/*.sh; do
    [ -f "$c" ] || continue
    [ "${c##*/}" = lib.sh ] && continue   # sourced by the cases, not a case
    sh "$c" >"$log" 2>&1
    rc=$?
    case $rc in
        0) P=$((P + 1)) ;;
        77) S=$((S + 1)); echo "skip $c: $(tail -1 "$log")" ;;
        *) F=$((F + 1)); echo "FAIL $c (exit $rc)"; sed 's/^/    /' "$log" | tail -20 ;;
    esac
done
rm -f "$log"
echo "$P passed, $F failed, $S skipped"
[ "$F" -eq 0 ]
