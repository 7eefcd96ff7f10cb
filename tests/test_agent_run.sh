#!/usr/bin/env bash
# kafka-agent run, the log shipping service, against a kafka-mock process:
#   - crash: files appended to and rotated (rename + create, and copytruncate) while the
#     agent is killed with SIGKILL and restarted 5 times; in the end every line is in the
#     topic (duplicates are counted and reported, none missing)
#   - outage: every broker down for a while; lines keep coming; nothing lost, shipping
#     resumes by itself, memory stays bounded
#   - signals: SIGTERM exits 0 with the checkpoint written; SIGHUP reloads the config
#   - type=stdin: lines ship as they come, the writer still open, and count as delivered
#   - bad configs: FILE:LINE: reason and exit 2 before anything starts
#   - SASL: a wrong password stops run at once with exit 1 and the checkpoint intact; the
#     right one ships everything
# Usage: test_agent_run.sh PATH/TO/kafka-agent PATH/TO/kafka-mock
set -u
AGENT=${1:?usage: test_agent_run.sh kafka-agent kafka-mock}
MOCK_BIN=${2:?usage: test_agent_run.sh kafka-agent kafka-mock}
TMP=$(mktemp -d)
RUN_PID=
WRITER_PID=
. "$(dirname "$0")/agent_lib.sh"
stop_all() {
    [ -n "$WRITER_PID" ] && kill "$WRITER_PID" 2>/dev/null
    [ -n "$RUN_PID" ] && kill -9 "$RUN_PID" 2>/dev/null
    stop_mock
}
trap 'stop_all; rm -rf "$TMP"' EXIT
consume_all() { timeout 60 "$AGENT" consume -b "$BS" -t "$1" -e 2>/dev/null; }

config() { # config FILE TOPIC DATADIR GLOB [top-level lines]
    local f=$1 topic=$2 data=$3 glob=$4
    printf 'bootstrap.servers = %s\ndata.dir = %s\nstats.interval.ms = 1000\nretry.backoff.ms = 20\nreconnect.backoff.ms = 20\n' \
        "$BS" "$data" >"$f"
    shift 4
    for l in "$@"; do printf '%s\n' "$l" >>"$f"; done
    printf '[input.app]\ntype = file\npath = %s\ntopic = %s\n' "$glob" "$topic" >>"$f"
}

start_mock --brokers 3 --topic crash:4:3 --topic outage:4:3 --topic sig:2:3 --topic sig2:2:3

# ---- bad configs: FILE:LINE: reason, exit 2 ----
mkdir -p "$TMP/bad" "$TMP/d"
bad_case() { # NAME EXPECTED-SUBSTRING CONFIG-TEXT
    printf '%b' "$3" >"$TMP/bad/c.conf"
    timeout 20 "$AGENT" run -c "$TMP/bad/c.conf" >/dev/null 2>"$TMP/bad/err"
    check "bad config ($1): exit 2" 2 $?
    contains "bad config ($1): reason" "$2" "$TMP/bad/err"
}
bad_case "unknown key" "c.conf:4: [input.a]: unknown key colour" "data.dir=$TMP/d\n[input.a]\ntopic=t\ncolour=blue\npath=$TMP/d/*.log\n"
bad_case "bad value" "c.conf:3: start=middle" "data.dir=$TMP/d\n[input.a]\nstart=middle\n"
bad_case "missing topic" "c.conf:2: [input.a]: topic= is missing" "data.dir=$TMP/d\n[input.a]\npath=$TMP/d/*.log\n"
bad_case "unreadable path" "is not readable" "data.dir=$TMP/d\n[input.a]\ntopic=t\npath=$TMP/nonexistent/*.log\n"
bad_case "missing data.dir" "data.dir= is missing" "[input.a]\ntopic=t\npath=$TMP/d/*.log\n"
bad_case "data.dir not a directory" "c.conf:1: data.dir=$TMP/none: not a writable directory" "data.dir=$TMP/none\n"
bad_case "bad Kafka property" "c.conf:2: linger.ms" "data.dir=$TMP/d\nlinger.ms=-3\n"
bad_case "unknown Kafka property" "c.conf:1: " "no.such.property=1\n"
timeout 10 "$AGENT" run -c "$TMP/missing.conf" 2>"$TMP/bad/err"; check "missing config file: exit 2" 2 $?

