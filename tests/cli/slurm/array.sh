#!/bin/sh
# A real one-node Slurm (tests/slurm/start.sh): `semindex slurm --submit` runs
# the demo corpus, a 9-shard corpus and 2000 generated documents in 4 shards
# as a 4-task array job with a fixture
# model and a merge + run job after it; the merged store equals a
# single-machine `run` of the same config (export: ids, texts, provenance
# identical, vectors within 1e-6; same index factory; identical `mine
# --exact` pairs). Then one array task cancelled (scancel) and resubmitted
# alone with sbatch, merged: the same result.
. "$(dirname "$0")/../lib.sh"
. "$here/tests/cli/merge/lib.sh"
cleanup() { sh "$here/tests/slurm/stop.sh" "$T/slurm"; rm -rf "$T"; }
trap cleanup EXIT
sh "$here/tests/slurm/start.sh" "$T/slurm" > "$T/start.log" 2>&1
rc=$?
[ $rc -eq 77 ] && { tail -1 "$T/start.log"; exit 77; }
[ $rc -eq 0 ] || { echo "slurm did not start"; cat "$T/start.log"; exit 1; }
export SLURM_CONF="$T/slurm/slurm.conf"
PATH=$PATH:/usr/sbin
set -e
make_corpus "$T/c"
mkdir -p "$T/c/demo" "$T/c/gen" && cp "$here"/demo/corpus/*.tar.zst "$T/c/demo/"
# and 2000 generated documents in 4 jsonl shards (every 9th text repeats one
# of another shard: dedup across parts)
for s in 0 1 2 3; do
    awk -v s=$s 'BEGIN { split("하늘 바다 고양이가 강아지는 학교에 사람들이 빠르게 천천히 노래를 책을 먹었다 달린다", w, " ");
        for (d = 0; d < 500; d++) { k = s * 500 + d; if (k % 9 == 8) k = (k + 1000) % 2000;
            printf "{\"id\": \"g%d-%d\", \"text\": \"%s %s %s %d. %s %s.\"}\n", s, d, w[k % 12 + 1], w[int(k / 12) % 12 + 1],
                w[int(k / 144) % 12 + 1], k, w[(k * 7) % 12 + 1], w[(k * 5) % 12 + 1] } }' > "$T/c/gen/g$s.jsonl"
done
model=${SEMINDEX_FIXTURES:-$here/../shared/fixtures}/modernbert-ko-tiny/model
[ -d "$model" ] || { echo "note: no fixture model at $model: builtin:ngram"; model=builtin:ngram; }
conf() { # store
    printf 'store = %s\nmodel = %s\n[ingest]\nshards = %s/c/\n[index]\ntype = auto\n' "$1" "$model" "$T"
}
conf "$T/single" > "$T/single.ini"
conf "$T/merged" > "$T/merged.ini"
conf "$T/again" > "$T/again.ini"

# wait_job ID: until Slurm no longer lists it; its final state on stdout
wait_job() {
    i=0
    while squeue -h -j "$1" 2>/dev/null | grep -q . && [ $i -lt 600 ]; do sleep 0.5; i=$((i + 1)); done
    scontrol show job "$1" 2>/dev/null | sed -n 's/.*JobState=\([A-Z_]*\).*/\1/p' | head -1
}
# same_export A B: ids, texts, provenance identical; vectors within 1e-6
same_export() {
    "$S" export --store "$1" > "$T/a.jsonl"
    "$S" export --store "$2" > "$T/b.jsonl"
    [ "$(wc -l < "$T/a.jsonl")" -eq "$(wc -l < "$T/b.jsonl")" ] || { echo "$1 / $2: chunk counts differ"; return 1; }
    sed 's/"vector": \[.*//' "$T/a.jsonl" > "$T/a.meta"
    sed 's/"vector": \[.*//' "$T/b.jsonl" > "$T/b.meta"
    cmp -s "$T/a.meta" "$T/b.meta" || { echo "$1 / $2: ids, texts or provenance differ"; diff "$T/a.meta" "$T/b.meta" | head -5; return 1; }
    sed 's/.*"vector": \[//; s/\]}$//; s/,//g' "$T/a.jsonl" > "$T/a.vec"
    sed 's/.*"vector": \[//; s/\]}$//; s/,//g' "$T/b.jsonl" > "$T/b.vec"
    paste -d'|' "$T/a.vec" "$T/b.vec" | awk -F'|' '{
        n = split($1, x, " "); m = split($2, y, " ");
        if (n != m) { print "line " NR ": dims differ"; bad = 1; exit }
        for (k = 1; k <= n; k++) { d = x[k] - y[k]; if (d < 0) d = -d; if (d > max) max = d }
    } END { if (bad || max > 1e-6) { print "max |difference| " max; exit 1 } }'
}

