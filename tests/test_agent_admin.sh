#!/usr/bin/env bash
# kafka-agent topics and configs from the command line against a kafka-mock process:
# list, create (configs, validate-only), describe (partitions, replicas, ISRs, configs),
# grow, delete, broker configs; every error named, exit codes 0/1/2; the embedded --mock;
# a controller going down; and kcat (an independent client) seeing the topics we created
# and not those we deleted.
# Usage: test_agent_admin.sh PATH/TO/kafka-agent PATH/TO/kafka-mock
set -u
AGENT=${1:?usage: test_agent_admin.sh kafka-agent kafka-mock}
MOCK_BIN=${2:?usage: test_agent_admin.sh kafka-agent kafka-mock}
KCAT=${KCAT:-kcat}
TMP=$(mktemp -d)
. "$(dirname "$0")/agent_lib.sh"
trap 'stop_mock; rm -rf "$TMP"' EXIT
A() { timeout 60 "$AGENT" "$@"; }

# ---- help and usage errors (no broker needed) ----
for m in topics configs; do
    A $m --help >"$TMP/h" 2>&1; check "$m --help: exit 0" 0 $?
    contains "$m --help shows the common options" "--mock[=N]" "$TMP/h"
done
A topics --help >"$TMP/h"; contains "topics --help names --create" "--create NAME" "$TMP/h"
contains "topics --help names --replication-factor" "--replication-factor R" "$TMP/h"
A --help >"$TMP/h" 2>&1; contains "the modes help lists topics" "  topics   " "$TMP/h"
contains "the modes help lists configs" "  configs  --describe" "$TMP/h"
A topics -b 127.0.0.1:1 --create x --delete y 2>"$TMP/e"; check "two actions: exit 2" 2 $?
contains "two actions: said" "one of --create, --delete, --describe, --alter" "$TMP/e"
A topics -b 127.0.0.1:1 --create x --partitions 0 2>"$TMP/e"; check "--partitions 0: exit 2" 2 $?
A topics -b 127.0.0.1:1 --create x --replication-factor abc 2>"$TMP/e"; check "bad factor: exit 2" 2 $?
A topics -b 127.0.0.1:1 --create x --config nokey 2>"$TMP/e"; check "--config without =: exit 2" 2 $?
contains "--config without = is named" "--config wants key=value" "$TMP/e"
A topics -b 127.0.0.1:1 --alter x 2>"$TMP/e"; check "--alter without --partitions: exit 2" 2 $?
A configs -b 127.0.0.1:1 --topic x 2>"$TMP/e"; check "configs without --describe: exit 2" 2 $?
A configs -b 127.0.0.1:1 --describe 2>"$TMP/e"; check "configs without a resource: exit 2" 2 $?
A configs -b 127.0.0.1:1 --describe --broker one 2>"$TMP/e"; check "configs --broker one: exit 2" 2 $?
A topics -b 127.0.0.1:1 -X request.timeout.ms=300 2>"$TMP/e"; check "unreachable broker: exit 1" 1 $?

# ---- against a kafka-mock process ----
start_mock --brokers 3 --topic pre:2:2
A topics -b "$BS" >"$TMP/o" 2>"$TMP/e"; check "list: exit 0" 0 $?
contains "list shows the pre-made topic" "  pre: 2 partitions, replication factor 2" "$TMP/o"
A topics -b "$BS" --create orders --partitions 6 --replication-factor 2 --config cleanup.policy=compact \
    --config retention.bytes=1000000 >"$TMP/o" 2>"$TMP/e"