# ---- crash: SIGKILL while files are appended to and rotated ----
mkdir -p "$TMP/crash/logs" "$TMP/crash/data"
# The glob takes the rotated names too (a.log.N): a file rotated while the agent is down
# is then still read to its end (known by inode + fingerprint, never twice).
config "$TMP/crash/agent.conf" crash "$TMP/crash/data" "$TMP/crash/logs/*.log*"
writer() { # two files, numbered lines; rotations by rename and one copytruncate
    local n=0 f
    for round in $(seq 1 30); do
        for f in a b; do
            for i in $(seq 1 100); do n=$((n + 1)); echo "$f-$n"; done >>"$TMP/crash/logs/$f.log"
        done
        if [ $((round % 8)) -eq 0 ]; then mv "$TMP/crash/logs/a.log" "$TMP/crash/logs/a.log.$round"; fi
        if [ "$round" -eq 13 ]; then cp "$TMP/crash/logs/b.log" "$TMP/crash/logs/b.copy.$round"; : >"$TMP/crash/logs/b.log"; fi
        sleep 0.1
    done
    echo "$n" >"$TMP/crash/total"
}
writer &
WRITER_PID=$!
for k in 1 2 3 4 5; do
    "$AGENT" run -c "$TMP/crash/agent.conf" 2>>"$TMP/crash/run.err" &
    RUN_PID=$!
    sleep 0.$((3 + k))
    kill -9 "$RUN_PID" 2>/dev/null; wait "$RUN_PID" 2>/dev/null
done
wait "$WRITER_PID"; WRITER_PID=
"$AGENT" run -c "$TMP/crash/agent.conf" 2>>"$TMP/crash/run.err" &
RUN_PID=$!
sleep 3
kill -TERM "$RUN_PID"; wait "$RUN_PID"; rc=$?; RUN_PID=
check "crash: the last run exits 0 on SIGTERM" 0 $rc
total=$(cat "$TMP/crash/total")
consume_all crash >"$TMP/crash/got"
# The copytruncate case: lines written to b.log before the truncation and after the
# last checkpoint can be lost by design of copytruncate (the copy is not followed),
# so those in b.copy.* are expected only when the agent had read them.
want=$(cat "$TMP/crash/logs"/a.log* "$TMP/crash/logs/b.log" | sort -u)
got_u=$(sort -u "$TMP/crash/got")
missing=$(comm -23 <(printf '%s\n' "$want") <(printf '%s\n' "$got_u") | wc -l)
dups=$(($(wc -l <"$TMP/crash/got") - $(printf '%s\n' "$got_u" | wc -l)))
check "crash: no line missing after 5 SIGKILLs ($total written, $dups duplicates)" 0 "$missing"
if grep -q "failed [1-9]" "$TMP/crash/run.err"; then fail "crash: no delivery failed" "failed 0" "$(grep -m1 'failed [1-9]' "$TMP/crash/run.err")"; else pass "crash: no delivery failed"; fi

