#!/bin/sh
# bench.sh - parallel efficiency of the Slurm path on this machine, through a
# real one-node Slurm (start.sh), with the full-size random model
# (tools/make_random_model, ModernBERT-base shape):
#   the same corpus as 1 task x C threads and as C tasks x 1 thread:
#   wall time from submit to the end of the merge job, the tasks' busy time
#   (each task's ingest seconds), the merge's seconds and its share;
# then the merge throughput (vectors/s) on a synthetic builtin:ngram set of
# SYN_DOCS x 4 sentences in 2 parts.
#   sh tests/slurm/bench.sh            (after make; as root; docs/performance.md)
# Env: BUILD (build), CPUS (2), SYN_DOCS (25000), SEMINDEX_FIXTURES.
set -eu
here=$(cd "$(dirname "$0")/../.." && pwd)
B=$here/${BUILD:-build}
S=$B/semindex
C=${CPUS:-2}
fx=${SEMINDEX_FIXTURES:-$here/../shared/fixtures}
T=$(mktemp -d)
trap 'sh "$here/tests/slurm/stop.sh" "$T/slurm"; rm -rf "$T"' EXIT
sh "$here/tests/slurm/start.sh" "$T/slurm"
export SLURM_CONF="$T/slurm/slurm.conf"
PATH=$PATH:/usr/sbin
"$B/tools/make_random_model" --tokenizer "$fx/modernbert-ko-tiny/model" "$T/model" >/dev/null
mkdir -p "$T/c"
(cd "$T/c" && tar --zstd -xf "$here/demo/corpus/korsts-part1.tar.zst")   # 4 jsonl shards
num() { sed -n "s/.*\"$2\": \([0-9.]*\).*/\1/p" "$1" | head -1; }
wait_job() { while squeue -h -j "$1" 2>/dev/null | grep -q .; do sleep 0.2; done; }
printf '| layout | chunks | wall (submit to merged + indexed) | task busy (ingest s, each) | merge s | merge + run s (share) |\n'
printf '| --- | --- | --- | --- | --- | --- |\n'
for layout in "1 $C" "$C 1"; do
    set -- $layout
    tasks=$1; cpus=$2
    printf 'store = %s\nmodel = %s\n[ingest]\nshards = %s/c/\n[index]\ntype = auto\n' \
        "$T/s$tasks" "$T/model" "$T" > "$T/b$tasks.ini"
    t0=$(date +%s.%N)
    ids=$("$S" -q slurm --config "$T/b$tasks.ini" --tasks "$tasks" --cpus-per-task "$cpus" --submit)
    wait_job "${ids#* }"
    t1=$(date +%s.%N)
    d=$T/s$tasks.slurm
    busy=""
    for i in $(seq 0 $((tasks - 1))); do busy="$busy $(sed -n 's/.*"ingest": {.*"seconds": \([0-9.]*\), "prep.*/\1/p' "$d/logs/ingest-$i.json")"; done
    # when each task ran (overlap shows the tasks ran side by side)
    for i in $(seq 0 $((tasks - 1))); do sed -n 's/.*"started": "\([^"]*\)".*/  task '$i' started \1/p; s/.*"finished": "\([^"]*\)".*/  task '$i' finished \1/p' "$d/logs/ingest-$i.json" >&2; done
    m=$(num "$d/logs/merge.json" seconds)
    rs=$(sed -n 's/.*"total": \([0-9.]*\)}.*/\1/p' "$T/s$tasks/reports/last-run.json")
    ch=$(num "$d/logs/merge.json" chunks)
    awk -v l="$tasks task(s) x $cpus thread(s)" -v ch="$ch" -v a="$t0" -v b="$t1" -v busy="$busy" -v m="$m" -v rs="$rs" \
        'BEGIN { w = b - a; printf "| %s | %d | %.1f s | %s | %.2f | %.2f (%.1f%%) |\n", l, ch, w, busy, m, m + rs, 100 * (m + rs) / w }'
done
# merge throughput: a synthetic set in 2 parts
n=${SYN_DOCS:-25000}
mkdir -p "$T/syn"
for s in 0 1 2 3; do
    awk -v n="$n" -v s="$s" 'BEGIN { srand(7 + s); for (d = 0; d < n / 4; d++) {
        printf "{\"text\": \""; for (k = 0; k < 4; k++) printf "문장 %d 그리고 %d 다음 %d 입니다. ", s * n + d * 4 + k, int(rand() * 1e9), int(rand() * 1e9);
        printf "\"}\n" } }' > "$T/syn/s$s.jsonl"
done
for i in 0 1; do "$S" -q ingest --store "$T/sp$i" --model builtin:ngram --part $i/2 "$T/syn"; done
"$S" -q merge --store "$T/sm" --stats-json "$T/sm.json" "$T/sp0" "$T/sp1"
awk -v ch="$(num "$T/sm.json" chunks)" -v s="$(num "$T/sm.json" seconds)" \
    'BEGIN { printf "\nmerge of 2 parts, %d vectors (dim 768, f32): %.2f s, %.0f vectors/s\n", ch, s, ch / s }'
