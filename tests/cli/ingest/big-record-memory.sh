#!/bin/sh
# memory proportional to the input: one 30 MB jsonl record (under the 32 MiB
# cap) is ingested with a peak RSS (VmHWM, from /usr/bin/time) under 4 times
# its size. builtin:ngram with 20000-word windows keeps encoding and the
# store small, so what is measured is the reading side: line buffer, JSON
# parse, segmentation and per-chunk copies (152 MB before, 92 MB now).
. "$(dirname "$0")/../lib.sh"
[ -x /usr/bin/time ] || { echo "skip: /usr/bin/time (Debian package time) is not installed"; exit 77; }
grep -q __asan_init "$S" && { echo "skip: memory is measured on the optimised build, not under AddressSanitizer"; exit 77; }
awk 'BEGIN {
    split("하늘이 바다는 고양이가 강아지는 학교에 사람들이 빠르게 천천히 노래를 책을 먹었다 달린다 좋아요 보았다 the quick brown fox", w, " ");
    srand(7); n = 0; printf "{\"id\": \"big\", \"text\": \"";
    while (n < 30000000) { s = w[int(rand() * 18) + 1]; if (rand() < 0.08) s = s ". "; else s = s " "; printf "%s", s; n += length(s) }
    printf "\\n둘째 줄 \\\"인용\\\" \\u00e9\"}\n" }' > "$T/big.jsonl"
size=$(wc -c < "$T/big.jsonl")
[ "$size" -gt 30000000 ] && [ "$size" -lt 33554432 ] || { echo "generated $size bytes, want 30..32 MiB"; exit 1; }
/usr/bin/time -f '%M' -o "$T/rss" "$S" -q ingest --store "$T/st" --model builtin:ngram --threads 1 \
    --segment window --window 20000 --overlap 0 "$T/big.jsonl" 2>"$T/err"
rc=$?
[ $rc -eq 0 ] || { echo "ingest exit $rc"; cat "$T/err"; exit 1; }
kb=$(tail -1 "$T/rss")
limit=$((4 * size / 1024))
echo "peak RSS ${kb} kB for a $size-byte record (limit $limit kB)"
[ "$kb" -lt "$limit" ] || { echo "peak RSS $kb kB is not under 4x the record ($limit kB)"; exit 1; }
"$S" export --store "$T/st" --format jsonl 2>/dev/null | grep -q '인용' || { echo "the record's text was not stored"; exit 1; }
exit 0