check "create: exit 0" 0 $?
contains "create says so" 'created topic "orders" (partitions 6, replication factor 2, 2 configs)' "$TMP/o"
A topics -b "$BS" >"$TMP/o"; contains "list shows the new topic" "  orders: 6 partitions, replication factor 2" "$TMP/o"
A topics -b "$BS" --describe orders >"$TMP/o" 2>"$TMP/e"; check "describe: exit 0" 0 $?
contains "describe: header" 'topic "orders": 6 partitions, replication factor 2' "$TMP/o"
check "describe: 6 partition lines" 6 "$(grep -c '^  partition [0-5], leader [1-3], replicas: [1-3],[1-3], isrs: [1-3],[1-3]$' "$TMP/o")"
contains "describe: a set config" "  cleanup.policy=compact" "$TMP/o"
contains "describe: another set config" "  retention.bytes=1000000" "$TMP/o"
contains "describe: a default marked" "  retention.ms=604800000 (default)" "$TMP/o"
if grep -q 'cleanup.policy=compact (default)' "$TMP/o"; then fail "a set config is not marked default"; else pass "a set config is not marked default"; fi

A topics -b "$BS" --create orders --partitions 1 --replication-factor 1 2>"$TMP/e"; check "create existing: exit 1" 1 $?
contains "TOPIC_ALREADY_EXISTS named" "cannot create topic \"orders\": TOPIC_ALREADY_EXISTS: Topic 'orders' already exists." "$TMP/e"
A topics -b "$BS" --create wide --partitions 1 --replication-factor 4 2>"$TMP/e"; check "factor 4 of 3: exit 1" 1 $?
contains "INVALID_REPLICATION_FACTOR with the broker count" "INVALID_REPLICATION_FACTOR: Replication factor: 4 larger than available brokers: 3." "$TMP/e"
A topics -b "$BS" --create c1 --config no.such=1 2>"$TMP/e"; check "unknown config: exit 1" 1 $?
contains "INVALID_CONFIG names the key" "INVALID_CONFIG: Unknown topic config name: no.such" "$TMP/e"
A topics -b "$BS" --create c2 --config cleanup.policy=shred 2>"$TMP/e"; check "bad config value: exit 1" 1 $?
contains "INVALID_CONFIG names the value" "Invalid value shred for configuration cleanup.policy" "$TMP/e"
A topics -b "$BS" --create 'bad/name' 2>"$TMP/e"; check "bad name: exit 1" 1 $?
contains "INVALID_TOPIC_EXCEPTION named" "INVALID_TOPIC_EXCEPTION" "$TMP/e"
A topics -b "$BS" --create val --partitions 3 --validate-only >"$TMP/o" 2>"$TMP/e"; check "validate-only: exit 0" 0 $?
contains "validate-only says so" 'validated topic "val"' "$TMP/o"
A topics -b "$BS" >"$TMP/o"; if grep -q '  val:' "$TMP/o"; then fail "validate-only creates nothing"; else pass "validate-only creates nothing"; fi

A topics -b "$BS" --alter orders --partitions 8 >"$TMP/o" 2>"$TMP/e"; check "alter: exit 0" 0 $?
contains "alter says so" 'grew topic "orders" to 8 partitions' "$TMP/o"
A topics -b "$BS" >"$TMP/o"; contains "list shows 8 partitions" "  orders: 8 partitions, replication factor 2" "$TMP/o"
A topics -b "$BS" --alter orders --partitions 4 2>"$TMP/e"; check "shrink: exit 1" 1 $?
contains "INVALID_PARTITIONS named" "INVALID_PARTITIONS: Topic currently has 8 partitions, which is higher than the requested 4." "$TMP/e"
A topics -b "$BS" --alter nope --partitions 4 2>"$TMP/e"; check "alter unknown: exit 1" 1 $?
contains "alter unknown: UNKNOWN_TOPIC_OR_PARTITION" "UNKNOWN_TOPIC_OR_PARTITION" "$TMP/e"

