#!/bin/sh
# show, query, export and mine all say where a chunk comes from: a tar shard
# with two .jsonl entries and external ids (--id-field), one document per
# line, split into sentences. `show` prints a chunk (text, doc, shard, entry,
# record, offset, ext_id, span) or, with --doc, a document's chunks, as text
# or --json; the same facts appear in query (tsv, jsonl), export (jsonl, npy
# sidecar) and mine (tsv, jsonl) rows; the span cuts the chunk's text out of
# the source record. Unknown ids exit 1 naming the id, bad ones 2.
. "$(dirname "$0")/../lib.sh"
command -v python3 >/dev/null || { echo "python3 needed to read the JSON"; exit 77; }
mkdir -p "$T/src/sub"
cat > "$T/src/sub/a.jsonl" <<'J'
{"id": "doc-a1", "text": "한 남자가 기타를 치고 있다. 고양이가 소파에서 잔다."}
{"id": "doc-a2", "text": "A man is playing a guitar. The sun is shining today."}
J
cat > "$T/src/sub/b.jsonl" <<'J'
{"id": "doc-b1", "text": "한 여성이 양파를 자르고 있다."}
{"id": "doc-b2", "text": "Two dogs run on the beach. A man is playing a guitar."}
J
(cd "$T/src" && tar -cf "$T/shard.tar" sub/a.jsonl sub/b.jsonl) || fail "tar"
"$S" -q ingest --store "$T/st" --model builtin:ngram --id-field id "$T/shard.tar" || fail "ingest exited $?"
"$S" -q export --store "$T/st" > "$T/x.jsonl" || fail "export exited $?"
# every exported chunk: provenance present, and show agrees with it field by field
python3 - "$T" "$S" <<'PY' || fail "export / show disagree"
import json, subprocess, sys
T, S = sys.argv[1], sys.argv[2]
rows = [json.loads(l) for l in open(T + "/x.jsonl", encoding="utf-8")]
assert len(rows) == 7, len(rows)
src = {}
for name in ("a", "b"):
    for i, line in enumerate(open(f"{T}/src/sub/{name}.jsonl", encoding="utf-8")):
        src[(f"sub/{name}.jsonl", i + 1)] = json.loads(line)
off = {}
for name in ("a", "b"):
    data = open(f"{T}/src/sub/{name}.jsonl", "rb").read()
    starts = [0] + [i + 1 for i, c in enumerate(data) if c == 10][:-1]
    for i, s in enumerate(starts): off[(f"sub/{name}.jsonl", i + 1)] = s
for r in rows:
    for k in ("shard", "entry", "record", "offset", "ext_id", "start", "end"):
        assert k in r, (k, r)
    assert r["shard"] == "shard.tar", r["shard"]  # keyed relative to the corpus root
    rec = src[(r["entry"], r["record"])]
    assert r["ext_id"] == rec["id"], r
    assert r["offset"] == off[(r["entry"], r["record"])], r
    assert rec["text"].encode()[r["start"]:r["end"]].decode().strip() == r["text"], (r, rec)
    sh = json.loads(subprocess.check_output([S, "show", "--store", T + "/st", "--json", str(r["id"])]))
    for k in ("id", "doc", "shard", "entry", "record", "offset", "ext_id", "start", "end", "text"):
        assert sh[k] == r[k], (k, sh, r)
    assert sh["n_tokens"] == r["n_tokens"] and sh["truncated"] == r["truncated"]
# --doc: the document's chunks, in order, with its provenance
d = rows[0]["doc"]
dj = json.loads(subprocess.check_output([S, "show", "--store", T + "/st", "--doc", "--json", str(d)]))
mine = [r for r in rows if r["doc"] == d]
assert dj["doc"] == d and dj["ext_id"] == "doc-a1" and dj["entry"] == "sub/a.jsonl" and dj["record"] == 1
assert dj["n_chunks"] == len(mine) == 2, dj
assert [c["id"] for c in dj["chunks"]] == [r["id"] for r in mine]
assert [c["text"] for c in dj["chunks"]] == [r["text"] for r in mine]
# several ids: one JSON line each
out = subprocess.check_output([S, "show", "--store", T + "/st", "--json"] + [str(r["id"]) for r in rows[:3]])
assert [json.loads(l)["id"] for l in out.decode().splitlines()] == [r["id"] for r in rows[:3]]
PY
# the text form names every field
id=$(python3 -c 'import json,sys; print(json.loads(open(sys.argv[1]).readlines()[2])["id"])' "$T/x.jsonl")
"$S" show --store "$T/st" "$id" > "$T/show.txt" || fail "show exited $?"
for f in chunk doc shard entry record offset ext_id span tokens text; do
    grep -q "^$f " "$T/show.txt" || fail "show lacks '$f': $(cat "$T/show.txt")"
done
grep -q '^ext_id   doc-a2$' "$T/show.txt" && grep -q '^entry    sub/a.jsonl$' "$T/show.txt" && grep -q '^text     A man is playing a guitar\.$' "$T/show.txt" \
    || fail "show text form: $(cat "$T/show.txt")"
