#!/bin/sh
# mine over the demo store: the tsv / jsonl contracts (header, a < b, score
# descending), max-pairs, exact and ANN (Flat index) agree, clusters, the
# html report is one self-contained, escaped file; bad usage exits 2.
. "$(dirname "$0")/../lib.sh"
"$S" -q ingest --store "$T/st" --model builtin:ngram "$C/korsts-part1.tar.zst" "$C/korsts-part2.tar.zst" || fail "ingest exited $?"
"$S" -q mine --store "$T/st" --threshold 0.7 --top-k 10 > "$T/p.tsv" || fail "mine exited $?"
[ "$(head -1 "$T/p.tsv" | cut -f1-5)" = "$(printf 'score\ta\tb\ttext_a\ttext_b')" ] || fail "bad header"
[ $(wc -l < "$T/p.tsv") -gt 100 ] || fail "too few pairs"
awk -F'\t' 'NR>1 { if ($2 >= $3 || $1 < 0.7 || NF != 19) bad=1; if (NR>2 && $1 > prev) bad=1; prev=$1 } END{exit bad}' "$T/p.tsv" || fail "tsv contract broken"
awk -F'\t' 'NR>1 {k=$2" "$3; if (seen[k]++) bad=1} END{exit bad}' "$T/p.tsv" || fail "a pair twice"
"$S" -q mine --store "$T/st" --threshold 0.7 --top-k 10 --max-pairs 25 > "$T/p25.tsv" || fail "max-pairs"
[ $(wc -l < "$T/p25.tsv") -eq 26 ] || fail "max-pairs 25 gave $(($(wc -l < "$T/p25.tsv") - 1))"
head -26 "$T/p.tsv" | cut -f1 > "$T/a"; cut -f1 "$T/p25.tsv" > "$T/b"
cmp -s "$T/a" "$T/b" || fail "max-pairs did not keep the best scores"
"$S" -q mine --store "$T/st" --threshold 0.7 --top-k 10 --output "$T/p.jsonl" || fail "jsonl"
[ $(wc -l < "$T/p.jsonl") -eq $(($(wc -l < "$T/p.tsv") - 1)) ] || fail "jsonl and tsv differ in size"
if command -v python3 >/dev/null; then
    python3 - "$T/p.jsonl" <<'PY' || fail "jsonl contract"
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1], encoding="utf-8")]
assert all(set(r) >= {"score", "a", "b", "text_a", "text_b", "shard_a", "entry_b", "record_a", "ext_id_b",
                      "start_a", "end_b"} for r in rows)
assert all(r["a"] < r["b"] for r in rows)
assert all(rows[i]["score"] >= rows[i + 1]["score"] for i in range(len(rows) - 1))
PY
fi
# --ann without an index fails; with a Flat index it equals exact mining
"$S" -q mine --store "$T/st" --ann 2>"$T/err"; [ $? -eq 1 ] || fail "--ann without index: expected 1"
"$S" -q build --store "$T/st" > /dev/null || fail "build"
# (top-k 100 so that no chunk has more neighbours above the threshold than
# it looks at: duplicated texts tie, and ties may be broken either way)
"$S" -q mine --store "$T/st" --threshold 0.7 --top-k 100 --exact > "$T/pe.tsv" || fail "exact mine"
"$S" -q mine --store "$T/st" --threshold 0.7 --top-k 100 --ann > "$T/pa.tsv" || fail "ann mine"
cut -f2,3 "$T/pe.tsv" | sort > "$T/a"; cut -f2,3 "$T/pa.tsv" | sort > "$T/b"
n=$(wc -l < "$T/a"); common=$(comm -12 "$T/a" "$T/b" | wc -l)
[ $((common * 100)) -ge $((n * 99)) ] || fail "ann mining found $common of $n exact pairs"
# clusters and the html report
"$S" -q mine --store "$T/st" --threshold 0.8 --clusters --clusters-output "$T/c.jsonl" --output "$T/r.html" || fail "html"
[ -s "$T/c.jsonl" ] || fail "no clusters"
grep -q '<svg' "$T/r.html" && grep -q 'Largest clusters' "$T/r.html" && grep -q 'Top pairs' "$T/r.html" || fail "html sections missing"
! grep -q '<script\|<link\|src=' "$T/r.html" || fail "html is not self-contained"
"$S" -q mine --store "$T/st" --threshold 0.8 --communities --min-cluster-size 3 --clusters-output "$T/cc.jsonl" >/dev/null || fail "communities"
head -1 "$T/cc.jsonl" | grep -q '"cluster": 0' || fail "communities output"
# usage
"$S" mine --store "$T/st" --exact --ann 2>/dev/null; [ $? -eq 2 ] || fail "--exact --ann: expected 2"
"$S" mine --store "$T/st" --top-k 0 2>/dev/null; [ $? -eq 2 ] || fail "--top-k 0: expected 2"
"$S" mine --store "$T/st" --threshold 2 2>/dev/null; [ $? -eq 2 ] || fail "--threshold 2: expected 2"
"$S" mine --store "$T/st" --output x.csv 2>/dev/null; [ $? -eq 2 ] || fail ".csv: expected 2"
"$S" mine 2>/dev/null; [ $? -eq 2 ] || fail "no --store: expected 2"
"$S" -q mine --store "$T/none" 2>/dev/null; [ $? -eq 1 ] || fail "missing store: expected 1"
exit 0