# the reference: one machine
"$S" -q run --config "$T/single.ini" > /dev/null

# the array job through Slurm
ids=$("$S" -q slurm --config "$T/merged.ini" --tasks 4 --submit)
merge_job=${ids#* }
st=$(wait_job "$merge_job")
[ "$st" = COMPLETED ] || { echo "merge job $merge_job: $st"; tail -20 "$T"/merged.slurm/logs/*.log; exit 1; }
for i in 0 1 2 3; do [ -s "$T/merged.slurm/logs/ingest-$i.log" ] || { echo "no log of task $i"; exit 1; }; done
same_export "$T/single" "$T/merged"
man() { grep -E '"(factory|ntotal|ids_hash|recall_at_10)"' "$1/index.faiss.manifest.json"; }
f1=$(man "$T/single"); f2=$(man "$T/merged")
[ "$f1" = "$f2" ] || { echo "index manifests differ: $f1 / $f2"; exit 1; }
"$S" -q mine --store "$T/single" --exact --top-k 5 --threshold 0.5 > "$T/single.tsv"
"$S" -q mine --store "$T/merged" --exact --top-k 5 --threshold 0.5 > "$T/merged.tsv"
# the same pairs (ids, texts); scores equal to float noise: the transformer's
# output depends on which texts share its batch, in the last bits
cut -f2- "$T/single.tsv" | sort > "$T/single.pairs"
cut -f2- "$T/merged.tsv" | sort > "$T/merged.pairs"
cmp -s "$T/single.pairs" "$T/merged.pairs" || { echo "mine --exact pairs differ"; diff "$T/single.pairs" "$T/merged.pairs" | head; exit 1; }
paste "$T/single.tsv" "$T/merged.tsv" | awk -F'\t' -v n=$(head -1 "$T/single.tsv" | awk -F'\t' '{print NF}') \
    '{ d = $1 - $(n + 1); if (d < 0) d = -d; if (d > 1e-5) { print "pair score differs: " $0; exit 1 } }' 

# task 2 cancelled, resubmitted alone, then merged
"$S" -q slurm --config "$T/again.ini" --tasks 4
j=$(sbatch --parsable --hold "$T/again.slurm/ingest.sbatch")
scancel "${j}_2"
scontrol release "$j"
for i in 0 1 3; do wait_job "${j}_$i" > /dev/null; done
[ ! -e "$T/again.slurm/parts/part-2" ] || { echo "the cancelled task ran"; exit 1; }
if sbatch --parsable --wait "$T/again.slurm/merge.sbatch" > /dev/null 2>&1; then echo "merge without part 2 succeeded"; exit 1; fi
grep -q "part '$T/again.slurm/parts/part-2'" "$T"/again.slurm/logs/merge-*.log || { echo "merge error does not name part 2"; cat "$T"/again.slurm/logs/merge-*.log; exit 1; }
sbatch --parsable --wait --array=2 "$T/again.slurm/ingest.sbatch" > /dev/null
sbatch --parsable --wait "$T/again.slurm/merge.sbatch" > /dev/null
same_export "$T/single" "$T/again"
echo ok
