#!/usr/bin/env bash
# kafka-agent's modes from the command line against a kafka-mock process (and kcat, an
# independent client, to check what was written): produce (keys, oversize lines,
# unreachable brokers), metadata, offsets, bench with its RESULT line, the common
# options and the exit codes (0 ok, 1 delivery/broker failure, 2 usage/config).
# Usage: test_agent_cli.sh PATH/TO/kafka-agent PATH/TO/kafka-mock
set -u
AGENT=${1:?usage: test_agent_cli.sh kafka-agent kafka-mock}
MOCK_BIN=${2:?usage: test_agent_cli.sh kafka-agent kafka-mock}
KCAT=${KCAT:-kcat}
TMP=$(mktemp -d)
. "$(dirname "$0")/agent_lib.sh"
trap 'stop_mock; rm -rf "$TMP"' EXIT
A() { timeout 60 "$AGENT" "$@"; }

# ---- common options and exit codes ----
A --version >"$TMP/v" 2>&1
contains "--version names jemalloc as the allocator" "allocator jemalloc 5" "$TMP/v"
A >/dev/null 2>&1; check "no mode: exit 2" 2 $?
A frobnicate >/dev/null 2>&1; check "unknown mode: exit 2" 2 $?
for m in produce consume metadata offsets bench; do
    A $m --help >"$TMP/h" 2>&1; check "$m --help: exit 0" 0 $?
    contains "$m --help shows the common options" "--mock[=N]" "$TMP/h"
done
A produce -b 127.0.0.1:1 >/dev/null 2>"$TMP/e"; check "produce without -t: exit 2" 2 $?
A produce -t x -X no.such.key=1 </dev/null 2>"$TMP/e"; check "unknown -X key: exit 2" 2 $?
contains "unknown -X key is named" "no.such.key" "$TMP/e"
A produce -t x -X linger.ms=-5 </dev/null 2>"$TMP/e"; check "bad -X value: exit 2" 2 $?
contains "bad -X value names the key" "linger.ms" "$TMP/e"
A produce -t x -F "$TMP/missing.properties" </dev/null 2>"$TMP/e"; check "-F missing file: exit 2" 2 $?
contains "-F names the file" "missing.properties" "$TMP/e"
printf 'acks=1\nlinger.ms=zz\n' >"$TMP/bad.properties"
A produce -t x -F "$TMP/bad.properties" </dev/null 2>"$TMP/e"; check "-F bad value: exit 2" 2 $?
contains "-F error has file:line" "bad.properties:2" "$TMP/e"
A produce -b 1.2.3.4:9092 --mock -t x </dev/null 2>"$TMP/e"; check "-b with --mock: exit 2" 2 $?

# ---- against a kafka-mock process ----
start_mock --brokers 3 --topic logs:4:3 --topic small:1:1
for i in $(seq 1 1000); do printf 'key-%d\tvalue %d\n' $((i % 10)) "$i"; done >"$TMP/lines"
A produce -b "$BS" -t logs -K '\t' "$TMP/lines" 2>"$TMP/e"; check "produce 1000 lines: exit 0" 0 $?
contains "produce summary counts deliveries" "1000 delivered, 0 failed" "$TMP/e"
if command -v "$KCAT" >/dev/null 2>&1; then
    timeout 30 "$KCAT" -b "$BS" -C -t logs -e -q -f '%k|%s\n' >"$TMP/read" 2>/dev/null
    check "kcat reads back 1000 messages" 1000 "$(wc -l <"$TMP/read")"
    check "keys and values split at the tab" "key-3|value 3" "$(grep -m1 -x 'key-3|value 3' "$TMP/read")"
    check "every value once" 1000 "$(cut -d'|' -f2 "$TMP/read" | sort -u | wc -l)"
    # one key -> one partition (the partitioner)
    timeout 30 "$KCAT" -b "$BS" -C -t logs -e -q -f '%k %p\n' | sort -u >"$TMP/kp"
    check "each key in one partition" 10 "$(wc -l <"$TMP/kp")"
