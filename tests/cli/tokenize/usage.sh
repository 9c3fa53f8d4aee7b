#!/bin/sh
# semindex tokenize: help, usage errors (exit 2), bad input (exit 1 naming
# the line), empty and whitespace-only texts, lines and jsonl formats,
# truncation flag, invalid UTF-8 on input.
. "$(dirname "$0")/../lib.sh"
FX=${SEMINDEX_FIXTURES:?}
M=$FX/bert-tiny-ko/model
[ -d "$M" ] || { echo "no fixtures at $FX"; exit 77; }

"$S" tokenize --help | head -1 | grep -q '^usage: semindex tokenize' || fail "--help"
"$S" tokenize >/dev/null 2>"$T/err"; [ $? -eq 2 ] || fail "no --model: expected exit 2"
grep -q "^semindex tokenize: --model is required" "$T/err" || fail "no --model: message"
"$S" tokenize -m "$M" --input-format xml </dev/null >/dev/null 2>&1; [ $? -eq 2 ] || fail "bad format: exit 2"
"$S" tokenize -m "$M" --threads x </dev/null >/dev/null 2>&1; [ $? -eq 2 ] || fail "bad threads: exit 2"
"$S" tokenize -m "$T/none" </dev/null >/dev/null 2>"$T/err"; [ $? -eq 1 ] || fail "missing model: exit 1"
grep -q "tokenizer.json" "$T/err" || fail "missing model: message should name tokenizer.json: $(cat "$T/err")"

printf '{"text":"a"}\n{"txt":"b"}\n' | "$S" tokenize -m "$M" -f jsonl >/dev/null 2>"$T/err"
[ $? -eq 1 ] || fail "bad jsonl: exit 1"
grep -q "line 2" "$T/err" || fail "bad jsonl: message should name line 2: $(cat "$T/err")"
printf '{"text":"a"}\nnot json\n' | "$S" tokenize -m "$M" -f jsonl >/dev/null 2>"$T/err"
grep -q "line 2" "$T/err" || fail "invalid json: message should name line 2"

# empty and whitespace-only texts: [CLS] [SEP]
printf '{"text":""}\n{"text":"  \\t\\n "}\n{"text":"\\u3000"}\n' | "$S" tokenize -m "$M" -f jsonl > "$T/out" || fail "empty texts failed"
[ "$(grep -c '"ids":\[2,3\]' "$T/out")" -eq 3 ] || fail "empty texts: $(cat "$T/out")"
# lines format, one output per input line, in order
printf 'hello\n\nworld\n' | "$S" tokenize -m "$M" -f lines > "$T/out" || fail "lines failed"
[ "$(wc -l < "$T/out")" -eq 3 ] || fail "lines: 3 outputs expected"
sed -n 2p "$T/out" | grep -q '"ids":\[2,3\]' || fail "lines: empty line"
# truncation to max_seq_length (64) and --no-truncate
long=$(printf 'word %.0s' $(seq 1 200))
printf '{"text":"%s"}\n' "$long" | "$S" tokenize -m "$M" -f jsonl > "$T/out"
grep -q '"truncated":true' "$T/out" || fail "truncation flag"
[ "$(tr ',' '\n' < "$T/out" | grep -c '^[0-9]*$')" -ge 60 ] || fail "truncated ids"
printf '{"text":"%s"}\n' "$long" | "$S" tokenize -m "$M" -f jsonl --no-truncate | grep -q '"truncated":false' || fail "--no-truncate"
# invalid UTF-8 (lines format): replaced, counted, never fatal
printf 'ab\377cd\n' | "$S" tokenize -m "$M" -f lines > "$T/out" 2>"$T/err" || fail "invalid utf-8 failed"
grep -q "replaced" "$T/err" || fail "invalid utf-8: no warning"
# lines by default, as the other commands (issue 14.7)
printf '{"text":"a"}\n' | "$S" tokenize -m "$M" > "$T/def" || fail "default format failed"
printf '{"text":"a"}\n' | "$S" tokenize -m "$M" -f lines > "$T/lines" || fail "lines failed"
cmp -s "$T/def" "$T/lines" || fail "the default is not lines"
echo ok
