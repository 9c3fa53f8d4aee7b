#!/bin/sh
# start.sh DIR - a one-node Slurm cluster on 127.0.0.1 for the tests, all of
# its state under DIR (created): munged on its own socket, slurmctld and
# slurmd as root, generated DIR/slurm.conf (the node has this machine's real
# CPU count and memory; proctrack/linuxproc, task/none, select/cons_tres, no
# accounting, non-default ports). Waits until sinfo shows the node idle.
# Use it with SLURM_CONF=DIR/slurm.conf; stop it with stop.sh DIR.
# Exit 0 ready, 77 the Slurm or munge packages are absent (message on stdout),
# 1 failed (the daemons' logs are printed).
set -u
dir=${1:?usage: start.sh DIR}
for b in munged slurmctld slurmd sinfo sbatch; do
    command -v "$b" >/dev/null 2>&1 || [ -x "/usr/sbin/$b" ] || {
        echo "slurm: '$b' not found (install slurm-wlm and munge: bash .ci/deps.sh --test)"; exit 77; }
done
[ "$(id -u)" -eq 0 ] || { echo "slurm: the test cluster runs its daemons as root"; exit 77; }
PATH=$PATH:/usr/sbin
mkdir -p "$dir/state" "$dir/spool" "$dir/log" "$dir/munge" || exit 1
dir=$(cd "$dir" && pwd)
chmod 700 "$dir/munge"
# munge: a key of our own (munged wants it 0600, owned by the daemon's user)
[ -f "$dir/munge/munge.key" ] || { dd if=/dev/urandom of="$dir/munge/munge.key" bs=1024 count=1 2>/dev/null; }
chmod 600 "$dir/munge/munge.key"
munged --force --socket="$dir/munge/munge.socket" --key-file="$dir/munge/munge.key" \
    --pid-file="$dir/munge/munged.pid" --log-file="$dir/log/munged.log" --seed-file="$dir/munge/seed" || {
    echo "slurm: munged failed"; cat "$dir/log/munged.log" 2>/dev/null; exit 1; }
cpus=$(nproc)
mem=$(awk '/^MemTotal:/ { printf "%d", $2 / 1024 * 0.9 }' /proc/meminfo)
host=$(hostname -s)
# ports: a base derived from DIR so two clusters on one machine do not collide
base=$(( 20000 + $(printf '%s' "$dir" | cksum | cut -d' ' -f1) % 20000 ))
cat > "$dir/slurm.conf" <<CONF
ClusterName=semindex-test
SlurmctldHost=$host(127.0.0.1)
SlurmctldPort=$base
SlurmdPort=$((base + 1))
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=$dir/munge/munge.socket
StateSaveLocation=$dir/state
SlurmdSpoolDir=$dir/spool/%n
SlurmctldPidFile=$dir/slurmctld.pid
SlurmdPidFile=$dir/slurmd.pid
SlurmctldLogFile=$dir/log/slurmctld.log
SlurmdLogFile=$dir/log/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
SchedulerType=sched/backfill
AccountingStorageType=accounting_storage/none
JobAcctGatherType=jobacct_gather/none
JobCompType=jobcomp/none
MpiDefault=none
ReturnToService=2
SlurmctldTimeout=30
SlurmdTimeout=30
InactiveLimit=0
MinJobAge=300
KillWait=5
Waittime=0
SchedulerParameters=batch_sched_delay=0,sched_min_interval=0
NodeName=$host NodeAddr=127.0.0.1 CPUs=$cpus RealMemory=$mem State=UNKNOWN
PartitionName=test Nodes=$host Default=YES MaxTime=INFINITE State=UP OverSubscribe=NO
CONF
export SLURM_CONF="$dir/slurm.conf"
slurmctld -i -f "$SLURM_CONF" || { echo "slurm: slurmctld failed"; cat "$dir/log/slurmctld.log"; exit 1; }
slurmd -f "$SLURM_CONF" -N "$host" || { echo "slurm: slurmd failed"; cat "$dir/log/slurmd.log"; exit 1; }
i=0
while [ $i -lt 60 ]; do
    st=$(sinfo -h -N -o '%t' 2>/dev/null | head -1)
    [ "$st" = idle ] && exit 0
    sleep 1; i=$((i + 1))
done
echo "slurm: the node is not idle after 60 s (state '$st')"
tail -20 "$dir/log/slurmctld.log" "$dir/log/slurmd.log"
exit 1
