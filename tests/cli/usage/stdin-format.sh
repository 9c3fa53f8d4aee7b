#!/bin/sh
# issue 14.7: '-' reads stdin wherever a file is read (eval-sts --pairs -),
# and mine --format tsv|jsonl|html overrides the output's extension.
. "$(dirname "$0")/../lib.sh"
P=${SEMINDEX_DATA:-../shared/data}/korsts/sts-dev.tsv
[ -f "$P" ] || { echo "KorSTS dev not found at $P"; exit 77; }
die() { echo "stdin-format: $*"; exit 1; }
head -n 60 "$P" > "$T/pairs.tsv"
"$S" -q eval-sts -m builtin:ngram --pairs "$T/pairs.tsv" --json > "$T/a" || die "eval-sts file"
"$S" -q eval-sts -m builtin:ngram --pairs - --json < "$T/pairs.tsv" > "$T/b" || die "eval-sts --pairs - failed"
cmp -s "$T/a" "$T/b" || die "eval-sts: stdin differs from the file"
# mine --format
tail -n +2 "$P" | head -n 40 | cut -f6 > "$T/in.txt"
"$S" -q ingest -s "$T/st" -m builtin:ngram "$T/in.txt" || die "ingest"
"$S" -q mine -s "$T/st" --threshold -1 --format jsonl -o "$T/pairs.out" || die "mine --format jsonl"
head -c 1 "$T/pairs.out" | grep -q '{' || die "--format jsonl: not jsonl: $(head -2 "$T/pairs.out")"
"$S" -q mine -s "$T/st" --threshold -1 --format jsonl > "$T/stdout.jsonl" || die "mine --format jsonl to stdout"
cmp -s "$T/pairs.out" "$T/stdout.jsonl" || die "--format jsonl: stdout differs from the file"
"$S" -q mine -s "$T/st" --threshold -1 --format html -o "$T/report.txt" || die "mine --format html"
grep -q '<html' "$T/report.txt" || die "--format html: not html"
"$S" -q mine -s "$T/st" --threshold -1 --format tsv -o "$T/p.jsonl" || die "mine --format tsv"
head -c 1 "$T/p.jsonl" | grep -q '{' && die "--format tsv wrote jsonl"
"$S" mine -s "$T/st" --format xml 2>"$T/err"; [ $? -eq 2 ] || die "--format xml: expected exit 2"
grep -q "^semindex mine: --format: 'xml' is not tsv, jsonl or html" "$T/err" || die "--format xml: $(cat "$T/err")"
echo "stdin-format ok"
