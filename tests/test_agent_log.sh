#!/usr/bin/env bash
# kafka-agent's log lines: log.format = json (run's config, or -X log.format=json in any
# mode) writes one JSON object per stderr line, each parsed here by Python's json module:
#   - produce/consume/bench on the embedded mock: time, level, component, message, and
#     numeric fields as numbers (the bench progress lines, the run's stats lines)
#   - run: a file whose name holds a quote, a backslash, a tab and a byte that is not UTF-8,
#     a line over message.max.bytes: the error names file, topic and error, escaped
#   - the library's lines (a connection cut): component libkafka/..., the broker's id
#   - a refused SASL login: the password appears in no line, text or json
#   - the text format is unchanged ("kafka-agent MODE: ..."); a bad log.format is refused
# Usage: test_agent_log.sh PATH/TO/kafka-agent PATH/TO/kafka-mock
set -u
AGENT=${1:?usage: test_agent_log.sh kafka-agent kafka-mock}
MOCK_BIN=${2:?usage: test_agent_log.sh kafka-agent kafka-mock}
TMP=$(mktemp -d)
RUN_PID=
. "$(dirname "$0")/agent_lib.sh"
trap '[ -n "$RUN_PID" ] && kill -9 "$RUN_PID" 2>/dev/null; stop_mock; rm -rf "$TMP"' EXIT

# jsoncheck NAME FILE PYTHON-EXPR: every line of FILE is a JSON object with time, level,
# component and message; then PYTHON-EXPR (over `lines`, the parsed objects) must hold.
jsoncheck() {
    local out
    out=$(python3 - "$2" "$3" <<'EOF'
import json, re, sys
path, expr = sys.argv[1], sys.argv[2]
raw = open(path, 'rb').read()
lines = []
for n, l in enumerate(raw.split(b'\n')[:-1], 1):
    try:
        o = json.loads(l.decode('utf-8'))
    except Exception as e:
        print(f"line {n} is not JSON ({e}): {l[:200]!r}"); sys.exit(1)
    for k in ('time', 'level', 'component', 'message'):
        if k not in o:
            print(f"line {n} has no {k}: {l[:200]!r}"); sys.exit(1)
    if not re.fullmatch(r'\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z', o['time']):
        print(f"line {n}: time {o['time']}"); sys.exit(1)
    if o['level'] not in ('critical', 'error', 'warning', 'notice', 'info', 'debug'):
        print(f"line {n}: level {o['level']}"); sys.exit(1)
    lines.append(o)
if not raw.endswith(b'\n') and raw:
    print("the last line has no newline"); sys.exit(1)
if not lines:
    print("no lines"); sys.exit(1)
if not eval(expr):
    print(f"{expr} does not hold over {len(lines)} lines, e.g. {lines[-1]}"); sys.exit(1)
EOF
)
    if [ $? -eq 0 ]; then pass "$1"; else fail "$1" "$3" "$out"; fi
}

# ---- produce / consume / bench on the embedded mock, json ----
seq 1 50 | timeout 60 "$AGENT" produce --mock=1 -t j -X log.format=json 2>"$TMP/produce.err" >/dev/null
check "produce json: exit 0" 0 $?
jsoncheck "produce json: component and topic" "$TMP/produce.err" \
    "any(o['component'] == 'kafka-agent/produce' and o.get('topic') == 'j' and '50 delivered' in o['message'] for o in lines)"
timeout 60 "$AGENT" bench produce --mock=1 -t b -n 1500000 -s 10 --rate 1000000 -X log.format=json 2>"$TMP/bench.err" >"$TMP/bench.out"
check "bench json: exit 0" 0 $?
jsoncheck "bench json: progress lines with numbers" "$TMP/bench.err" \
    "any(isinstance(o.get('msgs_per_s'), int) and isinstance(o.get('mb_per_s'), float) and o['message'].startswith('bench produce:') for o in lines)"
contains "bench json: the RESULT line on stdout is unchanged" "RESULT mode=produce msgs=1500000" "$TMP/bench.out"

