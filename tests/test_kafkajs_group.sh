#!/usr/bin/env bash
# kafkajs (npm, an independent client: tests/node/kafkajs_group.js with a "range" assigner
# of ours speaking Java's ConsumerProtocol), kafka-agent consume -G and, when kcat is
# installed, kcat -G (librdkafka's range assignor) in one consumer group on kafka-mock, in
# both orders of kafkajs and ours joining first and so leading (computing the assignment
# the others decode; the two orders at once, in two groups): the protocol "range", 3 + 3
# (with kcat 2 + 2 + 2) of 6 partitions, 20,000 messages produced and read between them,
# then the follower of the two leaves and 2,000 more go to the members left, which now own
# every partition. Every message is consumed exactly once, each member read some, the
# group's committed offsets sum to what was produced.
# Usage: test_kafkajs_group.sh PATH/TO/kafka-mock PATH/TO/kafka-agent
# kafkajs comes from scripts/install-deps.sh (npm, into tests/node/node_modules); without
# node or kafkajs the test says so and exits 77 (skipped).
set -u
MOCK_BIN=${1:?usage: test_kafkajs_group.sh kafka-mock kafka-agent}
AGENT=${2:?usage: test_kafkajs_group.sh kafka-mock kafka-agent}
. "$(dirname "$0")/agent_lib.sh"
require_kafkajs
TMP=$(mktemp -d)
PIDS=()
trap 'for p in "${PIDS[@]}"; do kill -9 "$p" 2>/dev/null; done; stop_mock; rm -rf "$TMP"' EXIT
N1=20000
N2=2000
A() { timeout 60 "$AGENT" "$@"; }
wait_for() {
    local end=$((SECONDS + $1)); shift
    until "$@"; do [ $SECONDS -ge $end ] && return 1; sleep 0.2; done
}
# produce FROM TO TOPIC: keys kFROM..kTO spread over the partitions by key.
produce() { seq "$1" "$2" | awk '{print "k" $1 "\t" $1}' | A produce -b "$BS" -t "$3" -K '\t' 2>"$TMP/pe"; }
# group G: kafka-agent groups -G G --json as "STATE MEMBERS ASSIGNED-PER-MEMBER COMMITTED-SUM".
group() {
    A groups -b "$BS" -G "$1" --json 2>/dev/null | python3 -c '
import json, sys
try:
    g = json.load(sys.stdin)
except ValueError:  # not there yet
    sys.exit(print("none"))
n = sorted(len(m["assignment"]) for m in g["members"])
print(g["state"], len(g["members"]), ",".join(map(str, n)), sum(max(p["committed"], 0) for p in g["partitions"]))'
}
group_is() { [ "$(group "$1")" == "$2" ]; }
# Run in the background (a subshell): exec, so that $! is the member's pid for kill -TERM.
agent_member() { exec "$AGENT" consume -b "$BS" -t "$1" -G "$2" -f '%k\n' -X client.id=agent-member \
    -X session.timeout.ms=10000 -X heartbeat.interval.ms=300 -X auto.offset.reset=earliest; }
kjs_member() { cd "$NODE_DIR" && exec node kafkajs_group.js "$BS" "$1" "$2"; }
# A third member, librdkafka's (kcat -G with its range assignor), when kcat is there.
kcat_member() { exec kcat -b "$BS" -G "$2" -X partition.assignment.strategy=range -X auto.offset.reset=earliest \
    -X session.timeout.ms=10000 -X heartbeat.interval.ms=300 -X auto.commit.interval.ms=200 -X fetch.wait.max.ms=100 \
    -X client.id=kcat-member -q -u -f '%k\n' "$1"; }
KCAT=no
command -v kcat >/dev/null 2>&1 && KCAT=yes
[ $KCAT == yes ] || echo "kcat not found: the groups have no librdkafka member"
EXPECT=28
[ $KCAT == yes ] && EXPECT=30
# last_join FILE: the kafkajs member's last JOIN line.
last_join() { grep '^JOIN' "$1" | tail -1; }

start_mock --brokers 3 --topic kg1:6:1 --topic kg2:6:1

