#!/bin/sh
# Issue 14 item 9: `make install PREFIX=... [DESTDIR=...]` installs the
# program, libsemindex.a with <semindex.h>, a pkg-config file, the man page
# and the bash completion, and each of them works from the install tree.
. "$(dirname "$0")/../lib.sh"
B=${SEMINDEX_BUILD:-$(dirname "$S")}
for t in lowdown man pkg-config bash; do
    command -v $t >/dev/null || { echo "$t not installed (bash .ci/deps.sh --test)"; exit 77; }
done
grep -q __asan_init "$S" && { echo "install is tested on the optimised build, not the sanitizer one"; exit 77; }
P=$T/prefix
make -s -C "$here" BUILD="$B" install PREFIX="$P" > "$T/make.log" 2>&1 || { tail -20 "$T/make.log"; fail "make install failed"; }
for f in bin/semindex lib/libsemindex.a include/semindex.h include/semindex/common/err.h \
         include/semindex/index/store/store.h lib/pkgconfig/semindex.pc share/man/man1/semindex.1 \
         share/bash-completion/completions/semindex; do
    [ -s "$P/$f" ] || fail "make install did not install $f"
done
for f in ingest/encoder/encoder_internal.h ingest/encoder/forward.h ingest/encoder/kernels.h; do
    [ -e "$P/include/semindex/$f" ] && fail "make install installed the internal header $f"
done
[ -x "$P/bin/semindex" ] || fail "bin/semindex is not executable"
"$P/bin/semindex" --version | grep -q '^semindex [0-9]' || fail "the installed program does not run"

# the man page renders, with its sections and the generated command options
MANPAGER=cat MANWIDTH=80 man -l "$P/share/man/man1/semindex.1" > "$T/man.txt" 2> "$T/man.err" || fail "man -l failed"
[ ! -s "$T/man.err" ] || { cat "$T/man.err"; fail "man -l warned"; }
for w in NAME SYNOPSIS 'EXIT STATUS' 'OUTPUT PATHS' 'semindex run' '--mine-output'; do
    grep -q -- "$w" "$T/man.txt" || fail "the rendered man page lacks '$w'"
done
grep -q '^NAME' "$T/man.txt" || fail "NAME is not a man section"

# pkg-config: a tiny program compiles and links against the installed library
export PKG_CONFIG_PATH="$P/lib/pkgconfig"
pkg-config --exists semindex || fail "pkg-config does not find semindex"
[ "$(pkg-config --modversion semindex)" = "$("$S" --version | awk '{print $2}')" ] || fail "pc version differs from --version"
cat > "$T/tiny.c" <<'C'
#include <stdio.h>
#include <err.h>      /* the C library's, not semindex's common/err.h */
#include <semindex.h>
int main(void)
{
    struct enc_options eo = ENC_OPTIONS_INIT;
    struct enc *e = NULL;
    if (enc_create(ENC_BUILTIN_NGRAM, &eo, &e) < 0) errx(1, "%s", err_msg());
    const char *t[] = { "hello world" };
    size_t len[] = { 11 };
    float v[4096];
    if (enc_dim(e) > 4096 || enc_encode(e, t, len, 1, v, NULL) < 0) errx(1, "encode: %s", err_msg());
    printf("dim %d\n", enc_dim(e));
    enc_free(e);
    return 0;
}
C
cc -std=c11 $(pkg-config --cflags semindex) "$T/tiny.c" -o "$T/tiny" $(pkg-config --libs semindex) 2> "$T/cc.err" ||
    { head -20 "$T/cc.err"; fail "a program using <semindex.h> does not build with pkg-config"; }
"$T/tiny" > "$T/tiny.out" || fail "the tiny program failed"
grep -q '^dim [1-9]' "$T/tiny.out" || fail "the tiny program printed $(cat "$T/tiny.out")"

# bash completion: sources cleanly and completes a command and an option
C=$P/share/bash-completion/completions/semindex
got=$(bash -c '. "$1" || exit 1; COMP_WORDS=(semindex ing); COMP_CWORD=1; _semindex; echo "${COMPREPLY[*]}"' sh "$C") ||
    fail "the completion script does not source"
[ "$got" = ingest ] || fail "'semindex ing<TAB>' completes to '$got'"
got=$(bash -c '. "$1"; COMP_WORDS=(semindex -q mine --clusters-o); COMP_CWORD=3; _semindex; echo "${COMPREPLY[*]}"' sh "$C")
[ "$got" = --clusters-output ] || fail "'semindex -q mine --clusters-o<TAB>' completes to '$got'"
got=$(bash -c '. "$1"; COMP_WORDS=(semindex bench enc); COMP_CWORD=2; _semindex; echo "${COMPREPLY[*]}"' sh "$C")
[ "$got" = encode ] || fail "'semindex bench enc<TAB>' completes to '$got'"

# DESTDIR stages under another root; the pc file names the final prefix
make -s -C "$here" BUILD="$B" install DESTDIR="$T/stage" PREFIX=/opt/semindex > "$T/make.log" 2>&1 || { tail -20 "$T/make.log"; fail "make install DESTDIR failed"; }
[ -x "$T/stage/opt/semindex/bin/semindex" ] || fail "DESTDIR not honoured"
grep -q '^prefix=/opt/semindex$' "$T/stage/opt/semindex/lib/pkgconfig/semindex.pc" || fail "the staged pc file does not name /opt/semindex"
echo "installed: program, library + header (pkg-config), man page, completion"
