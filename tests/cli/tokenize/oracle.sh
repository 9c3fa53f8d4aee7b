#!/bin/sh
# The tokenizer against the real HF tokenizers (Rust core, official Node
# binding in tests/oracle): every KorSTS and KorNLI sentence plus 3000
# generated adversarial strings, for every distinct fixture tokenizer, with
# sentence-transformers' truncation and without it: ids must be identical.
. "$(dirname "$0")/../lib.sh"
FX=${SEMINDEX_FIXTURES:?}
DATA=${SEMINDEX_DATA:-}
O=$(pwd)/tests/oracle
command -v node >/dev/null 2>&1 || { echo "node not installed"; exit 77; }
[ -d "$O/node_modules/tokenizers" ] || { echo "oracle not installed (cd tests/oracle && npm install)"; exit 77; }
[ -d "$FX" ] || { echo "no fixtures at $FX"; exit 77; }
[ -n "${ORACLE_KEEP:-}" ] && { echo "keeping $T"; trap - EXIT; }
files=""
for f in korsts/sts-train.tsv korsts/sts-dev.tsv korsts/sts-test.tsv kornli/xnli.dev.ko.tsv kornli/xnli.test.ko.tsv; do
    [ -n "$DATA" ] && [ -f "$DATA/$f" ] && files="$files $DATA/$f"
done
[ -n "$files" ] || echo "note: no KorSTS/KorNLI data under '$DATA': generated texts only"
seed=${ORACLE_SEED:-20240315}
node "$O/gen.js" 0 1 $files > "$T/corpus.jsonl" || exit 1
node "$O/gen.js" 3000 "$seed" $(echo $files | cut -d' ' -f2) > "$T/all.jsonl" || exit 1
tail -n 3000 "$T/all.jsonl" > "$T/adv.jsonl"
cat "$T/corpus.jsonl" "$T/adv.jsonl" > "$T/texts.jsonl"
fail=0
compare() { # name texts max_len semindex-flags [tokenizer.json]
    tj=${5:-$FX/$1/model/tokenizer.json}
    node "$O/tokenize.js" "$tj" "$2" "$3" > "$T/want" || { echo "$1: oracle failed"; fail=1; return; }
    "$S" tokenize -q --model "${5:-$FX/$1/model}" --input "$2" --input-format jsonl $4 | sed 's/,"n_untruncated".*}$/}/' > "$T/got" ||
        { echo "$1: semindex tokenize failed"; fail=1; return; }
    n=$(wc -l < "$T/want")
    paste -d '\t' "$T/want" "$T/got" | awk -F '\t' '$1 != $2 {print NR}' > "$T/bad"
    bad=$(wc -l < "$T/bad")
    echo "$1 (max_length $3): $((n - bad))/$n identical"
    if [ "$bad" -ne 0 ]; then
        fail=1
        for l in $(head -3 "$T/bad"); do
            echo "  text: $(sed -n "${l}p" "$2" | cut -c1-300)"
            echo "  want: $(sed -n "${l}p" "$T/want" | cut -c1-300)"
            echo "  got:  $(sed -n "${l}p" "$T/got" | cut -c1-300)"
        done
    fi
}
for m in modernbert-tiny modernbert-ko-tiny bert-tiny-ko xlmr-tiny; do
    [ -f "$FX/$m/model/tokenizer.json" ] || continue
    ml=$(sed -n 's/.*"max_seq_length": *\([0-9]*\).*/\1/p' "$FX/$m/model/sentence_bert_config.json")
    compare "$m" "$T/texts.jsonl" "${ml:-0}" ""
    compare "$m" "$T/adv.jsonl" 0 --no-truncate
done
# variants: every component and option on the fixtures' vocabularies
head -n 1000 "$T/corpus.jsonl" > "$T/var.jsonl"
cat "$T/adv.jsonl" >> "$T/var.jsonl"
node "$O/variants.js" "$FX" "$T/var" > "$T/variants" || exit 1
while read -r name ml; do
    flags="--no-truncate"
    [ "$ml" -gt 0 ] && flags="--max-length $ml"
    compare "$name" "$T/var.jsonl" "$ml" "$flags" "$T/var/$name/tokenizer.json"
done < "$T/variants"
exit $fail
