#!/bin/sh
# Issue 18: an output that is a FIFO (mkfifo, or a shell's >(...)) is written
# through to the reader, byte for byte what a regular file gets; the FIFO is
# still a FIFO afterwards.
. "$(dirname "$0")/lib.sh"
make_store "$T/st"
mkfifo "$T/p"
through() { # name, then the command writing to $T/p; compares with $T/want
    cat "$T/p" > "$T/got" &
    reader=$!
    shift
    "$@" || { kill $reader 2>/dev/null; fail "$1 $2 to a FIFO exited $?"; }
    if [ ! -p "$T/p" ]; then # renamed over: the reader would wait forever
        kill $reader 2>/dev/null
        fail "$2: the FIFO was replaced by a $(stat -c %F "$T/p")"
    fi
    wait $reader
    cmp -s "$T/want" "$T/got" || fail "$2: the reader got $(wc -c < "$T/got") bytes, want $(wc -c < "$T/want")"
}
"$S" -q embed --model builtin:ngram --input "$T/in.txt" --format npy --output "$T/want" || fail "embed to a file"
through embed "$S" -q embed --model builtin:ngram --input "$T/in.txt" --format npy --output "$T/p"
"$S" -q export --store "$T/st" --output "$T/want" || fail "export to a file"
through export "$S" -q export --store "$T/st" --output "$T/p"
"$S" -q mine --store "$T/st" --exact --threshold 0.2 --output "$T/want.jsonl" && mv "$T/want.jsonl" "$T/want" || fail "mine to a file"
[ -s "$T/want" ] || fail "mine found no pairs to compare"
# a FIFO has no extension: the report is tsv, as on stdout
"$S" -q mine --store "$T/st" --exact --threshold 0.2 > "$T/want" || fail "mine to stdout"
through mine "$S" -q mine --store "$T/st" --exact --threshold 0.2 --output "$T/p"
"$S" -q ingest --store "$T/st" --model builtin:ngram --segment doc --stats-json "$T/p" "$T/in.jsonl" > /dev/null &
ing=$!
cat "$T/p" > "$T/got"
wait $ing || fail "ingest --stats-json to a FIFO exited $?"
grep -q '"shards_seen": 1' "$T/got" || { cat "$T/got"; fail "ingest --stats-json: the reader got no JSON"; }
[ -p "$T/p" ] || fail "ingest: the FIFO was replaced"
echo "embed, export, mine and ingest wrote through a FIFO"
