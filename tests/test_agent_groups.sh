#!/usr/bin/env bash
# kafka-agent groups against a kafka-mock process: the list of groups; one group described
# with its committed offsets, end offsets and lag, exact to the message (N produced, M
# consumed with commits: lag N - M, per partition end - committed), first empty, then with
# two consume -G members (members, assignment, owner of each partition), paused with
# SIGSTOP while more is produced; a kcat -G member (librdkafka's assignment bytes); a
# KIP-848 group of two consume -G members (ConsumerGroupDescribe: epochs, assignments);
# --json; a group that does not exist; a coordinator not
# available (retried, then named). And bench consume -G --consumers 3 on --mock: the RESULT
# line with consumers= and rebalance_ms=, every message counted once, a stable assignment.
# Usage: test_agent_groups.sh PATH/TO/kafka-agent PATH/TO/kafka-mock
set -u
AGENT=${1:?usage: test_agent_groups.sh kafka-agent kafka-mock}
MOCK_BIN=${2:?usage: test_agent_groups.sh kafka-agent kafka-mock}
TMP=$(mktemp -d)
. "$(dirname "$0")/agent_lib.sh"
PIDS=()
trap 'for p in "${PIDS[@]}"; do kill -CONT "$p" 2>/dev/null; kill -9 "$p" 2>/dev/null; done; stop_mock; rm -rf "$TMP"' EXIT
A() { timeout 60 "$AGENT" "$@"; }
wait_for() {
    local end=$((SECONDS + $1)); shift
    until "$@"; do [ $SECONDS -ge $end ] && return 1; sleep 0.2; done
}
produce() { seq "$1" "$2" | awk '{print "k" $1 "\t" $1}' | A produce -b "$BS" -t "$3" -K '\t' 2>"$TMP/e"; }
# The partition lines of groups -G: TOPIC PARTITION COMMITTED END LAG MEMBER.
parts() { awk '$1 == "gt" && $2 ~ /^[0-9]+$/' "$1"; }
sum_col() { parts "$2" | awk -v c="$1" '{s += $c} END {print s + 0}'; }
# Every partition line's lag is its end - committed.
lag_is_end_minus_committed() { parts "$1" | awk '$5 != $4 - $3 {bad++} END {print bad ? "no" : "yes"}'; }
total_lag() { awk '/^total lag/ {print $3}' "$1"; }
describe() { A groups -b "$BS" -G gd >"$TMP/d" 2>"$TMP/de"; }
json_ok() { python3 -c 'import json,sys; json.load(open(sys.argv[1]))' "$1" 2>&1 && echo yes; }

start_mock --brokers 3 --topic gt:4:1 --consumer-heartbeat-interval-ms 200
A groups -b "$BS" >"$TMP/l0" 2>&1; check "no groups: exit 0" 0 $?
contains "no groups: said" "0 groups" "$TMP/l0"

# 1000 produced, 300 consumed and committed by a member that then leaves.
produce 1 1000 gt; check "produce 1000: exit 0" 0 $?
A consume -b "$BS" -t gt -G gd -c 300 -X auto.offset.reset=earliest >"$TMP/c0" 2>"$TMP/ce0"
check "consume -G -c 300: exit 0" 0 $?
describe; check "groups -G gd (empty group): exit 0" 0 $?
contains "empty group: state" 'group "gd": state Empty' "$TMP/d"
contains "empty group: no members" "0 members" "$TMP/d"
check "empty group: 4 partitions" 4 "$(parts "$TMP/d" | wc -l)"
check "empty group: committed sum 300" 300 "$(sum_col 3 "$TMP/d")"
check "empty group: end sum 1000" 1000 "$(sum_col 4 "$TMP/d")"
check "empty group: lag sum 700" 700 "$(sum_col 5 "$TMP/d")"
check "empty group: total lag 700" 700 "$(total_lag "$TMP/d")"
check "empty group: lag = end - committed per partition" yes "$(lag_is_end_minus_committed "$TMP/d")"
check "empty group: no owner" 4 "$(parts "$TMP/d" | awk '$6 == "-"' | wc -l)"

