#!/bin/sh
# eval-sts end to end with real transformer models: for each fixture model
# (tiny random weights, see ../shared/fixtures/README.md) the KorSTS dev
# pairs whose two sentences have golden embeddings (made by HF
# sentence-transformers) are written as a pairs file; the evaluator table is
# computed here in Python from the golden embeddings (its own Pearson and
# Spearman with average ranks for ties) and must match `semindex eval-sts`,
# which encodes the sentences itself.
. "$(dirname "$0")/../lib.sh"
F=${SEMINDEX_FIXTURES:-../shared/fixtures}
P=${SEMINDEX_DATA:-../shared/data}/korsts/sts-dev.tsv
[ -d "$F" ] || { echo "fixtures not found at $F"; exit 77; }
[ -f "$P" ] || { echo "KorSTS dev not found at $P"; exit 77; }
command -v python3 >/dev/null || { echo "no python3 for the reference computation"; exit 77; }
for m in bert-tiny-ko modernbert-ko-tiny xlmr-tiny; do
    [ -d "$F/$m/model" ] || continue
    python3 - "$F/$m" "$P" "$T/pairs.tsv" "$T/want" <<'PY' || { echo "$m: reference failed"; exit 1; }
import array, json, math, sys
d, sts, out, want = sys.argv[1:5]
man = json.load(open(d + "/manifest.json", encoding="utf-8"))
dim = man["arrays"]["embeddings"]["shape"][1]
emb = array.array("f"); emb.frombytes(open(d + "/embeddings.f32", "rb").read())
row = {t["source"]: t["i"] for t in man["texts"]}
pairs = []
lines = open(sts, encoding="utf-8").read().split("\n")
for line in lines[1:]:
    f = line.split("\t")
    if len(f) < 7: continue
    key = "korsts-dev:%s/%s/%s/%s" % tuple(f[:4])
    if key + ":s1" in row and key + ":s2" in row:
        pairs.append((float(f[4]), row[key + ":s1"], row[key + ":s2"], f[5], f[6]))
assert len(pairs) >= 100, len(pairs)
with open(out, "w", encoding="utf-8") as o:
    o.write("genre\tfilename\tyear\tid\tscore\tsentence1\tsentence2\n")
    for g, a, b, s1, s2 in pairs: o.write("x\tx\tx\tx\t%r\t%s\t%s\n" % (g, s1, s2))
def vec(i): return [emb[i * dim + k] for k in range(dim)]
def pearson(x, y):
    n = len(x); mx = sum(x) / n; my = sum(y) / n
    sxy = sum((a - mx) * (b - my) for a, b in zip(x, y))
    sxx = sum((a - mx) ** 2 for a in x); syy = sum((b - my) ** 2 for b in y)
    return sxy / math.sqrt(sxx * syy)
def ranks(x):
    order = sorted(range(len(x)), key=lambda i: x[i]); r = [0.0] * len(x); i = 0
    while i < len(x):
        j = i
        while j + 1 < len(x) and x[order[j + 1]] == x[order[i]]: j += 1
        for k in range(i, j + 1): r[order[k]] = (i + j) / 2 + 1
        i = j + 1
    return r
gold = [p[0] / 5 for p in pairs]
fns = {"cosine": [], "euclidean": [], "manhattan": [], "dot": []}
for g, a, b, _, _ in pairs:
    u, v = vec(a), vec(b)
    dot = sum(p * q for p, q in zip(u, v))
    fns["cosine"].append(dot / math.sqrt(sum(p * p for p in u) * sum(q * q for q in v)))
    fns["euclidean"].append(-math.sqrt(sum((p - q) ** 2 for p, q in zip(u, v))))
    fns["manhattan"].append(-sum(abs(p - q) for p, q in zip(u, v)))
    fns["dot"].append(dot)
res = {}
for k in ("cosine", "euclidean", "manhattan", "dot"):
    res["pearson_" + k] = pearson(gold, fns[k])
    res["spearman_" + k] = pearson(ranks(gold), ranks(fns[k]))
res["pearson_max"] = max(v for k, v in res.items() if k.startswith("pearson_"))
res["spearman_max"] = max(v for k, v in res.items() if k.startswith("spearman_"))
with open(want, "w") as w:
    for k, v in res.items(): w.write("%s %.10f\n" % (k, v))
PY
    "$S" -q eval-sts --model "$F/$m/model" --pairs "$T/pairs.tsv" --threads 1 > "$T/got" || { echo "$m: eval-sts exited $?"; exit 1; }
    # embeddings agree with the goldens to ~1e-6; correlations over 100+ pairs to < 1e-4
    awk 'NR==FNR {w[$1]=$2; next} { d = $2 - w[$1]; if (d < 0) d = -d; if (!($1 in w) || d > 1e-4) { print "'"$m"': " $1 " " $2 ", reference " w[$1]; bad=1 } n++ }
         END { if (n != 10) { print "'"$m"': " n " metrics"; bad=1 } exit bad }' "$T/want" "$T/got" || exit 1
done
exit 0
