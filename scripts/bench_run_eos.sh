#!/usr/bin/env bash
# kafka-agent run throughput: exactly-once vs at-least-once on the same input, against
# one kafka-mock process of 3 brokers on 127.0.0.1.
#
#   bash scripts/bench_run_eos.sh [BUILD_DIR] [LINES] [REPEATS]
#
# A file of LINES lines of 100 bytes (default 2,000,000) is shipped by `run` in each mode
# (a fresh topic of 4 partitions per run), REPEATS times each, alternating (default 3).
# The time is from the agent's start until its stats.file says every line is delivered
# (at-least-once: "delivered") or committed (exactly-once: "committed"), polled every
# 20 ms; the agent writes stats every 100 ms, so each time is up to ~0.1 s late. Prints
# one line per run (with the agent's CPU seconds), the ratios of each pair and the ratio
# of the medians (exactly-once / at-least-once lines per second; the target is >= 0.8).
# PARTS=N: topics of N partitions (default 4).
set -eu
BUILD=${1:-build/release}
LINES=${2:-2000000}
REPEATS=${3:-3}
AGENT=$BUILD/daemon/kafka-agent
MOCK=$BUILD/daemon/kafka-mock
TMP=$(mktemp -d)
MOCK_PID=
cleanup() {
    [ -n "$MOCK_PID" ] && { exec {MIN}>&-; wait "$MOCK_PID" 2>/dev/null || true; }
    rm -rf "$TMP"
}
trap cleanup EXIT

mkfifo "$TMP/in"
"$MOCK" --brokers 3 <"$TMP/in" >"$TMP/out" 2>"$TMP/mock.err" &
MOCK_PID=$!
exec {MIN}>"$TMP/in"
for _ in $(seq 1 100); do grep -q BOOTSTRAP "$TMP/out" 2>/dev/null && break; sleep 0.05; done
BS=$(sed -n 's/^BOOTSTRAP //p' "$TMP/out" | head -1)

mkdir -p "$TMP/logs"
# 100-byte lines: a 12-digit number and 88 bytes of filler.
awk -v n="$LINES" 'BEGIN { f = sprintf("%088d", 0); gsub(/0/, "x", f); for (i = 1; i <= n; i++) printf "%012d%s\n", i, f }' \
    >"$TMP/logs/in.log"

now() { date +%s.%N; }
run_one() { # run_one MODE K
    local mode=$1 k=$2 d="$TMP/$1-$2" field topic="t-$1-$2"
    mkdir -p "$d"
    printf 'topic %s %d 3\n' "$topic" "${PARTS:-4}" >&"$MIN"
    sleep 0.2
    {
        printf 'bootstrap.servers = %s\nstats.interval.ms = 100\nstats.file = %s/stats.json\n' "$BS" "$d"
        if [ "$mode" = eos ]; then
            printf 'delivery.guarantee = exactly-once\nagent.id = bench-%s\n' "$k"
            field=committed
        else
            printf 'data.dir = %s\n' "$d"
        fi
        printf '[input.in]\ntype = file\npath = %s/logs/in.log\ntopic = %s\n' "$TMP" "$topic"
    } >"$d/agent.conf"
    [ "$mode" = eos ] && field=committed || field=delivered
    local t0 t1 pid got=0
    t0=$(now)
    "$AGENT" run -c "$d/agent.conf" 2>"$d/run.err" &
    pid=$!
    while :; do
        got=$(sed -n "s/.*\"$field\":\([0-9]*\).*/\1/p" "$d/stats.json" 2>/dev/null || true)
        [ "${got:-0}" -ge "$LINES" ] && break
        kill -0 "$pid" 2>/dev/null || { echo "agent died: $(tail -3 "$d/run.err")"; exit 1; }
        sleep 0.02
    done
    t1=$(now)
    # The agent's CPU (user + system, all threads) until then: less sensitive than the
    # wall time to other work on the machine.
    local cpu
    cpu=$(awk -v hz="$(getconf CLK_TCK)" '{ sub(/.*\) /, ""); printf "%.2f", ($12 + $13) / hz }' "/proc/$pid/stat")
    kill -TERM "$pid"; wait "$pid" || true
    awk -v a="$t0" -v b="$t1" -v n="$LINES" -v m="$mode" -v c="$cpu" \
        'BEGIN { printf "%-4s %d lines in %.3f s, agent CPU %.2f s: %.0f lines/s\n", m, n, b - a, c, n / (b - a) }' |
        tee -a "$TMP/results"
}
for k in $(seq 1 "$REPEATS"); do
    run_one alo "$k"
    run_one eos "$k"
done
# The ratio of each alternating pair too (less sensitive to a busy machine's swings).
awk '$1 == "alo" { a = $(NF-1); ac = $9 } $1 == "eos" { printf "pair %d: lines/s ratio %.2f, CPU ratio %.2f\n", ++k, $(NF-1) / a, $9 / ac }' "$TMP/results"
awk '{ r[$1] = r[$1] " " $(NF-1) } END {
    for (m in r) { n = split(substr(r[m], 2), v, " "); for (i = 1; i <= n; i++) for (j = i + 1; j <= n; j++) if (v[j] < v[i]) { t = v[i]; v[i] = v[j]; v[j] = t }
        med[m] = v[int((n + 1) / 2)] }
    printf "median lines/s: at-least-once %.0f, exactly-once %.0f, ratio %.2f\n", med["alo"], med["eos"], med["eos"] / med["alo"] }' \
    "$TMP/results"
