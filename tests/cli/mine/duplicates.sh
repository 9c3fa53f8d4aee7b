#!/bin/sh
# Mining reports show paraphrases, not copies. The demo corpus repeats many
# sentences: by default no reported pair has text a == text b, each pair of
# texts appears once, --max-pairs counts the reported pairs, and the copies
# are grouped (text, count, where) in <stem>.duplicates.jsonl beside the
# report (or --duplicates-output) and in the html report's own section, whose
# lang is guessed from the texts ("ko") or given by --lang; `semindex run`
# writes the same (and counts them in its run report).
# --include-identical gives the pairs as mined (copies included, no groups).
. "$(dirname "$0")/../lib.sh"
command -v python3 >/dev/null || { echo "python3 needed to read the JSON"; exit 77; }
"$S" -q ingest --store "$T/st" --model builtin:ngram --id-field id "$C/korsts-part1.tar.zst" "$C/korsts-part2.tar.zst" || fail "ingest exited $?"
"$S" -q mine --store "$T/st" --threshold 0.7 --top-k 10 --output "$T/p.jsonl" || fail "mine exited $?"
[ -s "$T/p.duplicates.jsonl" ] || fail "no duplicates file beside the report"
"$S" -q mine --store "$T/st" --threshold 0.7 --top-k 10 --include-identical --output "$T/all.jsonl" || fail "--include-identical"
[ ! -e "$T/all.duplicates.jsonl" ] || fail "--include-identical wrote duplicate groups"
"$S" -q mine --store "$T/st" --threshold 0.7 --top-k 10 --max-pairs 25 --output "$T/p25.tsv" || fail "max-pairs"
"$S" -q mine --store "$T/st" --threshold 0.7 --top-k 10 --duplicates-output "$T/d.jsonl" > "$T/p.tsv" || fail "--duplicates-output"
cmp -s "$T/d.jsonl" "$T/p.duplicates.jsonl" || fail "--duplicates-output differs from the default file"
[ ! -e "$T/p.duplicates.jsonl.tmp" ] || fail "temporary file left"
python3 - "$T" "$S" <<'PY' || fail "pairs / groups contract"
import json, subprocess, sys
T, S = sys.argv[1], sys.argv[2]
pairs = [json.loads(l) for l in open(T + "/p.jsonl", encoding="utf-8")]
everything = [json.loads(l) for l in open(T + "/all.jsonl", encoding="utf-8")]
groups = [json.loads(l) for l in open(T + "/p.duplicates.jsonl", encoding="utf-8")]
assert len(pairs) > 100, len(pairs)
# the old behaviour, kept by --include-identical: copies among the best pairs
assert sum(p["text_a"] == p["text_b"] for p in everything[:200]) > 50
assert not any(p["text_a"] == p["text_b"] for p in pairs), "identical texts paired"
keys = [tuple(sorted((p["text_a"], p["text_b"]))) for p in pairs]
assert len(keys) == len(set(keys)), "a pair of texts reported twice"
assert all(pairs[i]["score"] >= pairs[i + 1]["score"] for i in range(len(pairs) - 1))
# every distinct-text pair of the full list is reported, as its lowest ids
best = {}
for p in everything:
    if p["text_a"] != p["text_b"]:
        k = tuple(sorted((p["text_a"], p["text_b"])))
        best[k] = min(best.get(k, (p["a"], p["b"])), (p["a"], p["b"]))
assert set(keys) == set(best), (len(keys), len(best))
assert all((p["a"], p["b"]) == best[k] for p, k in zip(pairs, keys))
# --max-pairs counts reported pairs: the 25 best distinct-text pairs
p25 = [l.split("\t") for l in open(T + "/p25.tsv", encoding="utf-8").read().splitlines()[1:]]
assert len(p25) == 25, len(p25)
assert [(int(r[1]), int(r[2])) for r in p25] == [(p["a"], p["b"]) for p in pairs[:25]]
# groups: more than one member, sizes descending, members share the text, provenance given
assert len(groups) > 10
assert [g["group"] for g in groups] == list(range(len(groups)))
assert all(g["count"] >= 2 for g in groups)
assert all(groups[i]["count"] >= groups[i + 1]["count"] for i in range(len(groups) - 1))
texts = {}
for l in subprocess.check_output([S, "export", "--store", T + "/st"]).decode().splitlines():
    r = json.loads(l)
    texts[r["id"]] = r["text"]
