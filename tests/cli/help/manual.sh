#!/bin/sh
# docs/semindex.1.md holds every command's --help text verbatim: regenerate
# it with `sh docs/gen-manual.sh build/semindex > docs/semindex.1.md`.
S=${SEMINDEX_BIN:?}
here=$(cd "$(dirname "$0")/../../.." && pwd)
tmp=$(mktemp)
sh "$here/docs/gen-manual.sh" "$S" > "$tmp" || { echo "gen-manual failed"; exit 1; }
if ! cmp -s "$tmp" "$here/docs/semindex.1.md"; then
    diff -u "$here/docs/semindex.1.md" "$tmp" | head -40
    echo "docs/semindex.1.md is out of date: sh docs/gen-manual.sh build/semindex > docs/semindex.1.md"
    rm -f "$tmp"; exit 1
fi
rm -f "$tmp"