# ---- outage: every broker down for 2 s while lines keep coming ----
mkdir -p "$TMP/outage/logs" "$TMP/outage/data"
config "$TMP/outage/agent.conf" outage "$TMP/outage/data" "$TMP/outage/logs/*.log" "queue.buffering.max.messages = 2000"
"$AGENT" run -c "$TMP/outage/agent.conf" 2>"$TMP/outage/run.err" &
RUN_PID=$!
for i in $(seq 1 2000); do echo "o-$i"; done >>"$TMP/outage/logs/x.log"
sleep 0.5
for b in 1 2 3; do mock_cmd "down $b"; done
for i in $(seq 2001 20000); do echo "o-$i"; done >>"$TMP/outage/logs/x.log"
sleep 2
rss=$(awk '/VmRSS/ {print $2}' /proc/$RUN_PID/status)
for b in 1 2 3; do mock_cmd "up $b"; done
sleep 4
kill -TERM "$RUN_PID"; wait "$RUN_PID"; rc=$?; RUN_PID=
check "outage: exit 0 on SIGTERM after the brokers came back" 0 $rc
check "outage: every line delivered once resumed" 20000 "$(consume_all outage | sort -u | wc -l)"
if [ "${rss:-999999}" -lt 200000 ]; then pass "outage: memory bounded while down (VmRSS ${rss} kB)"; else fail "outage: memory" "< 200000 kB" "$rss"; fi

# ---- started while every broker is down: SIGTERM still ends it at once; nothing is
# checkpointed; once they are up, a restart ships everything ----
mkdir -p "$TMP/down/logs" "$TMP/down/data"
config "$TMP/down/agent.conf" downtopic "$TMP/down/data" "$TMP/down/logs/*.log"
seq 1 300 | sed 's/^/d-/' >"$TMP/down/logs/d.log"
for b in 1 2 3; do mock_cmd "down $b"; done
"$AGENT" run -c "$TMP/down/agent.conf" 2>"$TMP/down/run.err" &
RUN_PID=$!
sleep 2
t0=$(date +%s%N)
kill -TERM "$RUN_PID"; wait "$RUN_PID"; rc=$?; RUN_PID=
took=$((($(date +%s%N) - t0) / 1000000))
check "brokers down at start: SIGTERM exits 0" 0 $rc
if [ "$took" -lt 5000 ]; then pass "brokers down at start: it stops in $took ms"; else fail "stop while down" "< 5000 ms" "$took"; fi
if grep -q ' 0 .*d.log' "$TMP/down/data/checkpoints" 2>/dev/null || [ ! -s "$TMP/down/data/checkpoints" ]; then
    pass "brokers down at start: nothing checkpointed"
else fail "checkpoint while down" "offset 0" "$(cat "$TMP/down/data/checkpoints")"; fi
for b in 1 2 3; do mock_cmd "up $b"; done
"$AGENT" run -c "$TMP/down/agent.conf" 2>>"$TMP/down/run.err" &
RUN_PID=$!
sleep 3
kill -TERM "$RUN_PID"; wait "$RUN_PID"; RUN_PID=
check "brokers back: the restart ships all 300 lines" 300 "$(consume_all downtopic | grep -c '^d-')"

# ---- SIGTERM writes the checkpoint; a restart sends nothing again; SIGHUP reload ----
mkdir -p "$TMP/sig/logs" "$TMP/sig/data" "$TMP/sig/logs2"
config "$TMP/sig/agent.conf" sig "$TMP/sig/data" "$TMP/sig/logs/*.log"
seq 1 500 | sed 's/^/s-/' >"$TMP/sig/logs/s.log"
"$AGENT" run -c "$TMP/sig/agent.conf" 2>"$TMP/sig/run.err" &
RUN_PID=$!
sleep 1.5
kill -TERM "$RUN_PID"; wait "$RUN_PID"; check "SIGTERM: exit 0" 0 $?; RUN_PID=
if grep -q " $(stat -c %s "$TMP/sig/logs/s.log") " "$TMP/sig/data/checkpoints"; then
    pass "SIGTERM: the checkpoint is at the end of the file"
