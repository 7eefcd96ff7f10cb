#!/usr/bin/env bash
# kafka-agent consume -G as a consumer group member against a kafka-mock process: two
# agents split a topic and print each message once; one killed with SIGKILL loses its
# partitions to the other after session.timeout.ms, and what it printed was committed
# (nothing printed twice); SIGTERM, -c and -e leave the group; -t repeats; -v tells the
# assignment on stderr. With kcat installed, kcat -G (librdkafka's balanced consumer, a
# member we did not write) shares a group with one of ours: each message printed once.
# The same with group.protocol=consumer (KIP-848): two agents split a topic, a SIGKILL
# moves the partitions after the coordinator's session, SIGTERM leaves.
# Usage: test_agent_group.sh PATH/TO/kafka-agent PATH/TO/kafka-mock
set -u
AGENT=${1:?usage: test_agent_group.sh kafka-agent kafka-mock}
MOCK_BIN=${2:?usage: test_agent_group.sh kafka-agent kafka-mock}
TMP=$(mktemp -d)
. "$(dirname "$0")/agent_lib.sh"
PIDS=()
trap 'for p in "${PIDS[@]}"; do kill -9 "$p" 2>/dev/null; done; stop_mock; [ -n "${KEEP_TMP:-}" ] || rm -rf "$TMP"' EXIT
A() { timeout 60 "$AGENT" "$@"; }
# mock_reply LINE: one stdin command; its reply in REPLY.
mock_reply() { printf '%s\n' "$1" >&"$MOCK_IN"; REPLY=; read -r -t 5 -u "$MOCK_OUT" REPLY; }
# wait_for SECONDS COMMAND...: until the command succeeds; false at the deadline.
wait_for() {
    local end=$((SECONDS + $1)); shift
    until "$@"; do [ $SECONDS -ge $end ] && return 1; sleep 0.2; done
}
lines() { cat "$@" 2>/dev/null | wc -l; }
# produce FIRST LAST TOPIC: the values FIRST..LAST, keyed so they spread over the partitions.
produce() { seq "$1" "$2" | awk '{print "k" $1 "\t" $1}' | A produce -b "$BS" -t "$3" -K '\t' 2>"$TMP/e"; }
unique() { cat "$@" 2>/dev/null | sort -u | wc -l; }
has_lines() { local n=$1; shift; [ "$(unique "$@")" -ge "$n" ]; }
GROUP_OPTS=(-X auto.offset.reset=earliest -X session.timeout.ms=3000 -X heartbeat.interval.ms=300 -f '%p %o %s\n')

start_mock --brokers 3 --topic gl:6:1 --topic gm:2:1 --topic gk:6:1 --topic gc:6:1 \
    --consumer-session-timeout-ms 2000 --consumer-heartbeat-interval-ms 200
produce 1 1000 gl; check "produce 1000: exit 0" 0 $?

# Two members.
"$AGENT" consume -b "$BS" -t gl -G g1 -v "${GROUP_OPTS[@]}" >"$TMP/c1" 2>"$TMP/e1" & P1=$!; PIDS+=($P1)
wait_for 20 has_lines 1000 "$TMP/c1"; check "member 1 alone prints the 1000" 1000 "$(unique "$TMP/c1")"
"$AGENT" consume -b "$BS" -t gl -G g1 -v "${GROUP_OPTS[@]}" >"$TMP/c2" 2>"$TMP/e2" & P2=$!; PIDS+=($P2)
wait_for 20 grep -q 'assigned: gl/' "$TMP/e2"; contains "-v: member 2 tells its assignment" "group g1: assigned: gl/" "$TMP/e2"
contains "-v: member 1 tells the revoke" "group g1: revoked: gl/" "$TMP/e1"
wait_for 10 eval 'mock_reply "group g1"; [[ "$REPLY" == *state=Stable*members=2* ]]'
check "the group is stable with 2 members" "yes" "$([[ "$REPLY" == *state=Stable*members=2* ]] && echo yes || echo "$REPLY")"
produce 1001 2000 gl
wait_for 20 has_lines 2000 "$TMP/c1" "$TMP/c2"
check "two members: 2000 printed" 2000 "$(lines "$TMP/c1" "$TMP/c2")"
check "two members: each once" 2000 "$(unique "$TMP/c1" "$TMP/c2")"
check "member 2 printed its share" yes "$([ "$(lines "$TMP/c2")" -gt 100 ] && echo yes || lines "$TMP/c2")"

