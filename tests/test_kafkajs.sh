#!/usr/bin/env bash
# kafkajs (npm, an independent client in JavaScript: tests/node/kafkajs_peer.js) against
# one kafka-mock with PLAINTEXT, SASL_PLAINTEXT and SASL_SSL listeners: it produces over
# each (SASL with PLAIN, SCRAM-SHA-256 and SCRAM-SHA-512; SASL_SSL trusting the mock's
# CA), its admin client sees the brokers at the ports of the listener it came in on and
# the topic's offsets; a wrong password is refused with kafkajs' SASL error; and our
# kafka-agent reads back what kafkajs wrote, every message, over PLAINTEXT and SASL_SSL.
# Usage: test_kafkajs.sh PATH/TO/kafka-mock PATH/TO/kafka-agent
# kafkajs comes from scripts/install-deps.sh (npm, into tests/node/node_modules); without
# node or kafkajs the test says so and exits 77 (skipped).
set -u
MOCK_BIN=${1:?usage: test_kafkajs.sh kafka-mock kafka-agent}
AGENT=${2:?usage: test_kafkajs.sh kafka-mock kafka-agent}
. "$(dirname "$0")/agent_lib.sh"
require_kafkajs
TMP=$(mktemp -d)
trap 'stop_mock; rm -rf "$TMP"' EXIT
N=200

# field NAME VAR: the mock's next output line must be "NAME value"; VAR gets the value.
field() {
    local line=
    read -r -t 5 -u "$MOCK_OUT" line
    check "kafka-mock prints its $1 line" "$1" "${line%% *}"
    printf -v "$2" '%s' "${line#"$1" }"
}
# sorted BOOTSTRAP: the list sorted, as the peer prints its brokers.
sorted() { tr , '\n' <<<"$1" | sort | paste -sd, -; }
# kjs BOOTSTRAP PROTOCOL MECHANISM USER PASSWORD TOPIC [COUNT]: kafkajs_peer.js, bounded.
kjs() { (cd "$NODE_DIR" && timeout 30 node kafkajs_peer.js "$1" "$2" "$3" "$4" "$5" "$CA" "$6" "${7:-$N}"); }
# expected PROTOCOL MECHANISM: the lines kafka-agent should print for one kafkajs run.
expected() { for ((i = 0; i < N; i++)); do printf 'k%d=kafkajs %s %s %d\n' "$i" "$1" "$2" "$i"; done; }

start_mock --brokers 2 --sasl PLAIN,SCRAM-SHA-256,SCRAM-SHA-512 --user alice:wonderland --user bob:builder \
    --listener PLAINTEXT --listener SASL_PLAINTEXT --listener SASL_SSL \
    --topic kjs-plain:2:2 --topic kjs-PLAIN:2:2 --topic kjs-SCRAM-SHA-256:2:2 --topic kjs-SCRAM-SHA-512:2:2 \
    --topic kjs-tls:2:2
field BOOTSTRAP_SASL_PLAINTEXT SASL_BS
field BOOTSTRAP_SASL_SSL SASL_SSL_BS
field CA CA

# ---- kafkajs produces over each listener; its admin client sees that listener ----
# run NAME BOOTSTRAP PROTOCOL MECHANISM USER PASSWORD TOPIC
run() {
    local name=$1 bs=$2
    shift 2
    kjs "$bs" "$@" >"$TMP/kjs.out" 2>&1
    check "$name: kafkajs exits 0" 0 $?
    check "$name: kafkajs produced $N messages to an empty partition" "PRODUCED $N base=0" "$(sed -n 1p "$TMP/kjs.out")"
    check "$name: the brokers advertised are this listener's" "BROKERS $(sorted "$bs")" "$(sed -n 2p "$TMP/kjs.out")"
    check "$name: admin fetchTopicOffsets" "OFFSETS 0:0:$N 1:0:0" "$(sed -n 3p "$TMP/kjs.out")"
}
run "PLAINTEXT" "$BS" PLAINTEXT - - - kjs-plain
for mech in PLAIN SCRAM-SHA-256 SCRAM-SHA-512; do
    run "SASL_PLAINTEXT $mech" "$SASL_BS" SASL_PLAINTEXT "$mech" alice wonderland "kjs-$mech"
done
run "SASL_SSL SCRAM-SHA-512" "$SASL_SSL_BS" SASL_SSL SCRAM-SHA-512 bob builder kjs-tls

# ---- a wrong password: kafkajs' SASL error, nothing written ----
for mech in PLAIN SCRAM-SHA-256 SCRAM-SHA-512; do
    kjs "$SASL_BS" SASL_PLAINTEXT "$mech" alice wonderlant kjs-plain 1 >"$TMP/kjs.out" 2>&1
    check "SASL_PLAINTEXT $mech, wrong password: refused (exit 3)" 3 $?
    contains "SASL_PLAINTEXT $mech, wrong password: KafkaJSSASLAuthenticationError" \
        "REFUSED KafkaJSSASLAuthenticationError: SASL " "$TMP/kjs.out"
    if [ "$mech" = PLAIN ]; then why="Invalid username or password"; else why="invalid credentials with SASL mechanism $mech"; fi
    contains "SASL_PLAINTEXT $mech, wrong password: the broker's message reaches kafkajs" "$why" "$TMP/kjs.out"
done
kjs "$SASL_SSL_BS" SASL_SSL PLAIN mallory x kjs-tls 1 >"$TMP/kjs.out" 2>&1
check "SASL_SSL PLAIN, unknown user: refused (exit 3)" 3 $?
kjs "$BS" PLAINTEXT - - - kjs-plain 0 >/dev/null 2>&1
check "kafkajs_peer.js with no count: usage, exit 2" 2 $?

# ---- our kafka-agent reads what kafkajs wrote: every message, in order, once ----
agent_consume() { timeout 30 "$AGENT" consume -t "$1" -p 0 -o beginning -e -f '%k=%s\n' -b "${@:2}" 2>>"$TMP/agent.err"; }
agent_consume kjs-plain "$BS" >"$TMP/got"
check "kafka-agent over PLAINTEXT: kafkajs' $N PLAINTEXT messages" "$(expected PLAINTEXT -)" "$(cat "$TMP/got")"
for mech in PLAIN SCRAM-SHA-256 SCRAM-SHA-512; do
    agent_consume "kjs-$mech" "$BS" >"$TMP/got"
    check "kafka-agent over PLAINTEXT: kafkajs' $N SASL_PLAINTEXT $mech messages" \
        "$(expected SASL_PLAINTEXT "$mech")" "$(cat "$TMP/got")"
done
agent_consume kjs-tls "$SASL_SSL_BS" -X security.protocol=SASL_SSL -X ssl.ca.location="$CA" \
    -X sasl.mechanism=SCRAM-SHA-256 -X sasl.username=alice -X sasl.password=wonderland >"$TMP/got"
check "kafka-agent over SASL_SSL (SCRAM-SHA-256): kafkajs' $N SASL_SSL messages" \
    "$(expected SASL_SSL SCRAM-SHA-512)" "$(cat "$TMP/got")"
check "nothing of the refused logins was written: kjs-plain ends at $N" "$N" \
    "$(timeout 30 "$AGENT" offsets -b "$BS" -t kjs-plain -p 0 --time latest 2>>"$TMP/agent.err")"
stop_mock

echo "$passed passed, $failed failed"
if [ "$failed" -ne 0 ]; then
    echo "--- kafka-agent stderr ---"; tail -20 "$TMP/agent.err"
    echo "--- kafka-mock stderr ---"; tail -20 "$TMP/mock.err"
    exit 1
fi
exit 0