else fail "checkpoint" "offset $(stat -c %s "$TMP/sig/logs/s.log")" "$(cat "$TMP/sig/data/checkpoints")"; fi
"$AGENT" run -c "$TMP/sig/agent.conf" 2>>"$TMP/sig/run.err" &
RUN_PID=$!
sleep 1
seq 2001 2100 | sed 's/^/n-/' >"$TMP/sig/logs2/n.log"
printf '[input.more]\ntype = file\npath = %s\ntopic = sig2\n' "$TMP/sig/logs2/*.log" >>"$TMP/sig/agent.conf"
kill -HUP "$RUN_PID"
sleep 1.5
kill -TERM "$RUN_PID"; wait "$RUN_PID"; RUN_PID=
check "restart: nothing sent twice" 500 "$(consume_all sig | wc -l)"
contains "SIGHUP: the config is reloaded" "reloaded" "$TMP/sig/run.err"
check "SIGHUP: the new input ships" 100 "$(consume_all sig2 | wc -l)"
contains "stats lines on stderr" "kafka-agent run: lines read" "$TMP/sig/run.err"

# ---- type=stdin ----
mkdir -p "$TMP/stdin/data"
printf 'bootstrap.servers = %s\ndata.dir = %s\n[input.in]\ntype = stdin\ntopic = sig\n' "$BS" "$TMP/stdin/data" >"$TMP/stdin/agent.conf"
mkfifo "$TMP/stdin/fifo"
"$AGENT" run -c "$TMP/stdin/agent.conf" <"$TMP/stdin/fifo" 2>"$TMP/stdin/run.err" &
RUN_PID=$!
# The writer stays: lines must not wait in a buffer for more input or its end.
exec {STDIN_W}>"$TMP/stdin/fifo"
seq 1 50 | sed 's/^/in-/' >&"$STDIN_W"
sleep 1.5
kill -TERM "$RUN_PID"; wait "$RUN_PID"; check "stdin input: exit 0 on SIGTERM" 0 $?; RUN_PID=
exec {STDIN_W}>&-
check "stdin input: its lines shipped while stdin stays open" 50 "$(consume_all sig | grep -c '^in-')"
contains "stdin input: the stats line counts their deliveries" "lines read 50, bytes 241, delivered 50," "$TMP/stdin/run.err"

# ---- SASL: a wrong password stops run at once, exit 1, checkpoint intact ----
stop_mock
start_mock --brokers 1 --sasl SCRAM-SHA-512 --user alice:wonderland
mkdir -p "$TMP/sasl/logs" "$TMP/sasl/data"
seq 1 100 | sed 's/^/s-/' >"$TMP/sasl/logs/s.log"
sasl_conf() { # sasl_conf PASSWORD
    config "$TMP/sasl/agent.conf" secured "$TMP/sasl/data" "$TMP/sasl/logs/*.log" "security.protocol = SASL_PLAINTEXT" \
        "sasl.mechanism = SCRAM-SHA-512" "sasl.username = alice" "sasl.password = $1"
}
sasl_conf wonderlant
timeout 20 "$AGENT" run -c "$TMP/sasl/agent.conf" 2>"$TMP/sasl/run.err"
check "SASL, wrong password: exit 1" 1 $?
contains "SASL, wrong password: the cause named" "SASL_AUTHENTICATION_FAILED: SCRAM-SHA-512 as user alice" "$TMP/sasl/run.err"
contains "SASL, wrong password: stopped with the checkpoint before it" "stopping with the checkpoint before it" \
    "$TMP/sasl/run.err"
check "SASL, wrong password: never printed" 0 "$(grep -c wonderlant "$TMP/sasl/run.err")"
check "SASL, wrong password: the checkpoint is still at 0" 0 "$(awk '{print $5}' "$TMP/sasl/data/checkpoints")"
sasl_conf wonderland
"$AGENT" run -c "$TMP/sasl/agent.conf" 2>>"$TMP/sasl/run.err" &
RUN_PID=$!
sleep 2
kill -TERM "$RUN_PID"; wait "$RUN_PID"; check "SASL, right password: exit 0 on SIGTERM" 0 $?; RUN_PID=
check "SASL, right password: every line shipped once" 100 \
    "$(timeout 60 "$AGENT" consume -b "$BS" -t secured -e -X security.protocol=SASL_PLAINTEXT \
        -X sasl.mechanism=SCRAM-SHA-512 -X sasl.username=alice -X sasl.password=wonderland 2>/dev/null | sort -u | wc -l)"

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
