#!/bin/sh
# semindex slurm without Slurm: the scripts it writes (array of N tasks with
# --requeue and per-task logs, an afterok merge job) run by hand as Slurm would
# (SLURM_ARRAY_TASK_ID=I sh ingest.sbatch; sh merge.sbatch) give the store of
# one `run`; a config without a store is refused.
. "$(dirname "$0")/../lib.sh"
. "$here/tests/cli/merge/lib.sh"
set -e
make_corpus "$T/c"
printf 'store = %s\nmodel = builtin:ngram\n[ingest]\nshards = %s/c/\n[index]\ntype = auto\n' "$T/one" "$T" > "$T/one.ini"
printf 'store = %s\nmodel = builtin:ngram\n[ingest]\nshards = %s/c/\n[index]\ntype = auto\n' "$T/st" "$T" > "$T/st.ini"
"$S" -q slurm --config "$T/st.ini" --tasks 3 --cpus-per-task 2 --sbatch-args "--time=1:00:00"
d=$T/st.slurm
for w in '#SBATCH --array=0-2' '#SBATCH --requeue' '#SBATCH --cpus-per-task=2' '#SBATCH --time=1:00:00' \
         "#SBATCH --output=$d/logs/ingest-%a.log" '--part "$i/3"' '--threads 2'; do
    grep -qF -- "$w" "$d/ingest.sbatch" || { echo "ingest.sbatch lacks $w"; cat "$d/ingest.sbatch"; exit 1; }
done
grep -qF -- '--dependency=afterok:$j merge.sbatch' "$d/submit.sh" || { echo "submit.sh: no afterok"; cat "$d/submit.sh"; exit 1; }
grep -qF -- "$d/parts/part-2" "$d/merge.sbatch" || { echo "merge.sbatch lacks part 2"; exit 1; }
for i in 2 0 1; do SLURM_ARRAY_TASK_ID=$i sh "$d/ingest.sbatch" > /dev/null 2>&1 || { echo "task $i failed"; exit 1; }; done
sh "$d/merge.sbatch" > /dev/null 2>&1 || { echo "merge.sbatch failed"; exit 1; }
[ -s "$T/st/index.faiss" ] && [ -s "$T/st/reports/last-run.json" ] || { echo "no index or run report"; exit 1; }
"$S" -q run --config "$T/one.ini" > /dev/null
"$S" export --store "$T/one" > "$T/one.jsonl"
"$S" export --store "$T/st" | cmp -s - "$T/one.jsonl" || { echo "scripts by hand: the store differs from one run"; exit 1; }
printf '[ingest]\nshards = %s/c/\n' "$T" > "$T/bad.ini"
if "$S" slurm --config "$T/bad.ini" 2>"$T/err"; then echo "a config without a store was accepted"; exit 1; fi
grep -q "no store" "$T/err" || { echo "error: $(cat "$T/err")"; exit 1; }
echo ok