# Two members: they read the other 700, commit, and own two partitions each.
O=(-X auto.offset.reset=earliest -X session.timeout.ms=30000 -X heartbeat.interval.ms=300 -X client.id=tg)
"$AGENT" consume -b "$BS" -t gt -G gd "${O[@]}" >"$TMP/c1" 2>"$TMP/ce1" & P1=$!; PIDS+=($P1)
"$AGENT" consume -b "$BS" -t gt -G gd "${O[@]}" >"$TMP/c2" 2>"$TMP/ce2" & P2=$!; PIDS+=($P2)
stable_caught_up() {
    describe && grep -q 'state Stable.* 2 members' "$TMP/d" && [ "$(total_lag "$TMP/d")" == 0 ] &&
        [ "$(parts "$TMP/d" | awk '$6 != "-"' | wc -l)" == 4 ]
}
wait_for 30 stable_caught_up
contains "two members: stable" 'state Stable, protocol consumer/range' "$TMP/d"
contains "two members: 2 members" "2 members" "$TMP/d"
check "two members: the 700 consumed" 700 "$(cat "$TMP/c1" "$TMP/c2" | wc -l)"
check "two members: committed sum 1000" 1000 "$(sum_col 3 "$TMP/d")"
check "two members: total lag 0" 0 "$(total_lag "$TMP/d")"
check "two members: member lines" 2 "$(grep -c '^  member .*client tg, host ' "$TMP/d")"
check "two members: two partitions each" "2 2" "$(grep '^  member ' "$TMP/d" | awk '{print NF - 6}' | tr '\n' ' ' | sed 's/ $//')"
# Each partition's owner is the member whose line lists it.
owners_ok=yes
while read -r t p c e l m; do
    grep -q "^  member $m, .* $t/$p\( \|$\)" "$TMP/d" || owners_ok="no: $t/$p $m"
done < <(parts "$TMP/d")
check "two members: each partition's owner lists it" yes "$owners_ok"

# Paused members: 200 more produced are lag, exactly.
kill -STOP $P1 $P2
produce 1001 1200 gt
describe; check "paused members: exit 0" 0 $?
check "paused members: still 2 members" 1 "$(grep -c 'state Stable.* 2 members' "$TMP/d")"
check "paused members: end sum 1200" 1200 "$(sum_col 4 "$TMP/d")"
check "paused members: committed sum 1000" 1000 "$(sum_col 3 "$TMP/d")"
check "paused members: total lag 200" 200 "$(total_lag "$TMP/d")"
check "paused members: lag = end - committed per partition" yes "$(lag_is_end_minus_committed "$TMP/d")"
A groups -b "$BS" -G gd --json >"$TMP/j" 2>&1; check "--json: exit 0" 0 $?
check "--json: parses" yes "$(json_ok "$TMP/j")"
check "--json: total lag, members, partitions" "200 2 4 1200" "$(python3 -c '
import json,sys; g = json.load(open(sys.argv[1]))
print(g["total_lag"], len(g["members"]), len(g["partitions"]), sum(p["end"] for p in g["partitions"]))' "$TMP/j")"
A groups -b "$BS" >"$TMP/l1" 2>&1; check "list: exit 0" 0 $?
check "list: gd consumer Stable" 1 "$(grep -cE '^gd +consumer +Stable +[0-9]+$' "$TMP/l1")"
A groups -b "$BS" --json >"$TMP/lj" 2>&1
check "list --json" "gd consumer Stable" "$(python3 -c '
import json,sys; l = json.load(open(sys.argv[1]))["groups"]
print(" ".join(" ".join((g["group"], g["protocol_type"], g["state"])) for g in l))' "$TMP/lj")"
kill -CONT $P1 $P2
wait_for 20 eval 'describe && [ "$(total_lag "$TMP/d")" == 0 ]'
check "resumed: lag 0" 0 "$(total_lag "$TMP/d")"
check "resumed: committed sum 1200" 1200 "$(sum_col 3 "$TMP/d")"
kill -TERM $P1 $P2; wait $P1 $P2 2>/dev/null
check "every message consumed once" 1200 "$(cat "$TMP/c0" "$TMP/c1" "$TMP/c2" | sort -u | wc -l)"

