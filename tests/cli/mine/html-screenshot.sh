#!/bin/sh
# The demo's mining report renders in a real browser and is worth reading:
# the nightly job on the demo corpus with demo/demo.ini (what `make demo`
# writes to build/demo/pairs.html, here into a temporary directory), then
# headless Chromium loads it from a file:// URL. Its DOM has the histogram,
# lang="ko", top pairs between distinct texts (none with text a == text b, no
# pair of texts twice), each text with its provenance (shard, entry, record,
# external id, span), the duplicate-groups section and the clusters; Korean
# cells break between words (computed word-break: keep-all); a screenshot is
# taken (kept as $SEMINDEX_SCREENSHOT when set, for a look).
# Skipped when no Chromium is installed (bash .ci/deps.sh --test installs it).
. "$(dirname "$0")/../lib.sh"
R=$(cd "$(dirname "$0")/../../.." && pwd)
B=
for b in chromium chromium-browser google-chrome; do command -v $b >/dev/null 2>&1 && { B=$b; break; }; done
[ -n "$B" ] || { echo "no chromium to render the html report"; exit 77; }
command -v python3 >/dev/null || { echo "python3 needed to read the DOM"; exit 77; }
"$S" -q run --config "$R/demo/demo.ini" --store "$T/store" --mine-output "$T/pairs.html" >/dev/null
rc=$?; [ $rc -eq 0 ] || [ $rc -eq 3 ] || fail "demo run exited $rc"
[ -s "$T/pairs.html" ] && [ -s "$T/pairs.duplicates.jsonl" ] || fail "no report or no duplicates file"
flags="--headless --no-sandbox --disable-gpu --disable-dev-shm-usage --no-first-run --user-data-dir=$T/profile"
timeout 120 $B $flags --dump-dom "file://$T/pairs.html" > "$T/dom.html" 2>"$T/err" || { cat "$T/err" | tail -5; fail "chromium --dump-dom failed"; }
grep -q '<svg' "$T/dom.html" || fail "rendered DOM has no svg"
grep -q 'Top pairs' "$T/dom.html" && grep -q 'Largest clusters' "$T/dom.html" && grep -q 'Duplicate texts' "$T/dom.html" || fail "rendered DOM lacks sections"
[ $(grep -c '<rect' "$T/dom.html") -ge 20 ] || fail "histogram bars missing"
python3 - "$T/dom.html" <<'PY' || fail "the rendered report's pairs or duplicate groups"
import sys
from html.parser import HTMLParser

class Rows(HTMLParser):
    """cells of the pairs and duplicates tables: (text, [provenance lines])"""
    def __init__(self):
        super().__init__()
        self.lang, self.table, self.rows, self.cell, self.span = None, None, {"pairs": [], "duplicates": []}, None, None
    def handle_starttag(self, tag, a):
        a = dict(a)
        if tag == "html": self.lang = a.get("lang")
        if tag == "table": self.table = a.get("class")
        if tag == "tr" and self.table in self.rows: self.rows[self.table].append([])
        if tag == "td" and self.table in self.rows: self.cell = {"text": "", "src": [], "id": ""}; self.rows[self.table][-1].append(self.cell)
        if tag == "span" and self.cell is not None:
            self.span = a.get("class")
            if self.span == "src": self.cell["src"].append("")
    def handle_endtag(self, tag):
        if tag == "span": self.span = None
        if tag == "td": self.cell = None
        if tag == "table": self.table = None
    def handle_data(self, d):
        if self.cell is None: return
        if self.span == "src": self.cell["src"][-1] += d
        elif self.span == "id": self.cell["id"] += d
        elif self.span is None: self.cell["text"] += d

p = Rows()
p.feed(open(sys.argv[1], encoding="utf-8").read())
assert p.lang == "ko", p.lang
pairs = [r for r in p.rows["pairs"] if r]
assert len(pairs) == 200, len(pairs)
seen = set()
for score, a, b in pairs:
    ta, tb = a["text"].strip(), b["text"].strip()
    assert ta and tb and ta != tb, ("identical texts paired", ta)
    k = tuple(sorted((ta, tb)))
    assert k not in seen, ("a pair of texts twice", k)
    seen.add(k)
    for c in (a, b):
        assert len(c["src"]) == 1 and c["id"].startswith("#"), c
        s = c["src"][0]
        assert "korsts-part" in s and ".jsonl" in s and "record " in s and "id korsts-" in s and "bytes [" in s, s
dups = [r for r in p.rows["duplicates"] if r]
assert len(dups) >= 10, len(dups)
for count, text, where in dups:
    n = int(count["text"])
    assert n >= 2 and text["text"].strip(), (count, text)
    assert len(where["src"]) == min(n, 10), (n, where)
PY
# the Korean line breaking is in force in the browser, not only in the CSS text
sed 's#</body>#<script>document.body.setAttribute("data-wb", getComputedStyle(document.querySelector("table.pairs td:nth-child(2)")).wordBreak)</script></body>#' "$T/pairs.html" > "$T/probe.html"
timeout 120 $B $flags --dump-dom "file://$T/probe.html" > "$T/probe.dom" 2>"$T/err" || fail "chromium --dump-dom of the probe failed"
grep -q 'data-wb="keep-all"' "$T/probe.dom" || fail "word-break is not keep-all in the pairs table: $(grep -o 'data-wb="[^"]*"' "$T/probe.dom")"
timeout 120 $B $flags --window-size=1200,1600 --screenshot="$T/shot.png" "file://$T/pairs.html" >/dev/null 2>"$T/err" || { tail -5 "$T/err"; fail "chromium --screenshot failed"; }
[ -s "$T/shot.png" ] || fail "no screenshot"
[ "$(head -c 8 "$T/shot.png" | od -An -c | tr -d ' ')" = "211PNG\r\n032\n" ] || fail "screenshot is not a PNG"
[ $(wc -c < "$T/shot.png") -gt 20000 ] || fail "screenshot is suspiciously small (blank page?)"
[ -n "${SEMINDEX_SCREENSHOT:-}" ] && cp "$T/shot.png" "$SEMINDEX_SCREENSHOT"
exit 0