# SIGKILL of member 2 (idle for over a second: everything it printed is committed).
sleep 1.5
kill -9 $P2; wait $P2 2>/dev/null
c2_lines=$(lines "$TMP/c2")
wait_for 20 eval '[ "$(grep -c "assigned: gl/" "$TMP/e1")" -ge 3 ]'
wait_for 10 eval 'mock_reply "group g1"; [[ "$REPLY" == *state=Stable*members=1* ]]'
check "after the kill and session.timeout.ms: 1 member" "yes" "$([[ "$REPLY" == *state=Stable*members=1* ]] && echo yes || echo "$REPLY")"
produce 2001 3000 gl
wait_for 20 has_lines 3000 "$TMP/c1" "$TMP/c2"
check "after the kill: every message printed" 3000 "$(unique "$TMP/c1" "$TMP/c2")"
check "after the kill: nothing printed twice" 3000 "$(lines "$TMP/c1" "$TMP/c2")"
check "member 1 took member 2's partitions" 1000 "$(awk '$3 > 2000' "$TMP/c1" | wc -l)"

# SIGTERM: member 1 commits and leaves.
kill -TERM $P1; wait $P1; check "SIGTERM: exit 0" 0 $?
mock_reply "group g1"
check "SIGTERM left the group" "yes" "$([[ "$REPLY" == *members=0* ]] && echo yes || echo "$REPLY")"

# -e: everything is committed, so a new member prints nothing and exits.
A consume -b "$BS" -t gl -G g1 "${GROUP_OPTS[@]}" -e >"$TMP/c3" 2>"$TMP/e3"; check "-e: exit 0" 0 $?
check "-e: nothing left to print" 0 "$(lines "$TMP/c3")"
# -c: a member prints 10 of what is new, commits and leaves; a rerun prints the rest.
produce 3001 3100 gl
A consume -b "$BS" -t gl -G g1 "${GROUP_OPTS[@]}" -c 10 >"$TMP/c4" 2>"$TMP/e4"; check "-c 10: exit 0" 0 $?
check "-c 10: 10 printed" 10 "$(lines "$TMP/c4")"
mock_reply "group g1"
check "-c left the group" "yes" "$([[ "$REPLY" == *members=0* ]] && echo yes || echo "$REPLY")"
A consume -b "$BS" -t gl -G g1 "${GROUP_OPTS[@]}" -e >"$TMP/c5" 2>"$TMP/e5"; check "-e rerun: exit 0" 0 $?
check "-e rerun: the other 90" 90 "$(lines "$TMP/c5")"
check "-c then -e: the 100 once" 100 "$(unique "$TMP/c4" "$TMP/c5")"

# -t repeats; a ^pattern.
produce 1 50 gm
A consume -b "$BS" -t gl -t gm -G g2 "${GROUP_OPTS[@]}" -e >"$TMP/c6" 2>"$TMP/e6"; check "-t gl -t gm: exit 0" 0 $?
check "-t gl -t gm: both topics" 3150 "$(lines "$TMP/c6")"
A consume -b "$BS" -t '^g[lm]$' -G g3 "${GROUP_OPTS[@]}" -e >"$TMP/c7" 2>"$TMP/e7"; check "-t ^pattern: exit 0" 0 $?
check "-t ^pattern: both topics" 3150 "$(lines "$TMP/c7")"
A consume -b "$BS" -t gl -t gm >/dev/null 2>"$TMP/e"; check "two -t without -G: exit 2" 2 $?
A consume -b "$BS" -t gl -G g4 -o 5 >/dev/null 2>"$TMP/e"; check "-G with -o OFFSET: exit 2" 2 $?

