#!/bin/sh
# The html report renders in a real browser: headless Chromium loads it from
# a file:// URL, its DOM has the histogram, the pairs and the clusters, and a
# screenshot is taken (kept as $SEMINDEX_SCREENSHOT when set, for a look).
# Skipped when no Chromium is installed (bash .ci/deps.sh --test installs it).
S=${SEMINDEX_BIN:?}
C=$(cd "$(dirname "$0")/../../.." && pwd)/demo/corpus
B=
for b in chromium chromium-browser google-chrome; do command -v $b >/dev/null 2>&1 && { B=$b; break; }; done
[ -n "$B" ] || { echo "no chromium to render the html report"; exit 77; }
T=$(mktemp -d); trap 'rm -rf "$T"' EXIT
fail() { echo "$*"; exit 1; }
"$S" -q ingest --store "$T/st" --model builtin:ngram "$C/korsts-part1.tar.zst" || fail "ingest"
"$S" -q mine --store "$T/st" --threshold 0.75 --top-k 10 --clusters --output "$T/r.html" || fail "mine"
flags="--headless --no-sandbox --disable-gpu --disable-dev-shm-usage --no-first-run --user-data-dir=$T/profile"
timeout 120 $B $flags --dump-dom "file://$T/r.html" > "$T/dom.html" 2>"$T/err" || { cat "$T/err" | tail -5; fail "chromium --dump-dom failed"; }
grep -q '<svg' "$T/dom.html" || fail "rendered DOM has no svg"
grep -q 'Top pairs' "$T/dom.html" && grep -q 'Largest clusters' "$T/dom.html" || fail "rendered DOM lacks sections"
[ $(grep -c '<rect' "$T/dom.html") -ge 20 ] || fail "histogram bars missing"
timeout 120 $B $flags --window-size=1200,1600 --screenshot="$T/shot.png" "file://$T/r.html" >/dev/null 2>"$T/err" || { tail -5 "$T/err"; fail "chromium --screenshot failed"; }
[ -s "$T/shot.png" ] || fail "no screenshot"
[ "$(head -c 8 "$T/shot.png" | od -An -c | tr -d ' ')" = "211PNG\r\n032\n" ] || fail "screenshot is not a PNG"
[ $(wc -c < "$T/shot.png") -gt 20000 ] || fail "screenshot is suspiciously small (blank page?)"
[ -n "${SEMINDEX_SCREENSHOT:-}" ] && cp "$T/shot.png" "$SEMINDEX_SCREENSHOT"
exit 0
