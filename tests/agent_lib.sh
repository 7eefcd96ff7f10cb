# Shared by tests/test_agent_*.sh (sourced): check helpers that count, and a kafka-mock
# process driven through its stdin. Needs TMP (a scratch directory) and MOCK_BIN.
passed=0
failed=0
MOCK_PID=
pass() { passed=$((passed + 1)); echo "ok   $1"; }
fail() {
    failed=$((failed + 1))
    echo "FAIL $1"
    [ $# -ge 3 ] && { echo "  expected: $2"; echo "  got:      $3"; }
    return 0
}
# check NAME EXPECTED GOT; contains NAME NEEDLE FILE
check() { if [ "$2" == "$3" ]; then pass "$1"; else fail "$1" "$2" "$3"; fi; }
contains() { if grep -qF -- "$2" "$3"; then pass "$1"; else fail "$1" "'$2' in output" "$(head -c 600 "$3")"; fi; }

# require_kafkajs: sets NODE_DIR (tests/node, where scripts/install-deps.sh puts kafkajs);
# without node or kafkajs says which is missing and exits 77 (skipped).
require_kafkajs() {
    NODE_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/node"
    if ! command -v node >/dev/null 2>&1; then
        echo "SKIP: node not found (scripts/install-deps.sh installs it)"
        exit 77
    fi
    if [ ! -f "$NODE_DIR/node_modules/kafkajs/package.json" ]; then
        echo "SKIP: kafkajs not installed in $NODE_DIR/node_modules (scripts/install-deps.sh installs it)"
        exit 77
    fi
}

# start_mock ARGS...: kafka-mock on 127.0.0.1; sets BS (its bootstrap list).
start_mock() {
    mkfifo "$TMP/in" "$TMP/out"
    "$MOCK_BIN" "$@" <"$TMP/in" >"$TMP/out" 2>"$TMP/mock.err" &
    MOCK_PID=$!
    exec {MOCK_IN}>"$TMP/in" {MOCK_OUT}<"$TMP/out"
    local line=
    if ! read -r -t 10 -u "$MOCK_OUT" line || [ "${line%% *}" != BOOTSTRAP ]; then
        echo "kafka-mock did not start: '$line'"; cat "$TMP/mock.err"; exit 1
    fi
    BS=${line#BOOTSTRAP }
}
# mock_cmd LINE: one stdin command (see kafka-mock --help), its reply discarded.
mock_cmd() { printf '%s\n' "$1" >&"$MOCK_IN"; local r; read -r -t 5 -u "$MOCK_OUT" r; }
# stop_mock: closes its stdin (it exits on end of input) and waits.
stop_mock() {
    [ -n "$MOCK_PID" ] || return 0
    exec {MOCK_IN}>&- {MOCK_OUT}<&-
    wait "$MOCK_PID" 2>/dev/null
    rm -f "$TMP/in" "$TMP/out"
    MOCK_PID=
}