# A member we did not write: kcat -G (librdkafka), its assignment bytes decoded.
if command -v kcat >/dev/null; then
    timeout 60 kcat -b "$BS" -G gk -X auto.offset.reset=earliest -X heartbeat.interval.ms=200 \
        -X auto.commit.interval.ms=200 -q gt >"$TMP/k1" 2>"$TMP/ke" & KP=$!; PIDS+=($KP)
    kcat_caught_up() { A groups -b "$BS" -G gk >"$TMP/dk" 2>&1 && [ "$(sum_col 3 "$TMP/dk")" == 1200 ]; }
    wait_for 30 kcat_caught_up
    contains "kcat member: stable" 'group "gk": state Stable, protocol consumer/range' "$TMP/dk"
    check "kcat member: its assignment decoded" 1 "$(grep -cE '^  member rdkafka-[^,]*, client rdkafka, host [^:]*: gt/0 gt/1 gt/2 gt/3$' "$TMP/dk")"
    check "kcat member: committed 1200, lag 0" "1200 0" "$(sum_col 3 "$TMP/dk") $(total_lag "$TMP/dk")"
    check "kcat member: owns every partition" 4 "$(parts "$TMP/dk" | awk '$6 ~ /^rdkafka-/' | wc -l)"
    kill $KP; wait $KP 2>/dev/null
else
    echo "skip kcat member (no kcat)"
fi

# A KIP-848 group (group.protocol=consumer): described with ConsumerGroupDescribe, the
# group and member epochs, each member's partitions and the per-partition lag.
O8=(-X auto.offset.reset=earliest -X group.protocol=consumer -X client.id=tg8)
"$AGENT" consume -b "$BS" -t gt -G g848 "${O8[@]}" >"$TMP/c81" 2>"$TMP/ce81" & P81=$!; PIDS+=($P81)
"$AGENT" consume -b "$BS" -t gt -G g848 "${O8[@]}" >"$TMP/c82" 2>"$TMP/ce82" & P82=$!; PIDS+=($P82)
kip848_caught_up() {
    A groups -b "$BS" -G g848 >"$TMP/d8" 2>&1 && grep -q 'state Stable.* 2 members' "$TMP/d8" &&
        [ "$(sum_col 3 "$TMP/d8")" == 1200 ] && [ "$(parts "$TMP/d8" | awk '$6 != "-"' | wc -l)" == 4 ]
}
wait_for 30 kip848_caught_up
contains "KIP-848 group: stable, the server assignor" 'group "g848": state Stable, protocol consumer/uniform' "$TMP/d8"
epoch8=$(sed -n 's/.*KIP-848 group epoch \([0-9]*\), assignment epoch \([0-9]*\)$/\1 \2/p' "$TMP/d8")
check "KIP-848 group: group epoch = assignment epoch" yes "$(awk '{print ($1 == $2 && $1 >= 2) ? "yes" : "no: " $0}' <<<"${epoch8:-x y}")"
check "KIP-848 group: members at the group epoch, two partitions each" "2 2" \
    "$(grep -E "^  member [^,]*, client tg8, host /127.0.0.1, epoch ${epoch8%% *}: " "$TMP/d8" | awk '{print NF - 8}' | tr '\n' ' ' | sed 's/ $//')"
check "KIP-848 group: no target line (reconciled)" 0 "$(grep -c '^    target:' "$TMP/d8")"
check "KIP-848 group: committed 1200, lag 0" "1200 0" "$(sum_col 3 "$TMP/d8") $(total_lag "$TMP/d8")"
owners_ok=yes
while read -r t p c e l m; do
    grep -q "^  member $m, .* $t/$p\( \|$\)" "$TMP/d8" || owners_ok="no: $t/$p $m"