# run NAME TOPIC GROUP FIRST: FIRST (agent or kjs) joins first and leads, the other
# follows and later leaves.
run() {
    local name=$1 topic=$2 grp=$3 first=$4 lead_pid follow_pid
    local lead_out="$TMP/$name.lead" follow_out="$TMP/$name.follow"
    if [ "$first" == agent ]; then
        agent_member "$topic" "$grp" >"$lead_out" 2>"$lead_out.err" & lead_pid=$!
    else
        kjs_member "$grp" "$topic" >"$lead_out" 2>"$lead_out.err" & lead_pid=$!
    fi
    PIDS+=($lead_pid)
    wait_for 15 group_is "$grp" "Stable 1 6 0"
    check "$name: the first member owns the 6 partitions" "Stable 1 6 0" "$(group "$grp")"
    if [ "$first" == agent ]; then
        kjs_member "$grp" "$topic" >"$follow_out" 2>"$follow_out.err" & follow_pid=$!
    else
        agent_member "$topic" "$grp" >"$follow_out" 2>"$follow_out.err" & follow_pid=$!
    fi
    PIDS+=($follow_pid)
    # With kcat, joining with the follower: three members (2 partitions each) until the
    # follower leaves, then two.
    local third_out="$TMP/$name.kcat" third_pid= all="Stable 2 3,3" after="Stable 1 6"
    : >"$third_out"
    if [ $KCAT == yes ]; then
        kcat_member "$topic" "$grp" >"$third_out" 2>"$third_out.err" & third_pid=$!
        PIDS+=($third_pid)
        all="Stable 3 2,2,2" after="Stable 2 3,3"
    fi
    wait_for 20 group_is "$grp" "$all 0"
    check "$name: the members joined, $(echo "${all#Stable * }" | tr , +) partitions" "$all 0" "$(group "$grp")"
    local kjs_err=$lead_out.err kjs_leads=true
    [ "$first" == agent ] && kjs_err=$follow_out.err kjs_leads=false
    check "$name: kafkajs joined with protocol range, leader=$kjs_leads" \
        "JOIN leader=$kjs_leads protocol=range" "$(last_join "$kjs_err" | cut -d' ' -f1-3)"

    produce 1 $N1 "$topic"; check "$name: produce $N1: exit 0" 0 $?
    wait_for 20 group_is "$grp" "$all $N1"
    check "$name: $N1 committed by the members" "$all $N1" "$(group "$grp")"
    local a b k
    a=$(wc -l <"$lead_out") b=$(wc -l <"$follow_out") k=$(wc -l <"$third_out")
    check "$name: the members read $N1 between them" $N1 $((a + b + k))
    check "$name: each read some" yes \
        "$([ "$a" -gt 0 ] && [ "$b" -gt 0 ] && { [ $KCAT == no ] || [ "$k" -gt 0 ]; } && echo yes || echo "no: $a, $b, $k")"

    kill -TERM $follow_pid
    wait $follow_pid
    check "$name: the follower leaves cleanly" 0 $?
    wait_for 20 group_is "$grp" "$after $N1"
    check "$name: the follower's partitions move" "$after $N1" "$(group "$grp")"
    produce $((N1 + 1)) $((N1 + N2)) "$topic"; check "$name: produce $N2 more: exit 0" 0 $?
    wait_for 20 group_is "$grp" "$after $((N1 + N2))"
    check "$name: all committed" "$after $((N1 + N2))" "$(group "$grp")"
    kill -TERM $lead_pid $third_pid
    wait $lead_pid
    check "$name: the leader leaves cleanly" 0 $?
    if [ -n "$third_pid" ]; then
        wait $third_pid
        check "$name: kcat leaves cleanly" 0 $?
    fi
    check "$name: every key read once" "$((N1 + N2)) 0" \
        "$(cat "$lead_out" "$follow_out" "$third_out" | sort | uniq -c | awk '{n++; if ($1 != 1) dup++} END {print n + 0, dup + 0}')"
    check "$name: the keys are the ones produced" "k1 k$((N1 + N2))" \
        "$(cat "$lead_out" "$follow_out" "$third_out" | sed 's/^k//' | sort -n | sed -n '1s/^/k/p;$s/^/k/p' | tr '\n' ' ' | sed 's/ $//')"
}

# The two orders run at once (each its own group and topic), each in a subshell that
# kills its members if it ends early; their check lines are counted here.
(trap 'for p in "${PIDS[@]}"; do kill -9 "$p" 2>/dev/null; done' EXIT; run agent-leads kg1 kjs-g1 agent) >"$TMP/r1" 2>&1 &
R1=$!
(trap 'for p in "${PIDS[@]}"; do kill -9 "$p" 2>/dev/null; done' EXIT; run kafkajs-leads kg2 kjs-g2 kjs) >"$TMP/r2" 2>&1 &
R2=$!
wait $R1 $R2
cat "$TMP/r1" "$TMP/r2"
passed=$(cat "$TMP/r1" "$TMP/r2" | grep -c '^ok ')
failed=$(cat "$TMP/r1" "$TMP/r2" | grep -c '^FAIL ')
echo "passed $passed, failed $failed"
[ "$failed" -eq 0 ] && [ "$passed" -eq $EXPECT ]
