#!/bin/sh
# a shard is done only for the settings that shaped its chunks (issue 14.1):
# a wrong --text-field rejects every record: exit 3, not recorded as done, and
# exit 3 again on the next night; the corrected run stores the documents; an
# identical rerun skips; another --text-field or --segment re-ingests the
# shard and replaces its old chunks.
. "$(dirname "$0")/../lib.sh"
printf '{"text": "첫 문서입니다. 둘째 문장입니다.", "body": "본문 하나."}\n{"text": "둘째 문서.", "body": "본문 둘."}\n' > "$T/a.jsonl"
chunks() { "$S" stats --store "$T/st" --json | sed 's/.*"chunks": \([0-9]*\).*/\1/'; }
for night in 1 2; do
    "$S" ingest --store "$T/st" --model builtin:ngram --text-field txt "$T/a.jsonl" 2>"$T/err"
    rc=$?
    [ $rc -eq 3 ] || { echo "night $night, wrong --text-field: expected exit 3, got $rc"; cat "$T/err"; exit 1; }
    grep -q "every record was rejected" "$T/err" || { echo "night $night: no message"; cat "$T/err"; exit 1; }
    grep -q "1 skipped" "$T/err" && { echo "night $night: the shard was skipped"; cat "$T/err"; exit 1; }
done
"$S" stats --store "$T/st" --json | grep -q '"shards": 0,' || { echo "a rejected shard is recorded done"; "$S" stats --store "$T/st"; exit 1; }
"$S" ingest --store "$T/st" --model builtin:ngram "$T/a.jsonl" 2>"$T/err" || { echo "corrected run failed"; cat "$T/err"; exit 1; }
[ "$(chunks)" = 3 ] || { echo "corrected run: $(chunks) chunks, expected 3"; cat "$T/err"; exit 1; }
"$S" ingest --store "$T/st" --model builtin:ngram "$T/a.jsonl" 2>"$T/err" || { echo "rerun failed"; exit 1; }
grep -q "1 skipped" "$T/err" || { echo "an identical rerun did not skip"; cat "$T/err"; exit 1; }
# another text field: read again, the old chunks replaced
"$S" ingest --store "$T/st" --model builtin:ngram --text-field body "$T/a.jsonl" 2>"$T/err" || { echo "body run failed"; cat "$T/err"; exit 1; }
grep -q "1 skipped" "$T/err" && { echo "--text-field body skipped the shard"; cat "$T/err"; exit 1; }
grep -q 'settings differ from the last ingest (text_field "text" -> "body")' "$T/err" || { echo "the changed setting is not named"; cat "$T/err"; exit 1; }
"$S" export --store "$T/st" > "$T/x.jsonl" || exit 1
grep -q "본문 하나" "$T/x.jsonl" && ! grep -q "첫 문서" "$T/x.jsonl" || { echo "export after --text-field body:"; cat "$T/x.jsonl"; exit 1; }
[ "$(chunks)" = 2 ] || { echo "--text-field body: $(chunks) chunks, expected 2"; exit 1; }
# another segmentation: read again
"$S" ingest --store "$T/st" --model builtin:ngram --text-field body --segment doc "$T/a.jsonl" 2>"$T/err" || exit 1
grep -q "1 changed" "$T/err" || { echo "--segment doc did not re-ingest"; cat "$T/err"; exit 1; }
"$S" ingest --store "$T/st" --model builtin:ngram --text-field body --segment doc "$T/a.jsonl" 2>"$T/err" || exit 1
grep -q "1 skipped" "$T/err" || { echo "same settings again did not skip"; cat "$T/err"; exit 1; }
# --window only matters to --segment window: changing it alone does not re-ingest
"$S" ingest --store "$T/st" --model builtin:ngram --text-field body --segment doc --window 7 "$T/a.jsonl" 2>"$T/err" || exit 1
grep -q "1 skipped" "$T/err" || { echo "--window with --segment doc re-ingested"; cat "$T/err"; exit 1; }
exit 0