A configs -b "$BS" --describe --topic orders >"$TMP/o" 2>"$TMP/e"; check "configs --topic: exit 0" 0 $?
contains "configs --topic header" 'configs of topic "orders":' "$TMP/o"
check "configs --topic: 18 configs" 18 "$(grep -c '^  [a-z.]*=' "$TMP/o")"
A configs -b "$BS" --describe --broker 2 >"$TMP/o" 2>"$TMP/e"; check "configs --broker: exit 0" 0 $?
contains "broker configs: broker.id" "  broker.id=2 (read-only)" "$TMP/o"
contains "broker configs: message.max.bytes" "  message.max.bytes=1048588 (default)" "$TMP/o"
contains "broker configs: auto.create.topics.enable" "  auto.create.topics.enable=" "$TMP/o"
contains "broker configs: num.partitions" "  num.partitions=4" "$TMP/o"
contains "broker configs: a sensitive value masked" "  ssl.keystore.password=(sensitive)" "$TMP/o"
A configs -b "$BS" --describe --broker 9 2>"$TMP/e"; check "configs of an unknown broker: exit 1" 1 $?
contains "unknown broker named" "broker 9 is not in the cluster's metadata (brokers: 1 2 3)" "$TMP/e"
A configs -b "$BS" --describe --topic nope 2>"$TMP/e"; check "configs of an unknown topic: exit 1" 1 $?
contains "unknown topic named" 'topic "nope": UNKNOWN_TOPIC_OR_PARTITION' "$TMP/e"
A topics -b "$BS" --describe nope 2>"$TMP/e"; check "describe unknown: exit 1" 1 $?

A topics -b "$BS" --create doomed --partitions 2 --replication-factor 1 >/dev/null 2>&1
A topics -b "$BS" --delete doomed >"$TMP/o" 2>"$TMP/e"; check "delete: exit 0" 0 $?
contains "delete says so" 'deleted topic "doomed"' "$TMP/o"
A topics -b "$BS" --delete doomed 2>"$TMP/e"; check "delete again: exit 1" 1 $?
contains "delete again: UNKNOWN_TOPIC_OR_PARTITION" 'cannot delete topic "doomed": UNKNOWN_TOPIC_OR_PARTITION' "$TMP/e"

# kcat, an independent client, sees what we created and not what we deleted.
if command -v "$KCAT" >/dev/null; then
    "$KCAT" -b "$BS" -L >"$TMP/k" 2>&1
    contains "kcat -L sees orders with 8 partitions" 'topic "orders" with 8 partitions' "$TMP/k"
    if grep -q '"doomed"' "$TMP/k"; then fail "kcat -L does not see the deleted topic"; else pass "kcat -L does not see the deleted topic"; fi
    # It writes to a grown partition and reads it back.
    printf 'm1\nm2\n' | "$KCAT" -b "$BS" -P -t orders -p 7 2>"$TMP/e"
    "$KCAT" -b "$BS" -C -t orders -p 7 -o beginning -e -q >"$TMP/k" 2>&1
    check "kcat uses a grown partition" "m1 m2" "$(tr '\n' ' ' <"$TMP/k" | sed 's/ $//')"
else
    echo "kcat not found: kcat checks skipped"
fi

# The controller (broker 1) goes down: the next create finds broker 2.
mock_cmd "down 1"
A topics -b "$BS" --create after --partitions 1 --replication-factor 2 >"$TMP/o" 2>"$TMP/e"; check "create with the controller down: exit 0" 0 $?
A topics -b "$BS" >"$TMP/o"; contains "the topic is there" "  after: 1 partitions, replication factor 2" "$TMP/o"
A topics -b "$BS" --create wide --partitions 1 --replication-factor 3 2>"$TMP/e"; check "factor 3 of 2 live: exit 1" 1 $?
contains "the live broker count named" "Replication factor: 3 larger than available brokers: 2." "$TMP/e"
stop_mock

# ---- the embedded mock ----
A topics --mock=2 --create m --partitions 2 --replication-factor 2 >"$TMP/o" 2>"$TMP/e"; check "--mock create: exit 0" 0 $?
A topics --mock=2 --create m --partitions 2 --replication-factor 3 2>"$TMP/e"; check "--mock factor 3 of 2: exit 1" 1 $?
contains "--mock: broker count named" "larger than available brokers: 2" "$TMP/e"
A configs --mock --describe --broker 1 >"$TMP/o" 2>"$TMP/e"; check "--mock configs: exit 0" 0 $?
contains "--mock configs: broker.id" "  broker.id=1 (read-only)" "$TMP/o"

echo "passed $passed, failed $failed"
[ "$failed" -eq 0 ]
