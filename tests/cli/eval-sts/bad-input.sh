#!/bin/sh
# eval-sts refuses bad usage (exit 2) and bad pair files (exit 1, message
# naming the file and line), and never crashes on them.
. "$(dirname "$0")/../lib.sh"
expect() { # expect <exit> <stderr pattern> <args...>
    want=$1; pat=$2; shift 2
    "$S" -q eval-sts "$@" >"$T/out" 2>"$T/err"; rc=$?
    [ $rc -eq "$want" ] || { echo "eval-sts $*: exit $rc, expected $want"; cat "$T/err"; exit 1; }
    grep -q -- "$pat" "$T/err" || { echo "eval-sts $*: stderr lacks '$pat':"; cat "$T/err"; exit 1; }
}
printf 'score\tsentence1\tsentence2\n1\ta\tb\n2\tc\td\n' > "$T/ok.tsv"
expect 2 "model is required" --pairs "$T/ok.tsv"
expect 2 "pairs is required" --model builtin:ngram
expect 2 "score-scale" --model builtin:ngram --pairs "$T/ok.tsv" --score-scale 0
expect 1 "no-such.tsv" --model builtin:ngram --pairs "$T/no-such.tsv"
printf 'a\tb\tc\n1\tx\ty\n' > "$T/nohdr.tsv"
expect 1 "header must name" --model builtin:ngram --pairs "$T/nohdr.tsv"
printf 'score\tsentence1\tsentence2\n1\tx\ty\nfive\tx\ty\n' > "$T/badscore.tsv"
expect 1 "line 3: bad score 'five'" --model builtin:ngram --pairs "$T/badscore.tsv"
printf 'score\tsentence1\tsentence2\n1\tx\ty\n2\tonly-two\n' > "$T/short.tsv"
expect 1 "line 3: 2 fields" --model builtin:ngram --pairs "$T/short.tsv"
printf 'score\tsentence1\tsentence2\n1\tx\ty\n' > "$T/one.tsv"
expect 1 "at least 2 pairs" --model builtin:ngram --pairs "$T/one.tsv"
: > "$T/empty.tsv"
expect 1 "empty" --model builtin:ngram --pairs "$T/empty.tsv"
expect 1 "" --model /no/such/model --pairs "$T/ok.tsv"
# invalid UTF-8 and CRLF line ends are accepted
printf 'score\tsentence1\tsentence2\r\n1\t\377x\ty\r\n3\tsame\tsame\r\n2\tab\tabc\r\n' > "$T/crlf.tsv"
"$S" -q eval-sts --model builtin:ngram --pairs "$T/crlf.tsv" > "$T/out" || { echo "crlf file failed"; exit 1; }
# 3 pairs, gold 1 < 2 < 3 and cosine x/y < ab/abc < same/same: rho = 1
grep -q '^spearman_cosine 1$' "$T/out" || { echo "expected spearman_cosine 1:"; cat "$T/out"; exit 1; }
exit 0
