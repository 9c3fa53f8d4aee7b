#!/bin/sh
# one writer per store: while another process holds the store's flock
# (DIR/ingest.lock), ingest, build and run are refused with a message naming
# the lock and print no ingest summary; a lock file holding a pid of a live
# process ("echo 1 > ingest.lock") blocks nothing; a holder killed with
# SIGKILL releases the lock; the lock file is never removed.
. "$(dirname "$0")/../lib.sh"
command -v flock >/dev/null || { echo "flock(1) not installed"; exit 77; }
H=
trap '[ -n "$H" ] && kill -9 $H 2>/dev/null; rm -rf "$T"' EXIT
printf '{"text": "첫 문서입니다. 두 문장."}\n{"text": "둘째 문서."}\n' > "$T/a.jsonl"
printf '{"text": "셋째 문서입니다."}\n' > "$T/b.jsonl"
"$S" -q ingest --store "$T/st" --model builtin:ngram "$T/a.jsonl" || { echo "first ingest failed"; exit 1; }
[ -f "$T/st/ingest.lock" ] || { echo "lock file removed after ingest"; exit 1; }
# a stale pid (pid 1 is alive) in the file: not a lock
echo 1 > "$T/st/ingest.lock"
"$S" -q build --store "$T/st" >/dev/null 2>"$T/err" || { echo "a pid in the lock file blocked build"; cat "$T/err"; exit 1; }
# another process holds the flock (-o: the sleep does not inherit it)
flock -o "$T/st/ingest.lock" sleep 120 &
H=$!
i=0
while flock -n "$T/st/ingest.lock" true; do
    i=$((i + 1)); [ $i -lt 300 ] || { echo "flock(1) never took the lock"; exit 1; }; sleep 0.1
done
"$S" ingest --store "$T/st" --model builtin:ngram "$T/b.jsonl" >"$T/out" 2>"$T/err"
rc=$?
[ $rc -eq 1 ] || { echo "ingest under a held lock: expected exit 1, got $rc"; cat "$T/err"; exit 1; }
grep -q "store '$T/st' is locked by" "$T/err" || { echo "no 'store is locked' message"; cat "$T/err"; exit 1; }
grep -q "ingest: .* shards" "$T/err" "$T/out" && { echo "a refused ingest printed a summary"; cat "$T/err"; exit 1; }
"$S" build --store "$T/st" --rebuild >/dev/null 2>"$T/err"
[ $? -eq 1 ] || { echo "build under a held lock: expected exit 1"; cat "$T/err"; exit 1; }
grep -q "is locked by" "$T/err" || { echo "build: no lock message"; cat "$T/err"; exit 1; }
"$S" run --store "$T/st" --model builtin:ngram "$T/b.jsonl" >/dev/null 2>"$T/err"
[ $? -ne 0 ] || { echo "run under a held lock succeeded"; exit 1; }
grep -q "is locked by" "$T/err" || { echo "run: no lock message"; cat "$T/err"; exit 1; }
# readers are not writers
"$S" stats --store "$T/st" >/dev/null || { echo "stats refused under the lock"; exit 1; }
# the holder dies: the kernel releases the lock
kill -9 $H; wait $H 2>/dev/null; H=
"$S" -q ingest --store "$T/st" --model builtin:ngram "$T/b.jsonl" 2>"$T/err" || { echo "ingest after the holder died failed"; cat "$T/err"; exit 1; }
"$S" stats --store "$T/st" --json | grep -q '"chunks": 4,' || { echo "second shard not stored"; "$S" stats --store "$T/st"; exit 1; }
[ -f "$T/st/ingest.lock" ] || { echo "lock file removed"; exit 1; }
exit 0
