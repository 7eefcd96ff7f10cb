#!/usr/bin/env bash
# kafka-agent's Prometheus endpoint (metrics.listen / --metrics) against a kafka-mock
# process, on 127.0.0.1 only:
#   - counters are exact: after N lines, delivered_total = lines_total = N and the lag is 0;
#     `promtool check metrics` accepts the page
#   - bad requests (POST, a 10 KB URL, an unknown path) get errors, and slow clients
#     holding every connection do not stop shipping
#   - /healthz is 200, 503 with the reason while every broker is down, 200 again after;
#     503 too while lines wait undelivered longer than healthz.stall.ms (Produce failing)
#   - a stdin input's lines count as delivered too (they did not before); its name,
#     in"x\y, is escaped in the label value
#   - `--metrics` on the command line serves `produce` and `consume` too; produce counts an
#     oversize line skipped and a message the broker refuses for good by its reason
#   - the rest of the list is there with its value: input bytes, connections, messages
#     retried, Produce errors answered per broker and error
# Usage: test_agent_metrics.sh PATH/TO/kafka-agent PATH/TO/kafka-mock
set -u
AGENT=${1:?usage: test_agent_metrics.sh kafka-agent kafka-mock}
MOCK_BIN=${2:?usage: test_agent_metrics.sh kafka-agent kafka-mock}
TMP=$(mktemp -d)
RUN_PID=
. "$(dirname "$0")/agent_lib.sh"
trap '[ -n "$RUN_PID" ] && kill -9 "$RUN_PID" 2>/dev/null; stop_mock; rm -rf "$TMP"' EXIT
for tool in curl promtool; do
    command -v "$tool" >/dev/null || { echo "FAIL $tool is missing (scripts/install-deps.sh installs it)"; exit 1; }
done

# metrics_port FILE: the port the agent said it serves on (port 0 in the config: any free one).
metrics_port() {
    local i p
    for i in $(seq 1 100); do
        p=$(sed -n 's|.*metrics at http://127\.0\.0\.1:\([0-9]*\)/metrics$|\1|p' "$1")
        [ -n "$p" ] && { echo "$p"; return 0; }
        sleep 0.1
    done
    return 1
}
scrape() { curl -s --max-time 5 "http://127.0.0.1:$PORT/metrics"; }
# metric NAME_WITH_LABELS: its value in a fresh scrape ("" when absent).
# (ENVIRON: awk -v would turn the escapes of a label value into what they stand for)
metric() { scrape | M="$1" awk '$1 == ENVIRON["M"] { print $2 }'; }
# wait_metric NAME VALUE [SECONDS]: until the metric has that value; its last value.
wait_metric() {
    local v i
    for i in $(seq 1 $((${3:-20} * 10))); do
        v=$(metric "$1")
        [ "$v" == "$2" ] && break
        sleep 0.1
    done
    echo "$v"
}
healthz() { curl -s --max-time 5 -o "$TMP/health.body" -w '%{http_code}' "http://127.0.0.1:$PORT/healthz"; }
# wait_health CODE SECONDS: until /healthz answers CODE; the last code.
wait_health() {
    local c i
    for i in $(seq 1 $(($2 * 10))); do
        c=$(healthz)
        [ "$c" == "$1" ] && break
        sleep 0.1
    done
    echo "$c"
}

