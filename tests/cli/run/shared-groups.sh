#!/bin/sh
# run's [ingest], [index] and [mine] settings are the options of ingest,
# build and mine, declared once (pipeline/stage_opts.c, issue 13): the same
# help line and the same value checks in both, and run has what the command
# has (--ingest-allow-streams reads a FIFO as ingest --allow-streams does).
# Every command runs under `timeout 20` so a FIFO left unread fails instead
# of hanging.
. "$(dirname "$0")/../lib.sh"
fail() { echo "run/shared-groups: $*"; exit 1; }
# usage: the error line of CMD ARGS... is exactly MSG, exit 2
usage() {
    want=$1; shift
    timeout 20 "$S" "$@" >/dev/null 2>"$T/err" </dev/null
    rc=$?
    [ $rc -eq 2 ] || fail "'$*': exit $rc, expected 2: $(cat "$T/err")"
    [ "$(cat "$T/err")" = "semindex $1: $want (see 'semindex $1 --help')" ] || fail "'$*': got '$(cat "$T/err")'"
}
# one help line per shared setting, the same text under run's prefix
help_line() { # cmd flag
    "$S" "$1" --help | grep -E -- "^  (-., |    )--$2 " | sed 's/^ *\(-., \)\{0,1\}--[^ ]* [^ ]* *//'
}
for pair in "ingest segment ingest-segment" "ingest max-record ingest-max-record" "build recall index-recall" \
            "mine top-k mine-top-k"; do
    set -- $pair
    a=$(help_line "$1" "$2"); b=$(help_line run "$3")
    [ -n "$a" ] && [ "$a" = "$b" ] || fail "$1 --$2 says '$a', run --$3 says '$b'"
done
usage "--segment: 'bogus' is not doc, line, sentence, paragraph or window" ingest -s "$T/x" -m builtin:ngram --segment bogus "$T"
usage "--ingest-segment: 'bogus' is not doc, line, sentence, paragraph or window" run -s "$T/x" --segment bogus "$T"
usage "--overlap 8 must be smaller than --window 8" ingest -s "$T/x" -m builtin:ngram --segment window --window 8 --overlap 8 "$T"
usage "--ingest-overlap 8 must be smaller than --ingest-window 8" run -s "$T/x" --ingest-segment window --window 8 \
    --overlap 8 "$T"
usage "--memory-budget: '0' is too small (at least 1)" build -s "$T/x" --memory-budget 0
usage "--index-memory-budget: '0' is too small (at least 1)" run -s "$T/x" --memory-budget 0 "$T"
usage "bad --mine-lang 'k o' (a language tag such as ko or en)" run -s "$T/x" --mine-lang 'k o' "$T"
[ ! -e "$T/x" ] || fail "a usage error created the store"
# run gained ingest's --allow-streams: a FIFO is read, as by ingest
mkfifo "$T/p.jsonl" || { echo "mkfifo unavailable"; exit 77; }
timeout 20 "$S" -q run --store "$T/st" --model builtin:ngram --no-index-enabled "$T/p.jsonl" 2>"$T/err"
rc=$?
[ $rc -eq 3 ] || fail "a FIFO without allow-streams: exit $rc, expected 3: $(cat "$T/err")"
printf 'store = st\nmodel = builtin:ngram\n[ingest]\nshards = p.jsonl\nallow-streams = yes\n[index]\nenabled = no\n' \
    > "$T/run.ini"
( printf '{"text": "스트림에서 온 문서."}\n{"text": "두 번째."}\n' > "$T/p.jsonl" ) &
timeout 20 "$S" -q run --config "$T/run.ini" 2>"$T/err"
rc=$?
wait
[ $rc -eq 0 ] || fail "[ingest] allow-streams = yes: exit $rc, expected 0: $(cat "$T/err")"
timeout 20 "$S" stats --store "$T/st" --json | grep -q '"chunks": 2,' || fail "the FIFO's records were not stored"
echo "run shared groups ok"
