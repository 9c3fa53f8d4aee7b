#!/usr/bin/env python3
"""make-corpus.py - rebuild the bundled demo corpus from KorSTS test.

Writes demo/corpus/korsts-part{1,2}.tar.zst: each a tar (zstd) of .jsonl
files, one document per line {"id": ..., "title": ..., "text": ...}. A
document is the sentences of a few consecutive KorSTS test pairs of one
source, joined by spaces, so sentence segmentation has real work and the
corpus holds near-paraphrases (KorSTS pairs) for mining to find. Part 2 is
the "next night's" growth. Deterministic: same input, same bytes.

usage: python3 demo/make-corpus.py [../shared/data/korsts/sts-test.tsv]
"""
import io, json, os, subprocess, sys, tarfile

src = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "../../shared/data/korsts/sts-test.tsv")
rows = []
with open(src, encoding="utf-8") as f:
    next(f)
    for line in f:
        c = line.rstrip("\n").split("\t")
        if len(c) >= 7:
            rows.append(c)

docs = []
PAIRS_PER_DOC = 3
for i in range(0, len(rows), PAIRS_PER_DOC):
    grp = [r for r in rows[i:i + PAIRS_PER_DOC] if r[1] == rows[i][1]]
    sents = []
    for r in grp:
        sents += [r[5].strip(), r[6].strip()]
    docs.append({"id": "korsts-test-%s-%s-%s" % (grp[0][1], grp[0][2], grp[0][3]),
                 "title": "%s %s" % (grp[0][0], grp[0][1]), "text": " ".join(sents)})
docs = docs[:360]

out = os.path.join(os.path.dirname(os.path.abspath(__file__)), "corpus")
os.makedirs(out, exist_ok=True)
parts = {1: docs[:240], 2: docs[240:]}
for p, ds in parts.items():
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.USTAR_FORMAT) as tar:
        per_file = 60
        for k in range(0, len(ds), per_file):
            data = "".join(json.dumps(d, ensure_ascii=False) + "\n" for d in ds[k:k + per_file]).encode()
            ti = tarfile.TarInfo("part%d/docs-%02d.jsonl" % (p, k // per_file))
            ti.size, ti.mtime, ti.mode, ti.uname, ti.gname = len(data), 0, 0o644, "", ""
            tar.addfile(ti, io.BytesIO(data))
    path = os.path.join(out, "korsts-part%d.tar.zst" % p)
    z = subprocess.run(["zstd", "-19", "-q", "-c"], input=buf.getvalue(), stdout=subprocess.PIPE, check=True).stdout
    with open(path, "wb") as f:
        f.write(z)
    print("%s: %d documents, %d bytes" % (path, len(ds), len(z)))
