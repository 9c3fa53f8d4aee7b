#!/bin/sh
# Issue 18: an output path that is a symlink (pairs.html -> /srv/www/...) keeps
# the link; the file it points to is replaced atomically in its own directory
# and keeps its mode. A dangling link creates its target.
. "$(dirname "$0")/lib.sh"
make_store "$T/st"
mkdir "$T/www"
for ext in html tsv; do
    echo old > "$T/www/pairs.$ext"
    chmod 640 "$T/www/pairs.$ext"
    ln -s www/pairs.$ext "$T/link.$ext"
    "$S" -q mine --store "$T/st" --exact --threshold 0.2 --output "$T/link.$ext" || fail "mine to a link exited $?"
    [ -L "$T/link.$ext" ] || fail "the link $T/link.$ext was replaced by a $(stat -c %F "$T/link.$ext")"
    [ "$(readlink "$T/link.$ext")" = "www/pairs.$ext" ] || fail "the link points elsewhere now"
    "$S" -q mine --store "$T/st" --exact --threshold 0.2 --output "$T/plain.$ext" || fail "mine to a file"
    if [ $ext = tsv ]; then
        cmp -s "$T/www/pairs.$ext" "$T/plain.$ext" || fail "the link's target does not hold the report"
    else # the html report carries its timing: compare the pairs' texts
        grep -q '</html>' "$T/www/pairs.$ext" && grep -q '소파' "$T/www/pairs.$ext" || fail "the link's target does not hold the report"
    fi
    [ "$(stat -c %a "$T/www/pairs.$ext")" = 640 ] || fail "the target lost its mode: $(stat -c %a "$T/www/pairs.$ext")"
done
[ -z "$(ls "$T/www" | grep -v '^pairs\.\(html\|tsv\)$')" ] || fail "left behind in www: $(ls "$T/www")"
ls "$T" | grep -q '\.tmp$' && fail "left a .tmp behind: $(ls "$T")"
# embed and export through a dangling link: the target is created, the link kept
ln -s www/vectors.npy "$T/vec.npy"
"$S" -q embed --model builtin:ngram --input "$T/in.txt" --format npy --output "$T/vec.npy" || fail "embed to a dangling link"
[ -L "$T/vec.npy" ] && [ -s "$T/www/vectors.npy" ] || fail "embed: link replaced or target not written"
ln -s www/export.jsonl "$T/export.jsonl"
"$S" -q export --store "$T/st" --output "$T/export.jsonl" || fail "export to a link"
[ -L "$T/export.jsonl" ] && [ "$(wc -l < "$T/www/export.jsonl")" -eq 6 ] || fail "export: link replaced or target wrong"
# a leftover .tmp planted as a link to another file is removed, not followed
echo precious > "$T/victim"
ln -s ../victim "$T/www/pairs.tsv.tmp"
"$S" -q mine --store "$T/st" --exact --threshold 0.2 --output "$T/link.tsv" || fail "mine with a planted .tmp"
[ "$(cat "$T/victim")" = precious ] || fail "the planted .tmp link was followed"
[ ! -e "$T/www/pairs.tsv.tmp" ] && [ ! -L "$T/www/pairs.tsv.tmp" ] || fail "the planted .tmp is still there"
echo "links kept, targets replaced with their mode"
