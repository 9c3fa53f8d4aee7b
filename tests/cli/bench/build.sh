#!/bin/sh
# Issue 16: `semindex bench build` writes a synthetic f16 store itself,
# builds its index streamed under --memory-budget and mines it, and prints
# the key-value lines of docs/performance.md (time and peak RSS per stage,
# recall_at_10, pair_recall); the store is removed unless --keep, and kept
# with it (a store `semindex build` and `mine` then use).
. "$(dirname "$0")/../lib.sh"
# --clusters 2500 (clusters of ~10): at dim 32 a 1 MiB budget means PQ8 codes,
# too coarse to rank the 31 mates of the default clusters of ~32 (mining takes
# each vector's top-k by code rank); the 768-d runs in docs/performance.md
# measure recall on the default.
TMPDIR=$T "$S" -q bench build --n 25000 --dim 32 --memory-budget 1M --clusters 2500 --sample 40 >"$T/out" 2>"$T/err" ||
    fail "bench build failed: $(cat "$T/err")"
for k in write_seconds build_seconds train_seconds add_seconds mine_seconds build_and_mine_seconds \
         build_peak_rss_mb mine_peak_rss_mb peak_rss_mb recall_at_10 pair_recall factory mine_pairs \
         mine_nprobe sample_recall_at_10; do
    grep -q "^$k " "$T/out" || fail "no '$k' line: $(cat "$T/out")"
done
v() { sed -n "s/^$1 //p" "$T/out"; }
# 25000 x 32 f32 is 3.2 MB: a 1 MiB budget leaves no room for Flat or HNSW
case "$(v factory)" in *SQ8*|*PQ*) ;; *) fail "expected compressed codes under 1M: $(v factory)" ;; esac
awk -v r="$(v recall_at_10)" -v p="$(v pair_recall)" -v n="$(v mine_pairs)" \
    'BEGIN { exit !(r > 0.5 && r <= 1 && p >= 0.8 && p <= 1 && n > 1000) }' ||
    fail "implausible recall or pairs: $(cat "$T/out")"
awk -v r="$(v sample_recall_at_10)" 'BEGIN { exit !(r > 0.5 && r <= 1) }' || fail "implausible sample recall: $(cat "$T/out")"
[ "$(v mine_nprobe)" = "$(v nprobe)" ] || fail "mining did not use the tuned nprobe: $(cat "$T/out")"
[ "$(ls "$T" | tr '\n' ' ')" = "err out " ] || fail "store left behind: $(ls "$T")"
"$S" -q bench build --n 500 --dim 32 --memory-budget 1M --sample 10 --dir "$T/kept" --keep >/dev/null 2>&1 ||
    fail "bench build --keep failed"
"$S" -q mine --store "$T/kept" --ann --threshold 0.8 >"$T/pairs" || fail "mine over the kept store failed"
[ -s "$T/pairs" ] || fail "no pairs from the kept store"
# --nprobe: mining (and the sample's index recall) at another nprobe, on the kept index
"$S" -q bench build --n 25000 --dim 32 --memory-budget 1M --clusters 2500 --sample 40 --dir "$T/ivf" --keep \
    >/dev/null 2>&1 || fail "bench build --keep (25000) failed"
"$S" -q bench build --n 25000 --dim 32 --memory-budget 1M --clusters 2500 --sample 40 --dir "$T/ivf" --reuse \
    --nprobe 3 >"$T/out" 2>"$T/err" || fail "bench build --reuse --nprobe 3 failed: $(cat "$T/err")"
[ "$(v mine_nprobe)" = 3 ] || fail "--nprobe 3 not used: $(cat "$T/out")"
"$S" bench build --n 10 --dim 8 --memory-budget 0 >/dev/null 2>&1; [ $? -eq 2 ] || fail "--memory-budget 0: expected 2"
exit 0
