#!/bin/sh
# embed reports progress (issue 14 item 5): when stderr is not a terminal,
# one line per SEMINDEX_PROGRESS_INTERVAL seconds with the count, the
# percentage, the rate and the ETA (here interval 0: a line per batch of
# 1024 texts); -q shows none; the vectors are the same either way.
. "$(dirname "$0")/../lib.sh"
awk 'BEGIN { for (i = 0; i < 3000; i++) printf "문장 번호 %d 입니다\n", i }' > "$T/in.txt"
SEMINDEX_PROGRESS_INTERVAL=0 "$S" embed --model builtin:ngram --input "$T/in.txt" --output "$T/a.npy" 2>"$T/err" ||
    fail "embed: $(cat "$T/err")"
for n in 1024 2048 3000; do
    grep -Eq "^embed: $n/3000 \([0-9]+%\) texts \[[0-9]+s, [0-9]+/s, ETA [0-9]+m[0-9]{2}s\]$" "$T/err" ||
        fail "no progress line for $n: $(cat "$T/err")"
done
SEMINDEX_PROGRESS_INTERVAL=0 "$S" -q embed --model builtin:ngram --input "$T/in.txt" --output "$T/b.npy" 2>"$T/err" ||
    fail "embed -q: $(cat "$T/err")"
[ -s "$T/err" ] && fail "embed -q printed: $(cat "$T/err")"
cmp -s "$T/a.npy" "$T/b.npy" || fail "the vectors differ"
exit 0