start_mock --brokers 2 --topic m:4:2
mkdir -p "$TMP/logs" "$TMP/data"
cat >"$TMP/agent.conf" <<EOF
bootstrap.servers = $BS
data.dir = $TMP/data
stats.interval.ms = 0
retry.backoff.ms = 20
reconnect.backoff.ms = 20
retry.backoff.max.ms = 200
metrics.listen = 127.0.0.1:0
healthz.stall.ms = 1500
[input.app]
type = file
path = $TMP/logs/*.log
topic = m
EOF
N=5000
seq 1 "$N" | sed 's/^/line-/' >"$TMP/logs/a.log"
"$AGENT" run -c "$TMP/agent.conf" 2>"$TMP/run.err" &
RUN_PID=$!
PORT=$(metrics_port "$TMP/run.err") || { echo "FAIL no 'metrics at' line"; cat "$TMP/run.err"; exit 1; }
pass "run: serves metrics on 127.0.0.1:$PORT"

# ---- exact counters, a page promtool accepts ----
check "delivered_total = $N after $N lines" "$N" "$(wait_metric kafka_agent_messages_delivered_total "$N")"
check "input lines_total = $N" "$N" "$(wait_metric 'kafka_agent_input_lines_total{input="app"}' "$N" 5)"
check "input lag 0 once delivered" 0 "$(wait_metric 'kafka_agent_input_lag_bytes{input="app"}' 0 5)"
check "input files 1" 1 "$(metric 'kafka_agent_input_files{input="app"}')"
check "input bytes_total = the lines' bytes without newlines" "$(tr -d '\n' <"$TMP/logs/a.log" | wc -c)" \
    "$(metric 'kafka_agent_input_bytes_total{input="app"}')"
c=$(metric kafka_client_connections)
if [ "${c:-0}" -ge 1 ] 2>/dev/null && [ "$c" -le 2 ]; then pass "connections open: $c (2 brokers)"; else fail "connections open" "1..2" "$c"; fi
check "nothing failed yet: no failed_total sample" "" "$(grep '^kafka_agent_messages_failed_total' <(scrape))"
check "in flight 0" 0 "$(wait_metric kafka_agent_in_flight_messages 0 5)"
check "queue bytes 0" 0 "$(wait_metric kafka_agent_queue_bytes 0 5)"
scrape >"$TMP/page"
if promtool check metrics <"$TMP/page" >"$TMP/promtool.out" 2>&1; then pass "promtool check metrics"; else fail "promtool check metrics" "no problem" "$(cat "$TMP/promtool.out")"; fi
contains "# TYPE of a counter" "# TYPE kafka_agent_messages_delivered_total counter" "$TMP/page"
contains "# TYPE of the request latency histogram" "# TYPE kafka_client_request_latency_seconds histogram" "$TMP/page"
# per broker and API: requests written = responses in the histogram (+Inf bucket = _count),
# the Produce ones all answered
awk '
  /^kafka_client_requests_total\{.*api="Produce"/ { req += $2 }
  /^kafka_client_request_latency_seconds_count\{.*api="Produce"/ { cnt += $2 }
  /^kafka_client_request_latency_seconds_bucket\{.*api="Produce".*le="\+Inf"/ { inf += $2 }
  END { if (req > 0 && req == cnt && cnt == inf) print "ok"; else print "requests " req ", count " cnt ", +Inf " inf }
' "$TMP/page" >"$TMP/req.out"
check "requests_total{api=Produce} = latency _count = +Inf bucket, > 0" ok "$(cat "$TMP/req.out")"
contains "content type 0.0.4" "text/plain; version=0.0.4" <(curl -sI --max-time 5 "http://127.0.0.1:$PORT/metrics")
check "/healthz 200" 200 "$(healthz)"
contains "/healthz body" "ok" "$TMP/health.body"

# ---- bad requests and slow clients ----
code() { curl -s --max-time 5 -o /dev/null -w '%{http_code}' "$@"; }
check "POST /metrics: 405" 405 "$(code -X POST -d x "http://127.0.0.1:$PORT/metrics")"
check "unknown path: 404" 404 "$(code "http://127.0.0.1:$PORT/nope")"
long=$(head -c 10240 /dev/zero | tr '\0' a)
c=$(code "http://127.0.0.1:$PORT/$long")
if [ "$c" -ge 400 ] 2>/dev/null && [ "$c" -lt 500 ]; then pass "10 KB URL: $c"; else fail "10 KB URL" "a 4xx" "$c"; fi
# 40 connections that never finish their request (more than the server takes at once):
# shipping goes on meanwhile, and the endpoint answers again once they time out or close.
fds=()
for i in $(seq 1 40); do
    exec {fd}<>"/dev/tcp/127.0.0.1/$PORT" && printf 'GET /metrics HTTP/1.1\r\nHost: x\r\n' >&"$fd" && fds+=("$fd")
done
seq 1 1000 | sed 's/^/more-/' >>"$TMP/logs/a.log"
N=$((N + 1000))
for i in $(seq 1 100); do
    [ "$(grep -c . "$TMP/data/checkpoints" 2>/dev/null)" -ge 1 ] &&
        [ "$(awk '{print $5}' "$TMP/data/checkpoints")" == "$(stat -c %s "$TMP/logs/a.log")" ] && break
    sleep 0.1
done
check "shipping goes on while 40 slow clients hold the endpoint (checkpoint at the end)" \
    "$(stat -c %s "$TMP/logs/a.log")" "$(awk '{print $5}' "$TMP/data/checkpoints")"
for fd in "${fds[@]}"; do exec {fd}>&-; done
check "delivered_total = $N after the slow clients" "$N" "$(wait_metric kafka_agent_messages_delivered_total "$N" 15)"

# ---- /healthz: every broker down, then back ----
for b in 1 2; do mock_cmd "down $b"; done
check "/healthz 503 with every broker down" 503 "$(wait_health 503 15)"
contains "/healthz says why" "no broker reachable" "$TMP/health.body"
check "metrics still served while down (healthy 0)" 0 "$(metric kafka_agent_healthy)"
seq 1 100 | sed 's/^/down-/' >>"$TMP/logs/a.log"
N=$((N + 100))
for b in 1 2; do mock_cmd "up $b"; done
check "/healthz 200 once the brokers are back" 200 "$(wait_health 200 20)"
check "delivered_total = $N after the outage" "$N" "$(wait_metric kafka_agent_messages_delivered_total "$N" 20)"
check "input lag 0 after the outage" 0 "$(wait_metric 'kafka_agent_input_lag_bytes{input="app"}' 0 5)"

# ---- /healthz: brokers answer, but Produce fails (retriable) for longer than the stall ----
mock_cmd "error Produce 60 NOT_LEADER_OR_FOLLOWER"
seq 1 50 | sed 's/^/stall-/' >>"$TMP/logs/a.log"
N=$((N + 50))
check "/healthz 503 while lines wait undelivered" 503 "$(wait_health 503 15)"
contains "/healthz says no delivery" "no delivery for" "$TMP/health.body"
check "/healthz 200 once they are delivered" 200 "$(wait_health 200 30)"
check "delivered_total = $N after the stall" "$N" "$(wait_metric kafka_agent_messages_delivered_total "$N" 10)"
r=$(metric kafka_agent_batches_retried_total)
if [ "${r:-0}" -gt 0 ]; then pass "retries counted ($r)"; else fail "retries counted" "> 0" "$r"; fi
r=$(metric kafka_agent_messages_retried_total)
if [ "${r:-0}" -gt 0 ]; then pass "messages retried counted ($r)"; else fail "messages retried counted" "> 0" "$r"; fi
r=$(scrape | awk '/^kafka_client_request_errors_total\{.*api="Produce".*error="NOT_LEADER_OR_FOLLOWER"/ { s += $2 } END { print s + 0 }')
if [ "$r" -gt 0 ]; then pass "Produce's NOT_LEADER_OR_FOLLOWER answers counted per broker ($r)"; else fail "request errors counted" "> 0" "$r"; fi
kill -TERM "$RUN_PID"
wait "$RUN_PID"
check "run: SIGTERM exits 0" 0 $?
RUN_PID=

# ---- a stdin input, --metrics on the command line ----
mkdir -p "$TMP/data2"
# Its name needs escaping in a label value: in"x\y -> input="in\"x\\y".
printf 'bootstrap.servers = %s\ndata.dir = %s\nstats.interval.ms = 0\n[input.in"x\\y]\ntype = stdin\ntopic = m\n' \
    "$BS" "$TMP/data2" >"$TMP/stdin.conf"
mkfifo "$TMP/run.in"
"$AGENT" run -c "$TMP/stdin.conf" --metrics 127.0.0.1:0 <"$TMP/run.in" 2>"$TMP/run2.err" &
RUN_PID=$!
exec {RIN}>"$TMP/run.in"
seq 1 200 >&"$RIN"
PORT=$(metrics_port "$TMP/run2.err") || { echo "FAIL run stdin: no 'metrics at' line"; cat "$TMP/run2.err"; exit 1; }
check "run, stdin input: delivered_total = 200" 200 "$(wait_metric kafka_agent_messages_delivered_total 200)"
check "run, stdin input: lines_total = 200 (label escaped)" 200 \
    "$(wait_metric 'kafka_agent_input_lines_total{input="in\"x\\y"}' 200 5)"
scrape >"$TMP/page"
if promtool check metrics <"$TMP/page" >"$TMP/promtool.out" 2>&1; then pass "run, stdin input: promtool check metrics"; else fail "run, stdin input: promtool check metrics" "no problem" "$(cat "$TMP/promtool.out")"; fi
check "run, stdin input: queue bytes 0" 0 "$(wait_metric kafka_agent_queue_bytes 0 5)"
kill -TERM "$RUN_PID"
wait "$RUN_PID"
check "run, stdin input: SIGTERM exits 0" 0 $?
exec {RIN}>&-
RUN_PID=
contains "run, stdin input: the stats line counts them" "delivered 200," "$TMP/run2.err"

# ---- --metrics on the command line (produce) and a bad address ----
mkfifo "$TMP/produce.in"
"$AGENT" produce -b "$BS" -t m -X message.max.bytes=2000 --metrics 127.0.0.1:0 <"$TMP/produce.in" 2>"$TMP/produce.err" &
RUN_PID=$!
exec {PIN}>"$TMP/produce.in"
seq 1 300 >&"$PIN"
PORT=$(metrics_port "$TMP/produce.err") || { echo "FAIL produce: no 'metrics at' line"; cat "$TMP/produce.err"; exit 1; }
check "produce --metrics: delivered_total = 300" 300 "$(wait_metric kafka_agent_messages_delivered_total 300)"
# a line over message.max.bytes is skipped and counted
head -c 5000 /dev/zero | tr '\0' o >&"$PIN"
echo >&"$PIN"
check "produce: oversize_skipped_total = 1" 1 "$(wait_metric kafka_agent_oversize_skipped_total 1)"
# a message the broker refuses for good is counted by its reason
mock_cmd "error Produce 1 INVALID_RECORD"
echo refused >&"$PIN"
check "produce: failed_total{reason=INVALID_RECORD} = 1" 1 \
    "$(wait_metric 'kafka_agent_messages_failed_total{reason="INVALID_RECORD"}' 1)"
check "produce: still delivered_total = 300" 300 "$(metric kafka_agent_messages_delivered_total)"
scrape >"$TMP/page"
if promtool check metrics <"$TMP/page" >"$TMP/promtool.out" 2>&1; then pass "produce: promtool check metrics"; else fail "produce: promtool check metrics" "no problem" "$(cat "$TMP/promtool.out")"; fi
exec {PIN}>&-
wait "$RUN_PID"
check "produce: exit 1 (one message failed)" 1 $?
contains "produce: the failure names its cause" "INVALID_RECORD" "$TMP/produce.err"
RUN_PID=
# consume: everything in the topic read, the lag 0
"$AGENT" consume -b "$BS" -t m -o beginning --metrics 127.0.0.1:0 >"$TMP/consumed" 2>"$TMP/consume.err" &
RUN_PID=$!
PORT=$(metrics_port "$TMP/consume.err") || { echo "FAIL consume: no 'metrics at' line"; cat "$TMP/consume.err"; exit 1; }
total=$((N + 500))
check "consume --metrics: consumed_total = $total" "$total" "$(wait_metric kafka_agent_messages_consumed_total "$total")"
check "consume: lag 0" 0 "$(wait_metric kafka_agent_consumer_lag_messages 0 5)"
check "consume: 4 partitions assigned" 4 "$(wait_metric kafka_agent_consumer_assigned_partitions 4 5)"
scrape >"$TMP/page"
check "consume: lag 0 per partition, 4 partitions" "4 0" \
    "$(awk '/^kafka_agent_consumer_partition_lag_messages\{topic="m",partition="[0-3]"\}/ { n++; s += $2 } END { print n, s }' "$TMP/page")"
grep -q '^kafka_client_requests_total{broker="127.0.0.1:[0-9]*",api="Fetch"} [1-9]' "$TMP/page" &&
    pass "consume: Fetch requests counted per broker" || fail "consume: Fetch requests counted per broker" "a sample" "$(grep kafka_client_requests "$TMP/page" | head -3)"
if promtool check metrics <"$TMP/page" >"$TMP/promtool.out" 2>&1; then pass "consume: promtool check metrics"; else fail "consume: promtool check metrics" "no problem" "$(cat "$TMP/promtool.out")"; fi
check "consume: /healthz 200" 200 "$(healthz)"
kill -INT "$RUN_PID"
wait "$RUN_PID"
check "consume: SIGINT exits 0" 0 $?
RUN_PID=
timeout 10 "$AGENT" metadata -b "$BS" --metrics 127.0.0.1:notaport >/dev/null 2>"$TMP/bad.err"
check "--metrics with a bad port: exit 2" 2 $?
contains "--metrics with a bad port: says so" "port 0..65535 expected" "$TMP/bad.err"

echo "passed $passed, failed $failed"
[ "$failed" -eq 0 ]