fi
printf 'short\n%02000d\nafter\n' 7 >"$TMP/over"
A produce -b "$BS" -t small -X message.max.bytes=1000 "$TMP/over" 2>"$TMP/e"; check "oversize line skipped: exit 0" 0 $?
contains "oversize line reported with file:line and size" "over:2: line of 2000 bytes" "$TMP/e"
contains "the other lines delivered" "2 delivered" "$TMP/e"
A produce -b "$BS" -t small -X message.max.bytes=1000 --oversize fail "$TMP/over" 2>"$TMP/e"
check "oversize line with --oversize fail: exit 1" 1 $?
echo x | A produce -b "$BS" -t small -p 7 2>"$TMP/e"; check "no such partition: exit 2" 2 $?
contains "no such partition is named" "partitions 0..0" "$TMP/e"
start=$(date +%s%N)
echo x | A produce -b 127.0.0.1:1 -t x -X delivery.timeout.ms=1500 -X request.timeout.ms=1000 2>"$TMP/e"
rc=$?
took=$((($(date +%s%N) - start) / 1000000))
check "unreachable broker: exit 1" 1 $rc
contains "unreachable broker: the cause is named" "refused" "$TMP/e"
if [ "$took" -lt 10000 ]; then pass "unreachable broker: bounded ($took ms)"; else fail "unreachable bounded" "<10000 ms" "$took"; fi

# consume: what produce wrote, formatted as asked
A consume -b "$BS" -t logs -e -f '%k|%s\n' >"$TMP/c" 2>"$TMP/e"; check "consume -e: exit 0" 0 $?
check "consume reads back the 1000 lines" "$(sort "$TMP/lines" | tr '\t' '|')" "$(sort "$TMP/c")"
check "consume -c 10" 10 "$(A consume -b "$BS" -t logs -c 10 2>/dev/null | wc -l)"
check "consume -o end -e: nothing" 0 "$(A consume -b "$BS" -t logs -o end -e 2>/dev/null | wc -l)"
check "consume -o @0 -e: everything" 1000 "$(A consume -b "$BS" -t logs -o @0 -e 2>/dev/null | wc -l)"
future=$((($(date +%s) + 3600) * 1000))
check "consume -o @future -e: nothing" 0 "$(A consume -b "$BS" -t logs -o "@$future" -e 2>/dev/null | wc -l)"
n0=$(A consume -b "$BS" -t logs -p 0 -e 2>/dev/null | wc -l)
first=$(A consume -b "$BS" -t logs -p 0 -o 3 -e -f '%t %p %o\n' 2>/dev/null | head -1)
if [ "$n0" -gt 3 ]; then check "consume -p 0 -o 3: starts at offset 3 (%t %p %o)" "logs 0 3" "$first"; fi
line=$(A consume -b "$BS" -t logs -c 1 -f '%S %T' 2>/dev/null)
if [[ "$line" =~ ^[0-9]+\ [0-9]{13}$ ]]; then pass "consume %S %T: size and a ms timestamp ($line)"; else fail "%S %T" "SIZE MS" "$line"; fi
# -G: commits what it printed; a rerun resumes there (Kafka storage, then a file)
A consume -b "$BS" -t logs -G g1 -X auto.offset.reset=earliest -c 300 >"$TMP/g1" 2>"$TMP/e"; check "consume -G -c 300: exit 0" 0 $?
A consume -b "$BS" -t logs -G g1 -X auto.offset.reset=earliest -e >"$TMP/g2" 2>"$TMP/e"; check "consume -G rerun: exit 0" 0 $?
check "consume -G: the rerun prints the other 700" 700 "$(wc -l <"$TMP/g2")"
check "consume -G: together every message once" 1000 "$(cat "$TMP/g1" "$TMP/g2" | sort -u | wc -l)"
check "consume -G at the end: nothing more" 0 "$(A consume -b "$BS" -t logs -G g1 -X auto.offset.reset=earliest -e 2>/dev/null | wc -l)"
A consume -b "$BS" -t logs -G g2 -X auto.offset.reset=earliest -X offsets.storage=file -X offsets.file="$TMP/offs" -c 10 >/dev/null 2>"$TMP/e"
check "consume -G with offsets.file: resumes after 10" 990 "$(A consume -b "$BS" -t logs -G g2 -X auto.offset.reset=earliest -X offsets.storage=file -X offsets.file="$TMP/offs" -e 2>/dev/null | wc -l)"
if grep -q '^logs [0-3] [0-9]' "$TMP/offs"; then pass "offsets.file holds topic partition offset lines"; else fail "offsets.file" "topic partition offset" "$(cat "$TMP/offs")"; fi
A bench consume -b "$BS" -t logs -n 1000 -s 20 >"$TMP/b" 2>"$TMP/be"; check "bench consume: exit 0" 0 $?
re='^RESULT mode=consume msgs=1000 bytes=[0-9]+ wall_s=[0-9.]+ msgs_per_s=[0-9.]+ mb_per_s=[0-9.]+$'
if tail -1 "$TMP/b" | grep -Eq "$re"; then pass "bench consume: the RESULT line"; else fail "consume RESULT" "$re" "$(tail -1 "$TMP/b")"; fi

