#!/usr/bin/env bash
# kafka-agent run with delivery.guarantee = exactly-once, against a kafka-mock process:
#   - crash: files appended to and rotated (rename + create, and copytruncate) while the
#     agent is killed with SIGKILL at random instants and restarted 6 times, meanwhile
#     the transaction coordinator moving, a broker going down and up, EndTxn answered
#     CONCURRENT_TRANSACTIONS; read back with isolation.level=read_committed, every
#     line is there exactly once (lost = 0, duplicated = 0). KAFKA_EOS_ROUNDS=N runs the
#     whole scenario N times (default 1; 10 for the full check).
#   - fencing: a second agent with the same agent.id makes the first stop with exit 1
#     and a message naming the cause; the lines are still there once each.
#   - abortable: Produce answered INVALID_RECORD: the transaction is aborted and its
#     lines read again, each once in the end.
#   - config: exactly-once without agent.id, and transactional.id in the file, are
#     refused naming the key (exit 2).
#   - consume and bench consume take -X isolation.level=read_committed: an aborted
#     transaction's messages are not shown, read_uncommitted shows them.
# Usage: test_agent_eos.sh PATH/TO/kafka-agent PATH/TO/kafka-mock
set -u
AGENT=${1:?usage: test_agent_eos.sh kafka-agent kafka-mock}
MOCK_BIN=${2:?usage: test_agent_eos.sh kafka-agent kafka-mock}
ROUNDS=${KAFKA_EOS_ROUNDS:-1}
TMP=$(mktemp -d)
RUN_PID=
RUN2_PID=
WRITER_PID=
. "$(dirname "$0")/agent_lib.sh"
stop_all() {
    [ -n "$WRITER_PID" ] && kill "$WRITER_PID" 2>/dev/null
    [ -n "$RUN_PID" ] && kill -9 "$RUN_PID" 2>/dev/null
    [ -n "$RUN2_PID" ] && kill -9 "$RUN2_PID" 2>/dev/null
    stop_mock
}
trap 'stop_all; rm -rf "$TMP"' EXIT
consume_committed() {
    timeout 60 "$AGENT" consume -b "$BS" -t "$1" -e -X isolation.level=read_committed 2>/dev/null
}

config() { # config FILE TOPIC AGENT-ID GLOB [top-level lines]
    local f=$1 topic=$2 id=$3 glob=$4
    printf 'bootstrap.servers = %s\ndelivery.guarantee = exactly-once\nagent.id = %s\nstats.interval.ms = 1000\n' \
        "$BS" "$id" >"$f"
    printf 'retry.backoff.ms = 20\nreconnect.backoff.ms = 20\n' >>"$f"
    shift 4
    for l in "$@"; do printf '%s\n' "$l" >>"$f"; done
    printf '[input.app]\ntype = file\npath = %s\ntopic = %s\n' "$glob" "$topic" >>"$f"
}

start_mock --brokers 3 --topic fence:2:3 --topic rc:1:1 --topic abort:2:3

# ---- config errors ----
mkdir -p "$TMP/bad"
printf 'delivery.guarantee = exactly-once\n[input.a]\ntopic=t\npath=%s/*.log\n' "$TMP/bad" >"$TMP/bad/c.conf"
timeout 20 "$AGENT" run -c "$TMP/bad/c.conf" >/dev/null 2>"$TMP/bad/err"
check "config: exactly-once without agent.id: exit 2" 2 $?
contains "config: exactly-once without agent.id: named" "delivery.guarantee=exactly-once needs agent.id=" "$TMP/bad/err"
printf 'agent.id = x\ntransactional.id = y\n' >"$TMP/bad/c.conf"
timeout 20 "$AGENT" run -c "$TMP/bad/c.conf" >/dev/null 2>"$TMP/bad/err"
check "config: transactional.id: exit 2" 2 $?
contains "config: transactional.id: named" "c.conf:2: transactional.id: run derives it from agent.id" "$TMP/bad/err"
printf 'delivery.guarantee = twice\n' >"$TMP/bad/c.conf"
timeout 20 "$AGENT" run -c "$TMP/bad/c.conf" >/dev/null 2>"$TMP/bad/err"
contains "config: bad delivery.guarantee" "c.conf:1: delivery.guarantee=twice: at-least-once or exactly-once" "$TMP/bad/err"

