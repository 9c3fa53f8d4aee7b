#!/bin/sh
# the run report lists what was rejected (issue 14 item 6): last-run.json's
# "rejected" holds one object per rejected input with shard, entry, record
# (the 1-based line, null when the input is not a record) and reason, all of
# them, also those beyond the 10 warnings shown per shard; past 1000 the
# rest are counted in "rejected_not_listed". A clean run has an empty list.
. "$(dirname "$0")/../lib.sh"
mkdir "$T/in"
printf '{"text": "좋은 문장 하나"}\n{"text": "broken"\n{"txt": "x"}\n{"text": "좋은 문장 둘"}\n' > "$T/in/a.jsonl"
"$S" -q run --store "$T/st" --model builtin:ngram "$T/in/a.jsonl" >/dev/null 2>&1
[ $? -eq 3 ] || fail "expected exit 3"
R="$T/st/reports/last-run.json"
jq -e --arg s "$T/in/a.jsonl" '.rejected_not_listed == 0 and (.rejected | length) == 2
    and .rejected[0].shard == $s and .rejected[0].entry == "a.jsonl" and .rejected[0].record == 2
    and (.rejected[0].reason | startswith("line 2: malformed JSON"))
    and .rejected[1].record == 3 and .rejected[1].reason == "line 3: no string field '"'"'text'"'"'"' "$R" >/dev/null ||
    fail "rejected list: $(jq .rejected "$R")"
# 1005 bad records in one shard: 1000 listed, 5 counted
awk 'BEGIN { for (i = 0; i < 1005; i++) printf "{\"txt\": \"%d\"}\n", i; print "{\"text\": \"좋은 문장 셋\"}" }' > "$T/in/b.jsonl"
"$S" -q run --store "$T/st" --model builtin:ngram "$T/in/b.jsonl" >/dev/null 2>&1
[ $? -eq 3 ] || fail "b: expected exit 3"
jq -e '(.rejected | length) == 1000 and .rejected_not_listed == 5 and .rejected[999].record == 1000' "$R" >/dev/null ||
    fail "capped list: $(jq '(.rejected | length), .rejected_not_listed' "$R")"
printf '{"text": "좋은 문장 넷"}\n' > "$T/in/c.jsonl"
"$S" -q run --store "$T/st" --model builtin:ngram "$T/in/c.jsonl" >/dev/null 2>&1 || fail "clean run exited $?"
jq -e '.rejected == [] and .rejected_not_listed == 0' "$R" >/dev/null || fail "clean run: $(jq .rejected "$R")"
exit 0
