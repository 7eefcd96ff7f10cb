#!/usr/bin/env bash
# kafka-agent run under systemd, without systemd: the test plays the service manager. It
# binds the notification socket (AF_UNIX datagrams, as systemd does), starts run with
# NOTIFY_SOCKET and WATCHDOG_USEC=400000 against a kafka-mock process, and checks what
# arrives, in order:
#   READY=1 (with a STATUS) once the inputs are followed; WATCHDOG=1 about every 200 ms;
#   STATUS= the stats line with the lines delivered; after SIGHUP RELOADING=1 then READY=1;
#   after SIGTERM STOPPING=1, and exit 0 with every line delivered.
# Without NOTIFY_SOCKET nothing is sent (run works as before: test_agent_run).
# config/kafka-agent.service passes `systemd-analyze verify` with no warning.
# Usage: test_agent_systemd.sh PATH/TO/kafka-agent PATH/TO/kafka-mock
set -u
AGENT=$(realpath "${1:?usage: test_agent_systemd.sh kafka-agent kafka-mock}")
MOCK_BIN=${2:?usage: test_agent_systemd.sh kafka-agent kafka-mock}
TMP=$(mktemp -d)
RUN_PID=
LISTEN_PID=
. "$(dirname "$0")/agent_lib.sh"
trap '[ -n "$RUN_PID" ] && kill -9 "$RUN_PID" 2>/dev/null; [ -n "$LISTEN_PID" ] && kill "$LISTEN_PID" 2>/dev/null; stop_mock; rm -rf "$TMP"' EXIT

start_mock --brokers 1 --topic sd:2:1
mkdir -p "$TMP/logs" "$TMP/data"
seq 1 300 | sed 's/^/sd-/' >"$TMP/logs/a.log"
cat >"$TMP/agent.conf" <<EOF
bootstrap.servers = $BS
data.dir = $TMP/data
stats.interval.ms = 300
[input.app]
type = file
path = $TMP/logs/*.log
topic = sd
EOF

# The service manager's end: every datagram, one per line ("|" for newlines), in a file.
python3 - "$TMP/notify.sock" "$TMP/notes" <<'EOF' &
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1])
with open(sys.argv[2], 'w', buffering=1) as out:
    while True:
        d = s.recv(4096).decode()
        out.write(d.replace('\n', '|') + '\n')
EOF
LISTEN_PID=$!
for _ in $(seq 1 50); do [ -S "$TMP/notify.sock" ] && break; sleep 0.1; done

# --foreground: timeout passes a signal to the agent once (without it, also to its
# process group: a SIGHUP would arrive twice and reload twice).
NOTIFY_SOCKET=$TMP/notify.sock WATCHDOG_USEC=400000 timeout --foreground 60 "$AGENT" run -c "$TMP/agent.conf" 2>"$TMP/run.err" &
RUN_PID=$!
for _ in $(seq 1 300); do grep -q "delivered 300," "$TMP/notes" 2>/dev/null && break; sleep 0.1; done
sleep 1
kill -HUP "$RUN_PID"
for _ in $(seq 1 50); do grep -q 'RELOADING=1' "$TMP/notes" 2>/dev/null && break; sleep 0.1; done
sleep 0.5
kill -TERM "$RUN_PID"; wait "$RUN_PID"; check "SIGTERM: exit 0" 0 $?; RUN_PID=
sleep 0.2

grep -q '^READY=1|STATUS=shipping 1 input from ' "$TMP/notes" && pass "READY=1 with its STATUS" ||
    fail "READY=1 with its STATUS" "READY=1|STATUS=shipping 1 input from ..." "$(head -3 "$TMP/notes")"
wd=$(grep -c '^WATCHDOG=1$' "$TMP/notes")
[ "$wd" -ge 5 ] && pass "WATCHDOG=1 about every 200 ms ($wd)" || fail "WATCHDOG=1 about every 200 ms" ">= 5" "$wd"
grep -q '^STATUS=lines read 300, bytes [0-9]*, delivered 300, failed 0,' "$TMP/notes" && pass "STATUS= the stats line" ||
    fail "STATUS= the stats line" "STATUS=lines read 300, ..., delivered 300" "$(grep STATUS "$TMP/notes" | tail -2)"
order=$(grep -v '^WATCHDOG=1$' "$TMP/notes" | grep -v '^STATUS=lines' | sed 's/|.*//' | tr '\n' ' ')
check "READY, RELOADING, READY, STOPPING in that order" "READY=1 RELOADING=1 READY=1 STOPPING=1 " "$order"
check "every line delivered" 300 "$(timeout 60 "$AGENT" consume -b "$BS" -t sd -e 2>/dev/null | sort -u | wc -l)"

# A WATCHDOG_PID that is not ours (systemd sets it for the main process only): no pings.
: >"$TMP/notes"
NOTIFY_SOCKET=$TMP/notify.sock WATCHDOG_USEC=200000 WATCHDOG_PID=1 timeout --foreground 60 "$AGENT" run -c "$TMP/agent.conf" 2>/dev/null &
RUN_PID=$!
sleep 1.5
kill -TERM "$RUN_PID"; wait "$RUN_PID"; RUN_PID=
check "another process's watchdog: no WATCHDOG=1" 0 "$(grep -c '^WATCHDOG=1$' "$TMP/notes")"
grep -q '^READY=1' "$TMP/notes" && pass "another process's watchdog: still READY=1" || fail "still READY=1"

if command -v systemd-analyze >/dev/null 2>&1; then
    sed "s|/usr/local/bin/kafka-agent|$AGENT|" "$(dirname "$0")/../config/kafka-agent.service" >"$TMP/kafka-agent.service"
    systemd-analyze verify "$TMP/kafka-agent.service" >"$TMP/verify.out" 2>&1
    check "kafka-agent.service: systemd-analyze verify passes" 0 $?
    check "kafka-agent.service: no warning" "" "$(cat "$TMP/verify.out")"
else
    echo "skip kafka-agent.service check: no systemd-analyze on this machine"
fi

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
