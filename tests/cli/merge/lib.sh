# lib.sh - sourced by the merge cases: make_corpus DIR builds a corpus of 9
# shards of different sizes from the bundled demo corpus (jsonl files in two
# directories, a shard duplicating another's texts, a plain .txt, a .tar.zst).
make_corpus() {
    _d=$1
    mkdir -p "$_d/x" "$_d/y/z"
    (cd "$_d/x" && tar --zstd -xf "$here/demo/corpus/korsts-part1.tar.zst") || return 1
    (cd "$_d/y/z" && tar --zstd -xf "$here/demo/corpus/korsts-part2.tar.zst") || return 1
    cp "$_d/x/part1/docs-00.jsonl" "$_d/y/dup-00.jsonl"
    head -40 "$_d/y/z/part2/docs-01.jsonl" | sed 's/.*"text": "\([^"]*\)".*/\1/' > "$_d/y/notes.txt"
    (cd "$_d/y/z/part2" && tar --zstd -cf "$_d/y/again.tar.zst" docs-00.jsonl) || return 1
}
