#!/usr/bin/env bash
# The main job: builds (Release) and runs kafka-agent end to end.
#   - on a cluster: KAFKA_BROKERS=host:port,... bash scripts/run.sh
#   - otherwise on our mock cluster (a kafka-mock process of 3 brokers on 127.0.0.1)
# Steps: a generated log of 100,000 lines is shipped by the service (`kafka-agent run`,
# stopped with SIGTERM once its checkpoint reaches the end of the file), read back with
# `kafka-agent consume` and compared line for line; a second log goes through
# `kafka-agent produce`; `bench produce` and
# `bench consume` print their RESULT lines; then (mock only) the producer against
# librdkafka's in one run (bench/producer_e2e), our consumer loop against librdkafka's
# (bench/consumer_e2e) and the CRC gate.
set -euo pipefail
cd "$(dirname "$0")/.."
jobs=$(nproc 2>/dev/null || echo 2)
build=${KAFKA_BUILD_DIR:-$(pwd)/build}/release
bash scripts/install-deps.sh
cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build "$build" -j"$jobs" --target kafka-agent kafka-mock producer_e2e consumer_e2e crc_gate
A=$build/daemon/kafka-agent
work=$(mktemp -d)
mock_pid=
cleanup() {
    [ -n "$mock_pid" ] && { exec 7>&-; wait "$mock_pid" 2>/dev/null || true; }
    rm -rf "$work"
}
trap cleanup EXIT

if [ -n "${KAFKA_BROKERS:-}" ]; then
    bs=$KAFKA_BROKERS
    topic=libkafka-run-$$
else
    mkfifo "$work/in" "$work/out"
    # --retention 0: bench consume reads back all 2,000,000 messages bench produce wrote
    # (27 MB a partition; the mock keeps 8 MiB a partition by default).
    "$build/daemon/kafka-mock" --brokers 3 --topic app-logs:4:3 --topic bench:8:1 --retention 0 \
        <"$work/in" >"$work/out" &
    mock_pid=$!
    exec 7>"$work/in" 8<"$work/out"
    read -r line <&8
    bs=${line#BOOTSTRAP }
    topic=app-logs
    echo "== mock cluster: $bs"
fi

echo "== ship a log: kafka-agent run"
mkdir -p "$work/logs" "$work/data"
for i in $(seq 1 100000); do printf 'host-%d\t%s GET /item/%d 200\n' $((i % 16)) "2026-11-23T12:00:00Z" "$i"; done >"$work/logs/app.log"
cat >"$work/agent.conf" <<CONF
bootstrap.servers = $bs
data.dir = $work/data
stats.interval.ms = 1000
[input.app]
type = file
path = $work/logs/*.log
topic = $topic
key.delimiter = \t
CONF
"$A" run -c "$work/agent.conf" &
run_pid=$!
size=$(stat -c %s "$work/logs/app.log")
for _ in $(seq 1 300); do
    grep -q " $size $work/logs/app.log" "$work/data/checkpoints" 2>/dev/null && break
    sleep 0.1
done
kill -TERM "$run_pid"
wait "$run_pid"
echo "checkpoint: $(cat "$work/data/checkpoints")"
echo "== read it back: kafka-agent consume"
"$A" consume -b "$bs" -t "$topic" -e -f '%k\t%s\n' >"$work/read.log"
if [ "$(sort "$work/logs/app.log" | md5sum)" == "$(sort "$work/read.log" | md5sum)" ]; then
    echo "all $(wc -l <"$work/logs/app.log") lines read back, each once"
else
    echo "MISMATCH: $(wc -l <"$work/read.log") lines read back of $(wc -l <"$work/logs/app.log")"
    exit 1
fi
echo "== and one through kafka-agent produce"
seq 1 1000 | "$A" produce -b "$bs" -t "$topic-cli"
"$A" metadata -b "$bs" -t "$topic"

echo "== kafka-agent bench produce (acks=1) and bench consume"
"$A" bench produce -b "$bs" -t bench -n 2000000 -s 100 -X acks=1
"$A" bench consume -b "$bs" -t bench -n 2000000 -s 100

if [ -z "${KAFKA_BROKERS:-}" ]; then
    exec 7>&-
    wait "$mock_pid" || true
    mock_pid=
    echo "== our producer and librdkafka's, one kafka-mock, one run"
    "$build/bench/producer_e2e" "$build/daemon/kafka-mock" 2000000 3
    echo "== our consumer and librdkafka's, one kafka-mock, one run"
    "$build/bench/consumer_e2e" "$build/daemon/kafka-mock" 2000000 3
    echo "== CRC gate"
    "$build/bench/crc_gate"
fi