from collections import Counter
c = Counter(texts.values())
assert sorted(g["count"] for g in groups) == sorted(n for n in c.values() if n > 1)
for g in groups:
    assert g["count"] == len(g["members"]) + g["more"]
    assert all(texts[m["id"]] == g["text"] for m in g["members"]), g["text"]
    assert all(m["shard"].endswith(".tar.zst") and m["entry"].endswith(".jsonl") and m["record"] >= 1
               and m["ext_id"].startswith("korsts-") and m["end"] > m["start"] for m in g["members"])
PY
# the html report: lang guessed from the Hangul texts, a duplicate section, provenance per pair
"$S" -q mine --store "$T/st" --threshold 0.7 --top-k 10 --output "$T/r.html" || fail "html"
grep -q '<html lang="ko">' "$T/r.html" || fail "html lang is not ko: $(head -2 "$T/r.html")"
grep -q 'word-break:keep-all' "$T/r.html" || fail "no keep-all for Korean"
grep -q '<h2 id="duplicates">Duplicate texts</h2>' "$T/r.html" || fail "no duplicate section"
[ -s "$T/r.duplicates.jsonl" ] || fail "no r.duplicates.jsonl"
[ $(grep -o '<span class="src"' "$T/r.html" | wc -l) -ge 400 ] || fail "provenance missing in the top pairs"
grep -q 'korsts-part1.tar.zst &#8250; part1/docs-0[0-9].jsonl &#183; record [0-9]* &#183; id korsts-' "$T/r.html" || fail "provenance line"
"$S" -q mine --store "$T/st" --threshold 0.7 --top-k 10 --lang en --output "$T/en.html" || fail "--lang"
grep -q '<html lang="en">' "$T/en.html" || fail "--lang en ignored"
"$S" -q mine --store "$T/st" --threshold 0.7 --top-k 10 --include-identical --output "$T/i.html" || fail "--include-identical html"
! grep -q 'id="duplicates"' "$T/i.html" || fail "--include-identical html has a duplicate section"
# semindex run's mine stage goes through the same writer: the demo config
"$S" -q run --config "$(dirname "$C")/demo.ini" --store "$T/run" --mine-output "$T/run.html" >/dev/null
rc=$?; [ $rc -eq 0 ] || [ $rc -eq 3 ] || fail "demo run exited $rc"
[ -s "$T/run.duplicates.jsonl" ] || fail "run wrote no duplicates file"
grep -q '<html lang="ko">' "$T/run.html" && grep -q 'id="duplicates"' "$T/run.html" || fail "run's html report"
python3 - "$T" <<'PY' || fail "run report's mine object"
import json, sys
T = sys.argv[1]
m = json.load(open(T + "/run/reports/last-run.json"))["mine"]
groups = sum(1 for _ in open(T + "/run.duplicates.jsonl"))
assert m["duplicate_groups"] == groups > 10 and m["identical_dropped"] > 0 and m["repeated_dropped"] > 0, m
assert m["pairs"] > 100, m
PY
# run's settings: mine-lang, mine-include-identical
"$S" -q run --config "$(dirname "$C")/demo.ini" --store "$T/run" --mine-output "$T/run2.html" --mine-lang en \
    --mine-include-identical >/dev/null
rc=$?; [ $rc -eq 0 ] || [ $rc -eq 3 ] || fail "demo run with mine settings exited $rc"
grep -q '<html lang="en">' "$T/run2.html" || fail "run --mine-lang ignored"
! grep -q 'id="duplicates"' "$T/run2.html" && [ ! -e "$T/run2.duplicates.jsonl" ] || fail "run --mine-include-identical ignored"
# usage
"$S" mine --store "$T/st" --lang 'k"o' 2>/dev/null; [ $? -eq 2 ] || fail "bad --lang: expected 2"
"$S" mine --store "$T/st" --include-identical --duplicates-output "$T/x.jsonl" 2>/dev/null; [ $? -eq 2 ] || fail "--include-identical --duplicates-output: expected 2"
"$S" mine --store "$T/st" --output "$T/y.jsonl" --duplicates-output "$T/y.jsonl" 2>/dev/null; [ $? -eq 2 ] || fail "same file twice: expected 2"
exit 0
