#!/bin/sh
# merge refuses, naming the part, a part of another model, with other
# segmentation settings, or with other vector storage, and OUT given as its
# own part; the merged store is left as it was.
. "$(dirname "$0")/../lib.sh"
. "$here/tests/cli/merge/lib.sh"
set -e
make_corpus "$T/c"
"$S" -q ingest --store "$T/p0" --model builtin:ngram --part 0/2 "$T/c"
"$S" -q ingest --store "$T/p1" --model builtin:ngram --part 1/2 "$T/c"
"$S" -q ingest --store "$T/seg" --model builtin:ngram --segment line --part 1/2 "$T/c"
"$S" -q ingest --store "$T/f16" --model builtin:ngram --f16 --part 1/2 "$T/c"
"$S" -q merge --store "$T/m" "$T/p0"
"$S" export --store "$T/m" > "$T/before.jsonl"
expect_refused() { # what part...
    what=$1; part=$2; shift 2
    if "$S" merge --store "$T/m" "$@" 2>"$T/err"; then echo "$what: merged"; exit 1; fi
    grep -q "part '$part'" "$T/err" || { echo "$what: error does not name '$part': $(cat "$T/err")"; exit 1; }
    grep -qi "$what" "$T/err" || { echo "$what: error does not say '$what': $(cat "$T/err")"; exit 1; }
}
expect_refused settings "$T/seg" "$T/seg" "$T/p1"
expect_refused f16 "$T/f16" "$T/p1" "$T/f16"
model=${SEMINDEX_FIXTURES:-$here/../shared/fixtures}/bert-tiny-ko/model
if [ -d "$model" ]; then
    "$S" -q ingest --store "$T/other" --model "$model" --part 1/2 "$T/c"
    expect_refused fingerprint "$T/other" "$T/p1" "$T/other"
else
    echo "note: no fixture model at $model: the other-model case is not run"
fi
if "$S" merge --store "$T/m" "$T/p1" "$T/m" 2>"$T/err"; then echo "merged a store into itself"; exit 1; fi
grep -q "is the merged store itself" "$T/err" || { echo "self merge: $(cat "$T/err")"; exit 1; }
"$S" export --store "$T/m" | cmp -s - "$T/before.jsonl" || { echo "a refused merge changed the store"; exit 1; }
echo ok
