# lib.sh - the prologue of every CLI case (sourced first, not a case):
#     . "$(dirname "$0")/../lib.sh"
# tests/run.sh runs a case as `sh tests/cli/<cmd>/<case>.sh`, so $0 is the
# case's path and this works from any directory. It sets
#   S     the binary under test ($SEMINDEX_BIN, required)
#   here  the checkout's top folder; C its bundled demo corpus
#   T     a fresh temporary directory, removed on exit (a case that must stop
#         a process or unmount first sets its own trap, ending in rm -rf "$T")
# and fail MSG: print MSG and exit 1 (a case may redefine it with a prefix).
S=${SEMINDEX_BIN:?}
here=$(cd "$(dirname "$0")/../../.." && pwd)
C=$here/demo/corpus
T=$(mktemp -d) || exit 1
trap 'rm -rf "$T"' EXIT
fail() { echo "$*"; exit 1; }