done < <(parts "$TMP/d8")
check "KIP-848 group: each partition's owner lists it" yes "$owners_ok"
A groups -b "$BS" -G g848 --json >"$TMP/j8" 2>&1; check "KIP-848 group --json: exit 0" 0 $?
check "KIP-848 group --json" "consumer uniform 2 2,2 yes 0" "$(python3 -c '
import json,sys; g = json.load(open(sys.argv[1])); ms = g["members"]
print(g["type"], g["protocol"], len(ms), ",".join(str(len(m["assignment"])) for m in ms),
      "yes" if all(m["member_epoch"] == g["group_epoch"] == g["assignment_epoch"] and
                   m["assignment"] == m["target_assignment"] for m in ms) else "no", g["total_lag"])' "$TMP/j8")"
kill -TERM $P81 $P82; wait $P81 $P82 2>/dev/null
check "KIP-848 group: every message consumed once" "1200 1200" \
    "$(cat "$TMP/c81" "$TMP/c82" | wc -l) $(cat "$TMP/c81" "$TMP/c82" | sort -u | wc -l)"
A groups -b "$BS" -G g848 >"$TMP/d8" 2>&1
contains "KIP-848 group, members gone: Empty" 'group "g848": state Empty, protocol consumer/uniform' "$TMP/d8"
check "KIP-848 group, members gone: offsets kept" "1200 0" "$(sum_col 3 "$TMP/d8") $(total_lag "$TMP/d8")"

# Errors name the cause.
A groups -b "$BS" -G nosuch >"$TMP/o" 2>"$TMP/e"; check "unknown group: exit 1" 1 $?
contains "unknown group: GROUP_ID_NOT_FOUND" 'GROUP_ID_NOT_FOUND: group "nosuch" does not exist' "$TMP/e"
mock_cmd "error FindCoordinator 3 COORDINATOR_NOT_AVAILABLE"
A groups -b "$BS" -G gd -X retry.backoff.ms=50 >"$TMP/d" 2>"$TMP/e"; check "coordinator back after 3 refusals: exit 0" 0 $?
check "coordinator back after 3 refusals: lag 0" 0 "$(total_lag "$TMP/d")"
mock_cmd "error FindCoordinator 1000 COORDINATOR_NOT_AVAILABLE"
A groups -b "$BS" -G gd -X retry.backoff.ms=50 -X retry.backoff.max.ms=200 --timeout 1500 >"$TMP/o" 2>"$TMP/e"
check "coordinator never available: exit 1" 1 $?
contains "coordinator never available: named" 'COORDINATOR_NOT_AVAILABLE: FindCoordinator for group gd: COORDINATOR_NOT_AVAILABLE (the coordinator of group "gd" still not available after' "$TMP/e"
A groups -b "$BS" -G >"$TMP/o" 2>"$TMP/e"; check "-G without a group: exit 2" 2 $?
stop_mock

# bench consume -G --consumers 3 on the embedded mock.
A bench consume --mock -t bg -n 30000 -s 50 -G gb --consumers 3 -X heartbeat.interval.ms=200 >"$TMP/b" 2>"$TMP/be"
check "bench consume -G --consumers 3: exit 0" 0 $?
check "bench consume -G: RESULT line" 1 "$(grep -cE '^RESULT mode=consume msgs=30000 bytes=1500000 wall_s=[0-9.]+ msgs_per_s=[0-9.]+ mb_per_s=[0-9.]+ consumers=3 rebalance_ms=[0-9.]+$' "$TMP/b")"
[ "$(grep -c RESULT "$TMP/b")" == 1 ] || cat "$TMP/b" "$TMP/be"
contains "bench consume -G: every member had partitions" "stable assignment: 3 members" "$TMP/be"

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