# consume past a batch damaged on the broker: reported (exit 1), the rest still printed
mock_cmd "topic dmg 1 1"
seq 1 10 | A produce -b "$BS" -t dmg -p 0 2>/dev/null
seq 11 20 | A produce -b "$BS" -t dmg -p 0 2>/dev/null
mock_cmd "damage dmg 0 3 crc"
A consume -b "$BS" -t dmg -e >"$TMP/c" 2>"$TMP/e"; check "consume of a damaged batch: exit 1" 1 $?
contains "consume names the damaged batch and its CRC" "CRC-32C" "$TMP/e"
check "consume prints the batch after the damaged one" "$(seq 11 20)" "$(cat "$TMP/c")"

A metadata -b "$BS" -t logs >"$TMP/md" 2>&1; check "metadata: exit 0" 0 $?
contains "metadata lists brokers" "3 brokers:" "$TMP/md"
contains "metadata lists the topic's partitions" 'topic "logs" with 4 partitions:' "$TMP/md"
contains "metadata shows replicas and isrs" "replicas: " "$TMP/md"
A metadata -b "$BS" -v >"$TMP/md" 2>&1
contains "metadata -v shows negotiated versions" "Produce          ( 0) v9" "$TMP/md"
contains "metadata without -t lists every topic" 'topic "small"' "$TMP/md"

sum=0
for p in 0 1 2 3; do
    o=$(A offsets -b "$BS" -t logs -p $p --time latest 2>/dev/null)
    sum=$((sum + o))
done
check "offsets: latest offsets of the partitions add up to 1000" 1000 "$sum"
check "offsets: earliest is 0" 0 "$(A offsets -b "$BS" -t logs -p 0 --time earliest 2>/dev/null)"
A offsets -b "$BS" -t logs 2>/dev/null; check "offsets without -p: exit 2" 2 $?

