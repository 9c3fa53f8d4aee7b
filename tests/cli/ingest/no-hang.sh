#!/bin/sh
# inputs that used to hang: a FIFO and /dev/zero given as shards are rejected
# (named, exit 3) without blocking and the later shards are still read;
# --allow-streams reads a FIFO; a directory with symlink loops is walked once
# per file (links not followed by default; --follow-symlinks reports the loop).
# Every command runs under `timeout 20` so a regression fails instead of hanging.
. "$(dirname "$0")/../lib.sh"
fail() { echo "$*"; cat "$T/err" 2>/dev/null; exit 1; }
printf '{"text": "좋은 문서입니다."}\n' > "$T/good.jsonl"
mkfifo "$T/p.jsonl" || { echo "mkfifo unavailable"; exit 77; }
timeout 20 "$S" ingest --store "$T/st" --model builtin:ngram "$T/p.jsonl" /dev/zero "$T/good.jsonl" 2>"$T/err"
rc=$?
[ $rc -eq 124 ] && fail "ingest of a FIFO hangs"
[ $rc -eq 3 ] || fail "FIFO + /dev/zero: expected exit 3, got $rc"
grep -q "p.jsonl' is a FIFO, not a regular file" "$T/err" || fail "no message names the FIFO"
grep -q "/dev/zero' is a character device, not a regular file" "$T/err" || fail "no message names /dev/zero"
timeout 20 "$S" stats --store "$T/st" --json | grep -q '"chunks": 1,' || fail "the later shard was not read"
# --allow-streams: the FIFO is read (a writer feeds it)
( printf '{"text": "스트림에서 온 문서."}\n{"text": "두 번째."}\n' > "$T/p.jsonl" ) &
timeout 20 "$S" ingest --store "$T/st" --model builtin:ngram --allow-streams "$T/p.jsonl" 2>"$T/err"
rc=$?
wait
[ $rc -eq 0 ] || fail "--allow-streams: expected exit 0, got $rc"
timeout 20 "$S" stats --store "$T/st" --json | grep -q '"chunks": 3,' || fail "--allow-streams: FIFO records not stored"
# symlink loops in a directory shard and in a `run` directory pattern
mkdir -p "$T/d/sub" "$T/d2"
printf '첫 문서.\n' > "$T/d/a.txt"
printf '둘째 문서.\n' > "$T/d/sub/b.txt"
ln -s . "$T/d/self"; ln -s .. "$T/d/sub/up"; ln -s ../d "$T/d2/other"
timeout 20 "$S" ingest --store "$T/st2" --model builtin:ngram --segment doc "$T/d" 2>"$T/err"
rc=$?
[ $rc -eq 124 ] && fail "directory with symlink loops hangs"
[ $rc -eq 0 ] || fail "loops: expected exit 0, got $rc"
timeout 20 "$S" stats --store "$T/st2" --json | grep -q '"chunks": 2,' || fail "loops: each file once expected"
timeout 20 "$S" ingest --store "$T/st3" --model builtin:ngram --segment doc --follow-symlinks "$T/d" 2>"$T/err"
rc=$?
[ $rc -eq 0 ] || fail "--follow-symlinks: expected exit 0, got $rc"
grep -q "symbolic link loop" "$T/err" || fail "--follow-symlinks: the loop is not reported"
timeout 20 "$S" stats --store "$T/st3" --json | grep -q '"chunks": 2,' || fail "--follow-symlinks: each file once expected"
cat > "$T/run.ini" <<EOF2
[ingest]
shards = $T/d
shards = $T/d2
segment = doc
[index]
enabled = no
EOF2
timeout 20 "$S" run --config "$T/run.ini" --store "$T/st4" 2>"$T/err"
rc=$?
[ $rc -eq 124 ] && fail "run over symlink loops hangs"
# d2 holds only a link, not followed: that pattern matches no shard, a
# rejected input (exit 3), named on stderr
[ $rc -eq 3 ] || fail "run: expected exit 3 (d2 matches no shard), got $rc"
grep -q "d2' matched no shard" "$T/err" || fail "run: the empty pattern is not named"
timeout 20 "$S" stats --store "$T/st4" --json | grep -q '"chunks": 2,' || fail "run: each file once expected"
timeout 20 "$S" run --config "$T/run.ini" --store "$T/st5" --ingest-follow-symlinks 2>"$T/err"
rc=$?
[ $rc -eq 0 ] || fail "run --ingest-follow-symlinks: expected exit 0, got $rc"
timeout 20 "$S" stats --store "$T/st5" --json | grep -q '"chunks": 2,' || fail "run --follow: each file once expected"
exit 0
