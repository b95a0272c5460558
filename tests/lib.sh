# tests/lib.sh: sourced by every shell test.  Strict mode, C locale, a private
# temporary folder removed on exit, and TAP helpers:
#   plan N | ok COND-STATUS "name" | pass "name" | fail "name" | skip_all "why"
#   skip "name" "why" | check "name" CMD... (ok if CMD exits 0) | done_testing
#   need_prog PROG (skip all if absent) | husky_lib NAME (path of libNAME.so)
#   run_preloaded NAME PROG ARGS... (PROG's TAP under LD_PRELOAD of libNAME.so)
set -eu
LC_ALL=C
export LC_ALL
: "${top_srcdir:=$(cd "$(dirname "$0")/.." && pwd)}"
: "${top_builddir:=$top_srcdir}"
TMP=$(mktemp -d "${TMPDIR:-/tmp}/husky-test.XXXXXX")
trap 'rm -rf "$TMP"' EXIT
_tap_n=0
_tap_fail=0

plan() { echo "1..$1"; }
pass() { _tap_n=$((_tap_n + 1)); echo "ok $_tap_n - $1"; }
fail() {
    _tap_n=$((_tap_n + 1)); _tap_fail=$((_tap_fail + 1))
    echo "not ok $_tap_n - $1"
}
diag() { printf '# %s\n' "$*"; }
# ok STATUS NAME: pass when STATUS is 0
ok() { if [ "$1" -eq 0 ]; then pass "$2"; else fail "$2"; fi; }
# check NAME CMD...: run CMD, pass when it exits 0 (its output goes to the log)
check() {
    _name=$1; shift
    if "$@" >"$TMP/.check.out" 2>&1; then pass "$_name"
    else fail "$_name"; sed 's/^/# /' "$TMP/.check.out" | head -n 40; fi
}
skip() { _tap_n=$((_tap_n + 1)); echo "ok $_tap_n - $1 # SKIP $2"; }
skip_all() { echo "1..0 # SKIP $1"; exit 0; }
done_testing() { echo "1..$_tap_n"; exit 0; }
need_prog() { command -v "$1" >/dev/null 2>&1 || skip_all "$1 not installed"; }

# husky_lib NAME: prints the path of libNAME.so found on HUSKY_LIB_PATH
husky_lib() {
    _old_ifs=$IFS; IFS=:
    for _d in ${HUSKY_LIB_PATH:-}; do
        if [ -f "$_d/lib$1.so" ]; then IFS=$_old_ifs; echo "$_d/lib$1.so"; return 0; fi
    done
    IFS=$_old_ifs
    return 1
}

# run_preloaded NAME PROG [ARG...]: runs PROG, a program that prints its own
# TAP, under LD_PRELOAD of libNAME.so and exits with its status; skips all
# when the library or PROG is not built.  Settings for PROG go before the
# call (VAR=value run_preloaded ...).
run_preloaded() {
    _lib=$(husky_lib "$1") || skip_all "lib$1.so not built"
    shift
    [ -x "$1" ] || skip_all "$1 not built"
    _rc=0
    LD_PRELOAD=$_lib "$@" || _rc=$?
    exit $_rc
}

# expect_exit CODE NAME CMD...: pass when CMD exits with CODE
expect_exit() {
    _code=$1; _name=$2; shift 2
    set +e; "$@" >"$TMP/.check.out" 2>&1; _rc=$?; set -e
    if [ "$_rc" -eq "$_code" ]; then pass "$_name"
    else fail "$_name (exit $_rc, expected $_code)"; sed 's/^/# /' "$TMP/.check.out" | head -n 20; fi
}
