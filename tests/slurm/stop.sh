#!/bin/sh
# stop.sh DIR - stop the cluster start.sh DIR started (by its pid files) and
# remove DIR.
dir=${1:?usage: stop.sh DIR}
[ -d "$dir" ] || exit 0
for f in "$dir/slurmd.pid" "$dir/slurmctld.pid" "$dir/munge/munged.pid"; do
    [ -s "$f" ] || continue
    pid=$(cat "$f")
    kill "$pid" 2>/dev/null || continue
    i=0
    while kill -0 "$pid" 2>/dev/null && [ $i -lt 50 ]; do sleep 0.2; i=$((i + 1)); done
    kill -9 "$pid" 2>/dev/null
done
rm -rf "$dir"