# group.protocol=consumer (KIP-848): the coordinator assigns.
K_OPTS=(-X group.protocol=consumer -X auto.offset.reset=earliest -f '%p %o %s\n')
produce 1 600 gc
"$AGENT" consume -b "$BS" -t gc -G k1 -v "${K_OPTS[@]}" >"$TMP/q1" 2>"$TMP/qe1" & K1=$!; PIDS+=($K1)
"$AGENT" consume -b "$BS" -t gc -G k1 -v "${K_OPTS[@]}" >"$TMP/q2" 2>"$TMP/qe2" & K2=$!; PIDS+=($K2)
wait_for 20 has_lines 600 "$TMP/q1" "$TMP/q2"
wait_for 10 eval 'mock_reply "group k1"; [[ "$REPLY" == *state=Stable*members=2* ]]'
check "consumer protocol: stable with 2 members" "yes" "$([[ "$REPLY" == *state=Stable*members=2* ]] && echo yes || echo "$REPLY")"
contains "consumer protocol: -v tells the assignment" "group k1: assigned: gc/" "$TMP/qe2"
produce 601 1200 gc
wait_for 20 has_lines 1200 "$TMP/q1" "$TMP/q2"
check "consumer protocol: 1200 printed once" "1200 1200" "$(lines "$TMP/q1" "$TMP/q2") $(unique "$TMP/q1" "$TMP/q2")"
check "consumer protocol: both members printed" yes \
    "$([ "$(lines "$TMP/q1")" -gt 0 ] && [ "$(lines "$TMP/q2")" -gt 0 ] && echo yes || echo no)"
sleep 1.5
kill -9 $K2; wait $K2 2>/dev/null
wait_for 20 eval 'mock_reply "group k1"; [[ "$REPLY" == *state=Stable*members=1* ]]'
check "consumer protocol: after the kill and the session: 1 member" "yes" \
    "$([[ "$REPLY" == *state=Stable*members=1* ]] && echo yes || echo "$REPLY")"
produce 1201 1800 gc
wait_for 20 has_lines 1800 "$TMP/q1" "$TMP/q2"
check "consumer protocol: after the kill: 1800 printed once" "1800 1800" \
    "$(lines "$TMP/q1" "$TMP/q2") $(unique "$TMP/q1" "$TMP/q2")"
kill -TERM $K1; wait $K1; check "consumer protocol: SIGTERM: exit 0" 0 $?
mock_reply "group k1"
check "consumer protocol: SIGTERM left the group" "yes" "$([[ "$REPLY" == *members=0* ]] && echo yes || echo "$REPLY")"

# kcat -G and kafka-agent consume -G in one group (range, both sides' default).
if command -v kcat >/dev/null; then
    produce 1 600 gk
    "$AGENT" consume -b "$BS" -t gk -G gk1 -v "${GROUP_OPTS[@]}" >"$TMP/k1" 2>"$TMP/ek1" & PK1=$!; PIDS+=($PK1)
    wait_for 20 has_lines 600 "$TMP/k1"
    timeout 60 kcat -b "$BS" -G gk1 -q -u -f '%p %o %s\n' -X auto.offset.reset=earliest -X session.timeout.ms=3000 \
        -X heartbeat.interval.ms=300 -X log_level=2 gk >"$TMP/k2" 2>"$TMP/ek2" & PK2=$!; PIDS+=($PK2)
    wait_for 30 eval 'mock_reply "group gk1"; [[ "$REPLY" == *state=Stable*members=2* ]]'
    check "kcat -G joined our member's group: stable with 2" "yes" \
        "$([[ "$REPLY" == *state=Stable*members=2* ]] && echo yes || echo "$REPLY")"
    produce 601 1600 gk
    wait_for 30 has_lines 1600 "$TMP/k1" "$TMP/k2"
    check "kcat -G + ours: every message printed" 1600 "$(unique "$TMP/k1" "$TMP/k2")"
    check "kcat -G + ours: nothing printed twice" 1600 "$(lines "$TMP/k1" "$TMP/k2")"
    check "kcat printed its share" yes "$([ "$(awk '$3 > 600' "$TMP/k2" | wc -l)" -gt 100 ] && echo yes || lines "$TMP/k2")"
    check "ours printed its share" yes "$([ "$(awk '$3 > 600' "$TMP/k1" | wc -l)" -gt 100 ] && echo yes || lines "$TMP/k1")"
    kill -TERM $PK1 $PK2; wait $PK1 $PK2 2>/dev/null
else
    echo "kcat not found: the kcat -G group skipped"
fi
stop_mock

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
