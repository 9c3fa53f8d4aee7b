#!/usr/bin/env bash
# deps.sh: install everything semindex needs to build and test, from Debian 12
# packages (plus the npm test oracle). Idempotent: packages already present are
# left alone, so running it twice costs one apt-get invocation.
#
#   bash .ci/deps.sh            build + run-time dependencies
#   bash .ci/deps.sh --test     also the test-only tools (clang for libFuzzer,
#                               the HF tokenizers Node binding used as oracle,
#                               strace and flock(1) for the kill/lock cases)
set -euo pipefail

PKGS=(
  build-essential pkg-config
  libfaiss-dev libopenblas-openmp-dev libdnnl-dev
  liblmdb-dev libzstd-dev libarchive-dev libxxhash-dev
  libutf8proc-dev libonig-dev libjansson-dev
  zstd
  lowdown  # make install: the man page from docs/semindex.1.md
)
TEST_PKGS=( clang libclang-rt-14-dev jq chromium man-db strace util-linux time slurm-wlm munge )
# Node.js and npm: Debian's only when the machine has none (a newer Node may
# already be installed, and Debian's npm would conflict with it).
command -v npm >/dev/null 2>&1 || TEST_PKGS+=( nodejs npm )

want=("${PKGS[@]}")
[[ "${1:-}" == "--test" ]] && want+=("${TEST_PKGS[@]}")

SUDO=""
[[ $(id -u) -ne 0 ]] && SUDO="sudo"

missing=()
for p in "${want[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "deps: installing ${missing[*]}" >&2
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

if [[ "${1:-}" == "--test" ]]; then
  # The HF tokenizers oracle lives in a test-only folder; semindex never calls Node.
  here=$(cd "$(dirname "$0")/.." && pwd)
  if [[ -f "$here/tests/oracle/package.json" && ! -d "$here/tests/oracle/node_modules/tokenizers" ]]; then
    (cd "$here/tests/oracle" && npm install --no-audit --no-fund --silent) || \
      echo "deps: warning: npm install of the tokenizers oracle failed; oracle tests will be skipped" >&2
  fi
fi
echo "deps: ok" >&2
