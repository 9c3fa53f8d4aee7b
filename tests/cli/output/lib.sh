# lib.sh - shared by the output-path cases (sourced, not a case): a tiny
# corpus and a store made from it with the builtin encoder.
. "$(dirname "$0")/../lib.sh"
cat > "$T/in.jsonl" <<'JSONL'
{"id": "a", "text": "고양이가 소파 위에서 잠을 잔다."}
{"id": "b", "text": "고양이가 소파 위에서 잠을 자고 있다."}
{"id": "c", "text": "주식 시장이 오늘 크게 하락했다."}
{"id": "d", "text": "오늘 주식 시장이 크게 떨어졌다."}
{"id": "e", "text": "남자가 기타를 연주한다."}
{"id": "f", "text": "한 남자가 기타를 치고 있다."}
JSONL
cut -d'"' -f8 "$T/in.jsonl" > "$T/in.txt"
make_store() { # dir
    "$S" -q ingest --store "$1" --model builtin:ngram --segment doc "$T/in.jsonl" > /dev/null || fail "ingest into $1"
    "$S" -q build --store "$1" > /dev/null || fail "build $1"
}