# ---- text stays as it was ----
seq 1 5 | timeout 60 "$AGENT" produce --mock=1 -t j 2>"$TMP/text.err" >/dev/null
contains "text: the usual line" "kafka-agent produce: 5 messages (" "$TMP/text.err"
if grep -q '^{' "$TMP/text.err"; then fail "text: no JSON"; else pass "text: no JSON"; fi
timeout 10 "$AGENT" produce --mock=1 -t j -X log.format=yaml </dev/null 2>"$TMP/bad.err"
check "bad log.format: exit 2" 2 $?
contains "bad log.format: says what is expected" "log.format: text or json" "$TMP/bad.err"

# ---- run: escaping, fields of an error, stats numbers ----
start_mock --brokers 1 --topic logs:1:1
odd=$(printf 'we"ird\\na\tme\xff.log')
mkdir -p "$TMP/run/logs" "$TMP/run/data"
{ seq 1 20; head -c 3000 /dev/zero | tr '\0' x; echo; } >"$TMP/run/logs/$odd"
cat >"$TMP/run/agent.conf" <<EOF
bootstrap.servers = $BS
data.dir = $TMP/run/data
stats.interval.ms = 200
log.format = json
message.max.bytes = 2000
[input.app]
type = file
path = $TMP/run/logs/*.log
topic = logs
EOF
timeout 60 "$AGENT" run -c "$TMP/run/agent.conf" 2>"$TMP/run.err" &
RUN_PID=$!
for _ in $(seq 1 100); do grep -q '"delivered":20' "$TMP/run.err" 2>/dev/null && break; sleep 0.1; done
kill -TERM "$RUN_PID"; wait "$RUN_PID"; check "run json: SIGTERM exits 0" 0 $?; RUN_PID=
jsoncheck "run json: the oversize line names file (escaped), topic and error" "$TMP/run.err" \
    "any(o.get('file', '').endswith('we\"ird\\\\na\tme\ufffd.log') and o.get('topic') == 'logs' and 'error' in o and o['level'] == 'error' for o in lines)"
jsoncheck "run json: stats lines with exact numbers" "$TMP/run.err" \
    "any(o.get('delivered') == 20 and o.get('oversize_skipped') == 1 and o.get('lines_read') == 20 for o in lines)"
stop_mock

# ---- the library's lines: a connection to a broker cut ----
start_mock --brokers 1 --topic cut:1:1
mock_cmd "drop Produce"
echo x | timeout 30 "$AGENT" produce -b "$BS" -t cut -X log.format=json -X linger.ms=0 -X retry.backoff.ms=50 \
    -X reconnect.backoff.ms=50 2>"$TMP/cut.err" >/dev/null
check "connection cut: exit 0 (the retry delivers)" 0 $?
jsoncheck "connection cut: the libkafka lines name the broker" "$TMP/cut.err" \
    "any(o['component'].startswith('libkafka/') and o.get('broker') == 1 and 'connection lost' in o['message'] for o in lines)"
stop_mock

# ---- secrets: a refused SASL login prints no password ----
start_mock --brokers 1 --sasl PLAIN --user alice:wonderland
for fmt in text json; do
    echo x | timeout 30 "$AGENT" produce -b "$BS" -t s -X log.format=$fmt -X log.level=7 \
        -X security.protocol=SASL_PLAINTEXT -X sasl.mechanism=PLAIN -X sasl.username=alice \
        -X sasl.password=Secret-Pa55 -X delivery.timeout.ms=3000 -X request.timeout.ms=2000 2>"$TMP/sasl.$fmt" >/dev/null
    check "SASL refused ($fmt): exit 1" 1 $?
    contains "SASL refused ($fmt): the cause is said" "SASL_AUTHENTICATION_FAILED" "$TMP/sasl.$fmt"
    if grep -q "Secret-Pa55" "$TMP/sasl.$fmt"; then fail "SASL refused ($fmt): no password in the log"
    else pass "SASL refused ($fmt): no password in the log"; fi
done
jsoncheck "SASL refused (json): every line parses" "$TMP/sasl.json" "True"
stop_mock

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