doc=$(awk '$1=="doc"{print $2}' "$T/show.txt")
"$S" show --store "$T/st" --doc "$doc" > "$T/doc.txt" || fail "show --doc exited $?"
grep -q '^chunks   2$' "$T/doc.txt" && [ $(grep -c '^chunk ' "$T/doc.txt") -eq 2 ] || fail "show --doc: $(cat "$T/doc.txt")"
grep -q "^chunk $id [0-9]* [0-9]* A man is playing a guitar\.$" "$T/doc.txt" || fail "show --doc chunk line: $(cat "$T/doc.txt")"
# query: tsv columns after text, jsonl fields; equal to show's
"$S" -q build --store "$T/st" > /dev/null || fail "build"
"$S" -q query --store "$T/st" --text "A man is playing a guitar." -k 3 > "$T/q.tsv" || fail "query exited $?"
[ "$(head -1 "$T/q.tsv")" = "$(printf 'query\trank\tscore\tid\tdoc\ttext\tshard\tentry\trecord\text_id\tstart\tend')" ] || fail "query header: $(head -1 "$T/q.tsv")"
awk -F'\t' 'NR>1 && (NF != 12 || $7 !~ /shard\.tar$/ || $8 !~ /^sub\/[ab]\.jsonl$/ || $10 !~ /^doc-/ || $12 <= $11) {bad=1} END{exit bad}' "$T/q.tsv" || fail "query provenance: $(cat "$T/q.tsv")"
[ "$(awk -F'\t' 'NR>1 && $6=="A man is playing a guitar." {print $10}' "$T/q.tsv" | sort | tr '\n' ' ')" = "doc-a2 doc-b2 " ] || fail "query ext ids: $(cat "$T/q.tsv")"
"$S" -q query --store "$T/st" --text "A man is playing a guitar." -k 3 --format jsonl > "$T/q.jsonl" || fail "query jsonl"
python3 - "$T" "$S" <<'PY' || fail "query jsonl provenance"
import json, subprocess, sys
T, S = sys.argv[1], sys.argv[2]
for l in open(T + "/q.jsonl", encoding="utf-8"):
    r = json.loads(l)
    sh = json.loads(subprocess.check_output([S, "show", "--store", T + "/st", "--json", str(r["id"])]))
    for k in ("doc", "shard", "entry", "record", "offset", "ext_id", "start", "end", "text"):
        assert r[k] == sh[k], (k, r, sh)
PY
# export --format npy: the sidecar rows carry the provenance too
"$S" -q export --store "$T/st" --format npy --output "$T/v.npy" || fail "export npy"
python3 - "$T" <<'PY' || fail "npy sidecar provenance"
import json, sys
T = sys.argv[1]
x = {r["id"]: r for r in map(json.loads, open(T + "/x.jsonl", encoding="utf-8"))}
for l in open(T + "/v.jsonl", encoding="utf-8"):
    r = json.loads(l)
    for k in ("doc", "shard", "entry", "record", "offset", "ext_id", "start", "end", "text"):
        assert r[k] == x[r["id"]][k], (k, r)
PY
# mine: both chunks' provenance in tsv and jsonl
"$S" -q mine --store "$T/st" --threshold 0.1 > "$T/m.tsv" || fail "mine"
awk -F'\t' 'NR>1 && (NF != 19 || $7 !~ /shard\.tar$/ || $14 !~ /shard\.tar$/ || $10 !~ /^doc-/ || $17 !~ /^doc-/) {bad=1} END{exit bad}' "$T/m.tsv" || fail "mine tsv provenance: $(cat "$T/m.tsv")"
# mine jsonl: the same provenance members as show and export, for a and b
"$S" -q mine --store "$T/st" --threshold 0.1 --output "$T/m.jsonl" || fail "mine jsonl"
python3 - "$T" <<'PY' || fail "mine jsonl provenance"
import json, sys
T = sys.argv[1]
x = {r["id"]: r for r in map(json.loads, open(T + "/x.jsonl", encoding="utf-8"))}
rows = [json.loads(l) for l in open(T + "/m.jsonl", encoding="utf-8")]
assert rows
for r in rows:
    for side in ("a", "b"):
        for k in ("doc", "shard", "entry", "record", "offset", "ext_id", "start", "end", "text"):
            assert r[k + "_" + side] == x[r[side]][k], (k, side, r)
PY
# errors
"$S" show --store "$T/st" 999999 2>"$T/err"; [ $? -eq 1 ] || fail "unknown chunk: expected 1"
grep -q "no chunk 999999 in store" "$T/err" || fail "unknown chunk message: $(cat "$T/err")"
"$S" show --store "$T/st" --doc 424242 2>"$T/err"; [ $? -eq 1 ] || fail "unknown doc: expected 1"
grep -q "no doc 424242" "$T/err" || fail "unknown doc message: $(cat "$T/err")"
"$S" show --store "$T/st" abc 2>/dev/null; [ $? -eq 2 ] || fail "bad id: expected 2"
"$S" show --store "$T/st" 2>/dev/null; [ $? -eq 2 ] || fail "no id: expected 2"
"$S" show "$id" 2>/dev/null; [ $? -eq 2 ] || fail "no store: expected 2"
"$S" show --store "$T/none" "$id" 2>/dev/null; [ $? -eq 1 ] || fail "missing store: expected 1"
exit 0
