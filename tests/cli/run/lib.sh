# lib.sh - shared by the `semindex run` CLI cases (sourced, not a case).
# make_shards DIR N: N tsv shards night-01.tsv .. from KorSTS train (sentence1
# and sentence2 columns), exit 77 when the data is absent.
. "$(dirname "$0")/../lib.sh"
DATA=${SEMINDEX_DATA:-../shared/data}
TRAIN="$DATA/korsts/sts-train.tsv"
[ -f "$TRAIN" ] || { echo "KorSTS train not found at $TRAIN"; exit 77; }
command -v jq >/dev/null || { echo "jq not installed (bash .ci/deps.sh --test)"; exit 77; }

make_shards() { # dir first last lines_per_shard
    mkdir -p "$1"
    i=$2
    while [ "$i" -le "$3" ]; do
        f=$(printf '%s/night-%02d.tsv' "$1" "$i")
        { printf 'text\tother\n'
          tail -n +2 "$TRAIN" | sed -n "$(( (i - 1) * $4 + 1 )),$(( i * $4 ))p" | cut -f6,7; } > "$f"
        i=$((i + 1))
    done
}

# snapshot STORE OUT: everything a store holds and what its index answers,
# in a form two stores can be compared with cmp.
snapshot() {
    "$S" -q export --store "$1" --format jsonl > "$2.export" || return 1
    "$S" -q stats --store "$1" --json | jq -S 'del(.store, .file_bytes, .map_bytes, .generation)' > "$2.stats" || return 1
    printf '남자가 기타를 연주한다.\n주식 시장이 하락했다.\n고양이가 잠을 잔다.\n' |
        "$S" -q query --store "$1" -k 5 --input - --format jsonl > "$2.query" || return 1
}

same() { # a b: fail with a diff when the snapshots differ
    for x in export stats query; do
        if ! cmp -s "$1.$x" "$2.$x"; then
            echo "stores differ in $x:"; diff "$1.$x" "$2.$x" | head -10 | cut -c1-200
            return 1
        fi
    done
}
