#!/bin/sh
# embed: all 331 fixture texts of modernbert-tiny (control characters, empty
# and long texts included) as jsonl in, raw f32 out; every value within 1e-4
# of the sentence-transformers golden embeddings.f32, and the truncated
# inputs counted on stderr.
. "$(dirname "$0")/../lib.sh"
FX=${SEMINDEX_FIXTURES:?}/modernbert-tiny
[ -d "$FX" ] || { echo "fixtures not found"; exit 77; }
command -v jq >/dev/null || { echo "jq not installed"; exit 77; }
jq -c '.texts[] | {text: .text}' "$FX/manifest.json" > "$T/in.jsonl"
"$S" embed --model "$FX/model" --input "$T/in.jsonl" --input-format jsonl --format f32 \
    --output "$T/out.f32" --threads 2 2> "$T/err" || { cat "$T/err"; exit 1; }
[ "$(wc -c < "$T/out.f32")" -eq "$(wc -c < "$FX/embeddings.f32")" ] || { echo "size differs"; exit 1; }
ntrunc=$(jq '[.texts[] | select(.truncated)] | length' "$FX/manifest.json")
grep -q "warning: $ntrunc of 331 inputs were longer than max_seq_length 128" "$T/err" || { cat "$T/err"; exit 1; }
od -An -v -f -w4 "$T/out.f32" > "$T/a"
od -An -v -f -w4 "$FX/embeddings.f32" > "$T/b"
paste "$T/a" "$T/b" | awk '{ d = $1 - $2; if (d < 0) d = -d; if (d > m) m = d }
    END { printf "max abs diff %g\n", m; exit !(m <= 1e-4) }'