A bench produce -b "$BS" -t bench -n 20000 -s 100 -X acks=1 >"$TMP/b" 2>"$TMP/be"; check "bench produce: exit 0" 0 $?
re='^RESULT mode=produce msgs=20000 bytes=2000000 wall_s=[0-9.]+ msgs_per_s=[0-9.]+ mb_per_s=[0-9.]+ lat_avg_ms=[0-9.]+ lat_p50_ms=[0-9.]+ lat_p99_ms=[0-9.]+ lat_p999_ms=[0-9.]+ lat_max_ms=[0-9.]+ delivered=20000 failed=0$'
if tail -1 "$TMP/b" | grep -Eq "$re"; then pass "bench produce: the RESULT line"; else fail "RESULT line" "$re" "$(tail -1 "$TMP/b")"; fi
A bench produce -b "$BS" -t bench -n 3000 -s 10 --rate 2000 --json >"$TMP/b" 2>"$TMP/be"
check "bench --rate --json: exit 0" 0 $?
if head -1 "$TMP/b" | python3 -c 'import json,sys; r=json.load(sys.stdin); assert r["msgs"]==3000 and r["delivered"]==3000 and r["wall_s"]>=1.3, r' 2>"$TMP/pe"
then pass "bench --json: a JSON report; --rate 2000 holds 3000 messages to >= 1.3 s"
else fail "bench --json / --rate" "json with wall_s >= 1.3" "$(head -c 300 "$TMP/b") $(cat "$TMP/pe")"; fi
contains "bench: a progress line each second" "bench produce: " "$TMP/be"
# batch.size 1 MiB over the brokers' message.max.bytes (issue 11): refused batches are
# split, every message delivered; messages each over the limit fail, and the RESULT
# line's rates count only what was delivered.
mock_cmd "message.max.bytes 100000"
A bench produce -b "$BS" -t bigbatch -n 200000 -s 100 -X acks=1 -X linger.ms=20 -X batch.size=1048576 >"$TMP/b" 2>"$TMP/be"
check "bench produce, batch.size 1 MiB over the broker's limit: exit 0" 0 $?
re='^RESULT mode=produce msgs=200000 bytes=20000000 .* delivered=200000 failed=0$'
if tail -1 "$TMP/b" | grep -Eq "$re"; then pass "bench produce, batch.size over the broker's limit: all delivered"; else fail "split batches" "$re" "$(tail -1 "$TMP/b"; tail -3 "$TMP/be")"; fi
if tail -1 "$TMP/b" | python3 -c 'import sys; r=dict(kv.split("=") for kv in sys.stdin.read().split()[1:]); assert abs(float(r["msgs_per_s"]) * float(r["wall_s"]) - int(r["delivered"])) <= 0.01 * int(r["delivered"]) + 1, r' 2>"$TMP/pe"
then pass "bench produce: msgs_per_s x wall_s = delivered"; else fail "msgs_per_s" "delivered / wall_s" "$(tail -1 "$TMP/b") $(cat "$TMP/pe")"; fi
mock_cmd "message.max.bytes 3000"
A bench produce -b "$BS" -t bigbatch -n 300 -s 5000 -X acks=1 >"$TMP/b" 2>"$TMP/be"
check "bench produce, every message over the broker's limit: exit 1" 1 $?
re='^RESULT mode=produce msgs=300 bytes=1500000 wall_s=[0-9.]+ msgs_per_s=0\.0 mb_per_s=0\.00 .* delivered=0 failed=300$'
if tail -1 "$TMP/b" | grep -Eq "$re"; then pass "bench produce: nothing delivered, rates 0"; else fail "RESULT rates count delivered only" "$re" "$(tail -1 "$TMP/b")"; fi
contains "bench produce: the failure names MESSAGE_TOO_LARGE" "MESSAGE_TOO_LARGE" "$TMP/be"
mock_cmd "message.max.bytes 0"
stop_mock

# the shipped examples are valid properties files
here=$(cd "$(dirname "$0")/.." && pwd)
for f in producer consumer; do
    A metadata --mock=1 -F "$here/config/$f.properties" >/dev/null 2>"$TMP/e"; check "config/$f.properties is valid" 0 $?
done

# --mock: the embedded cluster
printf 'a\nb\n' | A produce --mock=1 -t t 2>"$TMP/e"; check "--mock=1 produce: exit 0" 0 $?
contains "--mock says where the cluster is" "embedded mock cluster of 1 brokers" "$TMP/e"

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
