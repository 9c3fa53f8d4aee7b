#!/bin/sh
# semindex tokenize: help, usage errors (exit 2), bad input (exit 1 naming
# the line), empty and whitespace-only texts, lines and jsonl formats,
# truncation flag, invalid UTF-8 on input.
S=${SEMINDEX_BIN:?}
FX=${SEMINDEX_FIXTURES:?}
M=$FX/bert-tiny-ko/model
[ -d "$M" ] || { echo "no fixtures at $FX"; exit 77; }
T=$(mktemp -d) || exit 1
trap 'rm -rf "$T"' EXIT
die() { echo "$*"; exit 1; }

"$S" tokenize --help | head -1 | grep -q '^usage: semindex tokenize' || die "--help"
"$S" tokenize >/dev/null 2>"$T/err"; [ $? -eq 2 ] || die "no --model: expected exit 2"
grep -q "^semindex tokenize: --model is required" "$T/err" || die "no --model: message"
"$S" tokenize -m "$M" --input-format xml </dev/null >/dev/null 2>&1; [ $? -eq 2 ] || die "bad format: exit 2"
"$S" tokenize -m "$M" --threads x </dev/null >/dev/null 2>&1; [ $? -eq 2 ] || die "bad threads: exit 2"
"$S" tokenize -m "$T/none" </dev/null >/dev/null 2>"$T/err"; [ $? -eq 1 ] || die "missing model: exit 1"
grep -q "tokenizer.json" "$T/err" || die "missing model: message should name tokenizer.json: $(cat "$T/err")"

printf '{"text":"a"}\n{"txt":"b"}\n' | "$S" tokenize -m "$M" -f jsonl >/dev/null 2>"$T/err"
[ $? -eq 1 ] || die "bad jsonl: exit 1"
grep -q "line 2" "$T/err" || die "bad jsonl: message should name line 2: $(cat "$T/err")"
printf '{"text":"a"}\nnot json\n' | "$S" tokenize -m "$M" -f jsonl >/dev/null 2>"$T/err"
grep -q "line 2" "$T/err" || die "invalid json: message should name line 2"

# empty and whitespace-only texts: [CLS] [SEP]
printf '{"text":""}\n{"text":"  \\t\\n "}\n{"text":"\\u3000"}\n' | "$S" tokenize -m "$M" -f jsonl > "$T/out" || die "empty texts failed"
[ "$(grep -c '"ids":\[2,3\]' "$T/out")" -eq 3 ] || die "empty texts: $(cat "$T/out")"
# lines format, one output per input line, in order
printf 'hello\n\nworld\n' | "$S" tokenize -m "$M" -f lines > "$T/out" || die "lines failed"
[ "$(wc -l < "$T/out")" -eq 3 ] || die "lines: 3 outputs expected"
sed -n 2p "$T/out" | grep -q '"ids":\[2,3\]' || die "lines: empty line"
# truncation to max_seq_length (64) and --no-truncate
long=$(printf 'word %.0s' $(seq 1 200))
printf '{"text":"%s"}\n' "$long" | "$S" tokenize -m "$M" -f jsonl > "$T/out"
grep -q '"truncated":true' "$T/out" || die "truncation flag"
[ "$(tr ',' '\n' < "$T/out" | grep -c '^[0-9]*$')" -ge 60 ] || die "truncated ids"
printf '{"text":"%s"}\n' "$long" | "$S" tokenize -m "$M" -f jsonl --no-truncate | grep -q '"truncated":false' || die "--no-truncate"
# invalid UTF-8 (lines format): replaced, counted, never fatal
printf 'ab\377cd\n' | "$S" tokenize -m "$M" -f lines > "$T/out" 2>"$T/err" || die "invalid utf-8 failed"
grep -q "replaced" "$T/err" || die "invalid utf-8: no warning"
# lines by default, as the other commands (issue 14.7)
printf '{"text":"a"}\n' | "$S" tokenize -m "$M" > "$T/def" || die "default format failed"
printf '{"text":"a"}\n' | "$S" tokenize -m "$M" -f lines > "$T/lines" || die "lines failed"
cmp -s "$T/def" "$T/lines" || die "the default is not lines"
echo ok
