#!/bin/sh
# embed: the KorSTS sentences of bert-tiny-ko (BERT + Normalize) one per
# line, written as .npy (header checked) and as jsonl; both agree with the
# golden embeddings.f32 within 1e-4 and rows stay in input order.
. "$(dirname "$0")/../lib.sh"
FX=${SEMINDEX_FIXTURES:?}/bert-tiny-ko
[ -d "$FX" ] || { echo "fixtures not found"; exit 77; }
command -v jq >/dev/null || { echo "jq not installed"; exit 77; }
jq -r '.texts[] | select(.source | startswith("korsts")) | .text' "$FX/manifest.json" > "$T/in.txt"
jq -r '.texts[] | select(.source | startswith("korsts")) | .i' "$FX/manifest.json" > "$T/rows"
n=$(wc -l < "$T/in.txt")
"$S" embed --model "$FX/model" --input "$T/in.txt" --format npy --output "$T/out.npy" --batch-tokens 100 || exit 1
head -c 6 "$T/out.npy" | od -An -c | grep -q 'N   U   M   P   Y' || { echo "no npy magic"; exit 1; }
head -c 128 "$T/out.npy" | grep -q "'shape': ($n, 64)" || { echo "bad npy shape"; exit 1; }
[ "$(wc -c < "$T/out.npy")" -eq $((128 + n * 64 * 4)) ] || { echo "bad npy size"; exit 1; }
tail -c $((n * 64 * 4)) "$T/out.npy" | od -An -v -f -w256 > "$T/a"
od -An -v -f -w256 "$FX/embeddings.f32" > "$T/all"
awk -v rows="$T/rows" 'BEGIN { while ((getline r < rows) > 0) keep[r + 1] = 1 } keep[NR]' "$T/all" > "$T/b"
paste -d' ' "$T/a" "$T/b" | awk '{ for (i = 1; i <= 64; i++) { d = $i - $(i + 64); if (d < 0) d = -d; if (d > m) m = d } }
    END { printf "npy max abs diff %g\n", m; exit !(m <= 1e-4) }' || exit 1
"$S" embed --model "$FX/model" --input "$T/in.txt" --threads 1 > "$T/out.jsonl" || exit 1
[ "$(wc -l < "$T/out.jsonl")" -eq "$n" ] || { echo "jsonl rows"; exit 1; }
jq -r '.embedding | map(tostring) | join(" ")' "$T/out.jsonl" > "$T/c"
paste -d' ' "$T/c" "$T/b" | awk '{ for (i = 1; i <= 64; i++) { d = $i - $(i + 64); if (d < 0) d = -d; if (d > m) m = d } }
    END { printf "jsonl max abs diff %g\n", m; exit !(m <= 1e-4) }'