# ---- crash: SIGKILL at random instants while files are appended to and rotated ----
# The writer: two files of numbered lines, a.log renamed away every 8 rounds (the glob
# takes the rotated names), b.log copied and truncated once (copytruncate). Lines written
# to b.log and not committed before the truncation are gone by design of copytruncate
# (the copy b.copy.N is not followed): those are the only lines that may be missing, and
# they are counted apart; none may be doubled. The lines of aborted transactions (read
# with read_uncommitted) are counted too: they show the kills hit open transactions.
writer() { # writer DIR
    local d=$1 n=0 f
    for round in $(seq 1 30); do
        for f in a b; do
            for i in $(seq 1 100); do n=$((n + 1)); echo "$f-$n"; done >>"$d/logs/$f.log"
        done
        if [ $((round % 8)) -eq 0 ]; then mv "$d/logs/a.log" "$d/logs/a.log.$round"; fi
        if [ "$round" -eq 13 ]; then cp "$d/logs/b.log" "$d/logs/b.copy.$round"; : >"$d/logs/b.log"; fi
        sleep 0.1
    done
    echo "$n" >"$d/total"
}
crash_round() { # crash_round K
    local k=$1 d="$TMP/crash$1" topic="crash$1" i
    mkdir -p "$d/logs"
    mock_cmd "topic $topic 4 3" # kafka-mock's "topic NAME PARTS RF" (see --help)
    # Transactions of 400 ms: most kills land in one whose lines are already in the log.
    config "$d/agent.conf" "$topic" "eos-$k" "$d/logs/*.log*" "transaction.interval.ms = 400"
    writer "$d" &
    WRITER_PID=$!
    for i in 1 2 3 4 5 6; do
        "$AGENT" run -c "$d/agent.conf" 2>>"$d/run.err" &
        RUN_PID=$!
        sleep "0.$((RANDOM % 6 + 2))$((RANDOM % 10))"
        [ "$i" -eq 2 ] && mock_cmd "txn-move kafka-agent-eos-$k $((RANDOM % 3 + 1))"
        [ "$i" -eq 3 ] && mock_cmd "down $((RANDOM % 3 + 1))"
        [ "$i" -eq 4 ] && mock_cmd "error EndTxn 2 CONCURRENT_TRANSACTIONS"
        [ "$i" -eq 5 ] && for b in 1 2 3; do mock_cmd "up $b"; done
        kill -9 "$RUN_PID" 2>/dev/null; wait "$RUN_PID" 2>/dev/null
    done
    wait "$WRITER_PID"; WRITER_PID=
    for b in 1 2 3; do mock_cmd "up $b"; done
    "$AGENT" run -c "$d/agent.conf" 2>>"$d/run.err" &
    RUN_PID=$!
    # Until everything written is committed (the stats line's lag), at most 20 s.
    for i in $(seq 1 100); do
        sleep 0.2
        [ "$(consume_committed "$topic" | wc -l)" -ge "$(cat "$d/logs"/a.log* "$d/logs/b.log" | wc -l)" ] && break
    done
    kill -TERM "$RUN_PID"; wait "$RUN_PID"; local rc=$?; RUN_PID=
    check "crash $k: the last run exits 0 on SIGTERM" 0 $rc
    consume_committed "$topic" >"$d/got"
    local total want_n got_n missing dups extra copy_missed
    total=$(cat "$d/total")
    cat "$d/logs"/a.log* "$d/logs/b.log" | sort -u >"$d/want"
    sort "$d/got" >"$d/got.s"
    sort -u "$d/got" >"$d/got.u"
    cat "$d/logs"/a.log* "$d/logs/b.log" "$d/logs"/b.copy.* | sort -u >"$d/written"
    missing=$(comm -23 "$d/want" "$d/got.u" | wc -l)
    dups=$(($(wc -l <"$d/got.s") - $(wc -l <"$d/got.u")))
    extra=$(comm -13 "$d/written" "$d/got.u" | wc -l)
    copy_missed=$(comm -23 "$d/written" "$d/got.u" | wc -l)
    check "crash $k: lost = 0 ($total written; $copy_missed of copytruncate's window not read)" 0 "$missing"
    local aborted=$(($(timeout 60 "$AGENT" consume -b "$BS" -t "$topic" -e 2>/dev/null | wc -l) - $(wc -l <"$d/got.s")))
    check "crash $k: duplicated = 0 ($(wc -l <"$d/got.s") read back; $aborted more in aborted transactions)" 0 "$dups"
    check "crash $k: nothing read back that was not written" 0 "$extra"
    if grep -q "fenced" "$d/run.err"; then fail "crash $k: never fenced" "no fenced" "$(grep -m1 fenced "$d/run.err")"; else pass "crash $k: never fenced"; fi
}
for k in $(seq 1 "$ROUNDS"); do crash_round "$k"; done

