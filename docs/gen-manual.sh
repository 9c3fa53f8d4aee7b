#!/bin/sh
# gen-manual.sh - regenerate the OPTIONS part of docs/semindex.1.md from the
# program's own --help texts, so the manual cannot drift from the code:
#     sh docs/gen-manual.sh build/semindex > docs/semindex.1.md
# The prose (docs/semindex.1.head.md) is hand-written; tests/cli/help/manual.sh
# fails when the generated part is out of date.
set -eu
S=${1:-build/semindex}
here=$(dirname "$0")
cat "$here/semindex.1.head.md"
echo
echo "## COMMANDS"
echo
"$S" help | sed -n '/^commands:/,/^$/p' | awk 'NF>1 && $1!="commands:" {print $1}' | while read -r c; do
    echo "### semindex $c"
    echo
    echo '```'
    "$S" "$c" --help
    echo '```'
    echo
done