# ---- fencing: a second agent with the same agent.id stops the first ----
mkdir -p "$TMP/fence/logs"
config "$TMP/fence/a.conf" fence same "$TMP/fence/logs/*.log"
cp "$TMP/fence/a.conf" "$TMP/fence/b.conf"
for i in $(seq 1 500); do echo "f-$i"; done >"$TMP/fence/logs/x.log"
"$AGENT" run -c "$TMP/fence/a.conf" 2>"$TMP/fence/a.err" &
RUN_PID=$!
for i in $(seq 1 50); do [ "$(consume_committed fence | wc -l)" -ge 500 ] && break; sleep 0.2; done
"$AGENT" run -c "$TMP/fence/b.conf" 2>"$TMP/fence/b.err" &
RUN2_PID=$!
sleep 1
for i in $(seq 501 1000); do echo "f-$i"; done >>"$TMP/fence/logs/x.log"
timeout 20 tail --pid="$RUN_PID" -f /dev/null
wait "$RUN_PID"; check "fencing: the first agent exits 1" 1 $?; RUN_PID=
contains "fencing: the first agent says why" "fenced: another kafka-agent with agent.id=same (transactional.id kafka-agent-same)" "$TMP/fence/a.err"
for i in $(seq 1 50); do [ "$(consume_committed fence | wc -l)" -ge 1000 ] && break; sleep 0.2; done
kill -TERM "$RUN2_PID"; wait "$RUN2_PID"; check "fencing: the second agent exits 0 on SIGTERM" 0 $?; RUN2_PID=
consume_committed fence >"$TMP/fence/got"
check "fencing: every line once" "1000 1000" "$(wc -l <"$TMP/fence/got") $(sort -u "$TMP/fence/got" | wc -l)"

# ---- abortable: a failed batch aborts the transaction; its lines are read again ----
mkdir -p "$TMP/abort/logs"
config "$TMP/abort/a.conf" abort ab "$TMP/abort/logs/*.log"
for i in $(seq 1 1000); do echo "x-$i"; done >"$TMP/abort/logs/x.log"
"$AGENT" run -c "$TMP/abort/a.conf" 2>"$TMP/abort/a.err" &
RUN_PID=$!
for i in $(seq 1 50); do [ "$(consume_committed abort | wc -l)" -ge 1000 ] && break; sleep 0.2; done
mock_cmd "error Produce 2 INVALID_RECORD"
for i in $(seq 1001 2000); do echo "x-$i"; done >>"$TMP/abort/logs/x.log"
for i in $(seq 1 50); do [ "$(consume_committed abort | wc -l)" -ge 2000 ] && break; sleep 0.2; done
kill -TERM "$RUN_PID"; wait "$RUN_PID"; check "abortable: exit 0 on SIGTERM" 0 $?; RUN_PID=
contains "abortable: the transaction was aborted and read again" "transaction aborted (commit_transaction: a message of the transaction failed" "$TMP/abort/a.err"
consume_committed abort >"$TMP/abort/got"
check "abortable: every line once" "2000 2000" "$(wc -l <"$TMP/abort/got") $(sort -u "$TMP/abort/got" | wc -l)"

# ---- consume / bench consume with -X isolation.level=read_committed ----
# An agent whose transaction stays open (transaction.interval.ms of a minute): its lines
# are in the log, seen by read_uncommitted, not by read_committed, which ends (-e) at the
# last stable offset; SIGTERM commits them.
mkdir -p "$TMP/rc/logs"
config "$TMP/rc/a.conf" rc rc1 "$TMP/rc/logs/*.log" "transaction.interval.ms = 60000" "queue.buffering.max.messages = 1000000"
for i in $(seq 1 300); do echo "r-$i"; done >"$TMP/rc/logs/x.log"
"$AGENT" run -c "$TMP/rc/a.conf" 2>"$TMP/rc/a.err" &
RUN_PID=$!
for i in $(seq 1 50); do
    [ "$(timeout 10 "$AGENT" consume -b "$BS" -t rc -e 2>/dev/null | wc -l)" -ge 300 ] && break
    sleep 0.2
done
check "read_uncommitted: the open transaction's 300 lines are seen" 300 \
    "$(timeout 10 "$AGENT" consume -b "$BS" -t rc -e 2>/dev/null | wc -l)"
timeout 10 "$AGENT" consume -b "$BS" -t rc -e -X isolation.level=read_committed >"$TMP/rc/open.out" 2>/dev/null
check "consume -e -X isolation.level=read_committed: ends at the last stable offset" 0 $?
check "consume -X isolation.level=read_committed: none of the open transaction" 0 "$(wc -l <"$TMP/rc/open.out")"
kill -TERM "$RUN_PID"; wait "$RUN_PID"; check "read_committed: the agent commits on SIGTERM" 0 $?; RUN_PID=
check "consume -X isolation.level=read_committed: the 300 once committed" 300 "$(consume_committed rc | sort -u | wc -l)"
timeout 20 "$AGENT" bench consume -b "$BS" -t rc -n 300 -X isolation.level=read_committed >"$TMP/rc/bench.out" 2>"$TMP/rc/bench.err"
check "bench consume -X isolation.level=read_committed: exit 0" 0 $?
contains "bench consume -X isolation.level=read_committed: 300 read" "RESULT mode=consume msgs=300" "$TMP/rc/bench.out"

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
