#!/usr/bin/env bash
# kcat (librdkafka's command-line client) against the kafka-mock executable: produce and
# consume with every codec, headers and keys intact; metadata; offsets; the SSL
# listeners of --tls (kcat over TLS with the printed CA, host names checked); SASL
# (--sasl, every mechanism, plaintext and TLS, a wrong password refused); OAUTHBEARER
# with librdkafka's unsecured JWT, 1.5 s sessions (--sasl-session-lifetime-ms) and
# sasl-fail; one cluster with all four --listener protocols, each advertising its own
# ports; and fault commands on the mock's stdin. Usage: test_mock_kcat.sh PATH/TO/kafka-mock
# Prints one line per check and "N passed, M failed" last; exit 1 on any failure, 77
# (skipped) without kcat. Every client call is bounded by `timeout`; the mock is stopped
# by closing its stdin.
set -u

MOCK_BIN=${1:?usage: test_mock_kcat.sh PATH/TO/kafka-mock}
KCAT=${KCAT:-kcat}
if ! command -v "$KCAT" >/dev/null 2>&1; then
    echo "kcat not found: skipped"
    exit 77
fi

TMP=$(mktemp -d)
passed=0
failed=0
MOCK_PID=
MOCK_IN=
MOCK_OUT=

pass() { passed=$((passed + 1)); echo "ok   $1"; }
fail() {
    failed=$((failed + 1))
    echo "FAIL $1"
    if [ $# -ge 3 ]; then
        echo "  expected:"; printf '%s\n' "$2" | sed 's/^/    |/'
        echo "  got:"; printf '%s\n' "$3" | sed 's/^/    |/'
    fi
}
# check NAME EXPECTED GOT: exact comparison.
check() { if [ "$2" == "$3" ]; then pass "$1"; else fail "$1" "$2" "$3"; fi; }

# Starts kafka-mock with the given arguments; sets BS (bootstrap list) and PORT1..3.
start_mock() {
    mkfifo "$TMP/in" "$TMP/out"
    "$MOCK_BIN" "$@" <"$TMP/in" >"$TMP/out" 2>"$TMP/mock.err" &
    MOCK_PID=$!
    exec {MOCK_IN}>"$TMP/in" {MOCK_OUT}<"$TMP/out"
    local line=
    if ! read -r -t 10 -u "$MOCK_OUT" line || [ "${line%% *}" != BOOTSTRAP ]; then
        echo "kafka-mock did not start: '$line'"; cat "$TMP/mock.err"
        exit 1
    fi
    BS=${line#BOOTSTRAP }
    IFS=, read -r b1 b2 b3 <<<"$BS"
    PORT1=${b1##*:} PORT2=${b2##*:} PORT3=${b3##*:}
}

# Closes the mock's stdin (it exits on end of input) and waits for it, bounded.
stop_mock() {
    [ -n "$MOCK_PID" ] || return 0
    exec {MOCK_IN}>&- {MOCK_OUT}<&-
    local i
    for ((i = 0; i < 50; i++)); do
        kill -0 "$MOCK_PID" 2>/dev/null || break
        sleep 0.1
    done
    if kill -0 "$MOCK_PID" 2>/dev/null; then
        kill "$MOCK_PID" 2>/dev/null
        fail "kafka-mock exits when its stdin closes"
        wait "$MOCK_PID" 2>/dev/null
    else
        wait "$MOCK_PID"
        check "kafka-mock exits 0 when its stdin closes" 0 $?
    fi
    MOCK_PID=
    rm -f "$TMP/in" "$TMP/out"
}
trap 'stop_mock >/dev/null; rm -rf "$TMP"' EXIT

# command LINE: sends one command to the mock and prints its one-line reply.
command() {
    local reply=
    printf '%s\n' "$1" >&"$MOCK_IN"
    read -r -t 5 -u "$MOCK_OUT" reply
    printf '%s\n' "$reply"
}

kc() { timeout 15 "$KCAT" -b "$BS" -X reconnect.backoff.max.ms=200 "$@" 2>>"$TMP/kcat.err"; }

# Metadata without its first line, which names whichever broker answered.
metadata() { kc -L "$@" | tail -n +2; }

# ---- a current (ApiVersions-speaking) cluster ----
start_mock --brokers 3 --topic meta:3:3
brokers3="$(printf ' 3 brokers:\n  broker 1 at 127.0.0.1:%s (controller)\n  broker 2 at 127.0.0.1:%s\n  broker 3 at 127.0.0.1:%s' \
    "$PORT1" "$PORT2" "$PORT3")"

input=$'k0:first value\nk1:second\nk2:\nk3:a longer value, repeated repeated repeated repeated repeated\nk4:last'
for codec in none gzip snappy lz4 zstd; do
    topic=codec-$codec
    printf '%s\n' "$input" | kc -P -t "$topic" -p 0 -K: -H "codec=$codec" -H idx=x -z "$codec"
    check "produce -z $codec: exit status" 0 $?
    got=$(kc -C -t "$topic" -p 0 -o beginning -e -f '%p %o %k=%s [%h]\n')
    want=$(i=0; while IFS=: read -r k v; do
        printf '0 %d %s=%s [codec=%s,idx=x]\n' "$i" "$k" "$v" "$codec"; i=$((i + 1)); done <<<"$input")
    check "consume back -z $codec: keys, values, headers, offsets" "$want" "$got"
done

# Offsets: -Q TOPIC:PARTITION:TIME with -1 (end), -2 (beginning), a future timestamp.
check "query end offset (-Q :-1)" "codec-gzip [0] offset 5" "$(kc -Q -t codec-gzip:0:-1)"
check "query beginning offset (-Q :-2)" "codec-gzip [0] offset 0" "$(kc -Q -t codec-gzip:0:-2)"
check "query offset for a future timestamp" "codec-gzip [0] offset -1" "$(kc -Q -t codec-gzip:0:99999999999999)"
check "offsets command" "ok codec-gzip/0 log_start=0 high_watermark=5" "$(command "offsets codec-gzip 0")"

# Metadata: the brokers exactly; the topic's partitions with leaders spread over the
# brokers, each leader one of its replicas, every replica in sync.
md=$(metadata -t meta)
check "metadata: brokers" "$brokers3" "$(head -4 <<<"$md")"
check "metadata: topic" $' 1 topics:\n  topic "meta" with 3 partitions:' "$(sed -n '5,6p' <<<"$md")"
leaders=$(sed -n 's/^    partition \([0-9]\), leader \([1-3]\), replicas: \([1-3],[1-3],[1-3]\), isrs: \3$/\1 \2/p' <<<"$md")
check "metadata: partitions 0-2, every replica in sync" "0 1 2" "$(cut -d' ' -f1 <<<"$leaders" | xargs)"
check "metadata: leaders spread over brokers 1-3" "1 2 3" "$(cut -d' ' -f2 <<<"$leaders" | sort | xargs)"
check "metadata: all topics listed" $'  topic "codec-gzip" with 4 partitions:\n  topic "codec-lz4" with 4 partitions:\n  topic "codec-none" with 4 partitions:\n  topic "codec-snappy" with 4 partitions:\n  topic "codec-zstd" with 4 partitions:\n  topic "meta" with 3 partitions:' \
    "$(metadata | grep '^  topic' | sort)"

# Faults through stdin: a broker down leaves metadata and its partitions move; produce
# still works; up again brings it back.
check "down 2: reply" "ok broker 2 down" "$(command "down 2")"
md=$(metadata -t meta)
check "down 2: metadata lists 2 brokers" "$(printf ' 2 brokers:\n  broker 1 at 127.0.0.1:%s (controller)\n  broker 3 at 127.0.0.1:%s' "$PORT1" "$PORT3")" \
    "$(head -3 <<<"$md")"
check "down 2: no partition led by 2, 2 out of every ISR" "" \
    "$(grep -E 'leader 2,|isrs: .*2' <<<"$md")"
printf 'k:after down\n' | kc -P -t meta -X acks=all
check "down 2: produce still succeeds" 0 $?
check "up 2: reply" "ok broker 2 up" "$(command "up 2")"
check "up 2: metadata lists 3 brokers" "$brokers3" "$(metadata -t meta | head -4)"

# An injected retriable error costs a retry, not a message.
check "error command: reply" "ok Produce x2 -> NOT_LEADER_OR_FOLLOWER" "$(command "error Produce 2 NOT_LEADER_OR_FOLLOWER")"
printf 'one\ntwo\n' | kc -P -t codec-none -p 1 -X retry.backoff.ms=20
check "produce through injected errors: exit status" 0 $?
check "produce through injected errors: consumed once each" $'0 one\n1 two' \
    "$(kc -C -t codec-none -p 1 -o beginning -e -f '%o %s\n')"
check "bad command: error reply" "error: unknown command 'nonsense' (try: help)" "$(command "nonsense")"
stop_mock

# ---- a Kafka 0.8 (legacy) cluster: librdkafka falls back to the 0.8 protocol ----
start_mock --brokers 3 --legacy --topic old:1:3
for codec in none gzip; do
    printf 'a:1\nb:2\nc:3\n' | kc -P -t old -p 0 -K: -z "$codec" -X api.version.request=false \
        -X broker.version.fallback=0.8.2.2
    check "legacy produce -z $codec: exit status" 0 $?
done
check "legacy consume: both batches, keys and values" $'0 a=1\n1 b=2\n2 c=3\n3 a=1\n4 b=2\n5 c=3' \
    "$(kc -C -t old -p 0 -o beginning -e -f '%o %k=%s\n' -X api.version.request=false -X broker.version.fallback=0.8.2.2)"
check "legacy end offset (ListOffsets v0)" "old [0] offset 6" \
    "$(kc -Q -t old:0:-1 -X api.version.request=false -X broker.version.fallback=0.8.2.2)"
stop_mock

# field NAME VAR: reads the mock's next output line, checks that it is "NAME value" and
# sets VAR to the value.
field() {
    local line=
    read -r -t 5 -u "$MOCK_OUT" line
    check "kafka-mock prints its $1 line" "$1" "${line%% *}"
    printf -v "$2" '%s' "${line#"$1" }"
}

# ---- TLS: --tls adds SSL listeners and prints them, and the CA it made, after BOOTSTRAP ----
start_mock --brokers 2 --tls --topic sec:2:2
field BOOTSTRAP_SSL SSL_BS
field CA CA
check "--tls: the CA file holds a certificate" "-----BEGIN CERTIFICATE-----" "$(head -1 "$CA" 2>&1)"
ks() {
    timeout 15 "$KCAT" -b "$SSL_BS" -X security.protocol=ssl -X ssl.ca.location="$CA" \
        -X ssl.endpoint.identification.algorithm=https "$@" 2>>"$TMP/kcat.err"
}
printf 'k:over tls\n' | ks -P -t sec -p 1 -K:
check "produce over TLS (host name checked): exit status" 0 $?
check "consume over TLS" "0 k=over tls" "$(ks -C -t sec -p 1 -o beginning -e -f '%o %k=%s\n')"
IFS=, read -r s1 s2 <<<"$SSL_BS"
check "metadata over TLS: the SSL listeners' ports" \
    "$(printf ' 2 brokers:\n  broker 1 at 127.0.0.1:%s (controller)\n  broker 2 at 127.0.0.1:%s' "${s1##*:}" "${s2##*:}")" \
    "$(ks -L -t sec | sed -n '2,4p')"
check "the PLAINTEXT listener serves the same log" "0 k=over tls" "$(kc -C -t sec -p 1 -o beginning -e -f '%o %k=%s\n')"
timeout 15 "$KCAT" -b "$SSL_BS" -X security.protocol=ssl -m 2 -L >/dev/null 2>"$TMP/untrusted.err"
rc=$?
# kcat (librdkafka 2.0.2) exits 1 here, but once in a while crashes on its way out
# (139) after the refusal; the refusal itself is what is checked.
check "without the CA (system trust store): refused, certificate verify failed" "refused" \
    "$( [ $rc -ne 0 ] && grep -q 'certificate verify failed' "$TMP/untrusted.err" && echo refused || echo "exit $rc")"
stop_mock
check "--tls: the CA file is removed on exit" "gone" "$( [ -e "$CA" ] && echo there || echo gone)"

# ---- mutual TLS: --tls-client-auth prints a client certificate and key of its CA ----
start_mock --brokers 1 --tls --tls-client-auth
field BOOTSTRAP_SSL SSL_BS
field CA CA
field CLIENT_CERT CC
field CLIENT_KEY CK
printf 'm\n' | ks -P -t mutual -p 0 -X ssl.certificate.location="$CC" -X ssl.key.location="$CK"
check "mutual TLS: produce with the client certificate" 0 $?
ks -m 2 -L >/dev/null 2>"$TMP/nocert.err"
check "mutual TLS: no client certificate, refused" 1 $?
stop_mock
check "--tls-client-auth: the client files are removed on exit" "gone" \
    "$( [ -e "$CC" ] || [ -e "$CK" ] && echo there || echo gone)"

# ---- SASL: --sasl makes both listeners authenticate (SASL_PLAINTEXT, SASL_SSL) ----
start_mock --brokers 2 --tls --sasl PLAIN,SCRAM-SHA-256,SCRAM-SHA-512 --sasl-scram-lenient \
    --user alice:wonderland --user bob:builder
field BOOTSTRAP_SASL_PLAINTEXT SASL_BS
field BOOTSTRAP_SASL_SSL SASL_SSL_BS
field CA CA
check "BOOTSTRAP_SASL_PLAINTEXT is the first listener (BOOTSTRAP)" "$BS" "$SASL_BS"
# ksasl PROTOCOL BOOTSTRAP MECH USER PASSWORD kcat-args...
ksasl() {
    local proto=$1 bs=$2 mech=$3 user=$4 pw=$5
    shift 5
    timeout 15 "$KCAT" -b "$bs" -X security.protocol="$proto" -X ssl.ca.location="$CA" -X sasl.mechanisms="$mech" \
        -X sasl.username="$user" -X sasl.password="$pw" "$@" 2>>"$TMP/kcat.err"
}
for mech in PLAIN SCRAM-SHA-256 SCRAM-SHA-512; do
    printf 'k:%s\n' "$mech" | ksasl sasl_plaintext "$SASL_BS" "$mech" alice wonderland -P -t sasl -p 0 -K:
    check "SASL_PLAINTEXT $mech: produce" 0 $?
    printf 'k:%s over tls\n' "$mech" | ksasl sasl_ssl "$SASL_SSL_BS" "$mech" bob builder -P -t sasl -p 0 -K:
    check "SASL_SSL $mech: produce" 0 $?
    ksasl sasl_plaintext "$SASL_BS" "$mech" alice wonderlant -m 3 -L >/dev/null 2>"$TMP/badpw.err"
    check "SASL_PLAINTEXT $mech: a wrong password is refused" 1 $?
done
check "SASL: consume what the six producers wrote" \
    "$(printf '0 k=PLAIN\n1 k=PLAIN over tls\n2 k=SCRAM-SHA-256\n3 k=SCRAM-SHA-256 over tls\n4 k=SCRAM-SHA-512\n5 k=SCRAM-SHA-512 over tls')" \
    "$(ksasl sasl_plaintext "$SASL_BS" SCRAM-SHA-512 bob builder -C -t sasl -p 0 -o beginning -e -f '%o %k=%s\n')"
timeout 15 "$KCAT" -b "$BS" -m 3 -L >/dev/null 2>"$TMP/nosasl.err"
check "no SASL: the listener hangs up, no metadata" 1 $?
stop_mock

# ---- OAUTHBEARER: librdkafka's unsecured JWT against the mock's validator ----
start_mock --brokers 1 --sasl OAUTHBEARER --sasl-session-lifetime-ms 1500
field BOOTSTRAP_SASL_PLAINTEXT SASL_BS
koauth() {
    timeout 15 "$KCAT" -b "$BS" -X security.protocol=sasl_plaintext -X sasl.mechanisms=OAUTHBEARER \
        -X enable.sasl.oauthbearer.unsecure.jwt=true -X sasl.oauthbearer.config="principal=$1" "${@:2}" \
        2>>"$TMP/kcat.err"
}
printf 'k:first\nk:second\n' | koauth alice -P -t oauth -p 0 -K:
check "OAUTHBEARER: produce" 0 $?
check "OAUTHBEARER: consume" "$(printf '0 k=first\n1 k=second')" \
    "$(koauth alice -C -t oauth -p 0 -o beginning -e -f '%o %k=%s\n')"
check "sasl-fail command" "ok sasl-fail 1000" "$(command "sasl-fail 1000")"
koauth alice -m 2 -L >/dev/null
check "sasl-fail: authentication refused" 1 $?
check "sasl-fail: the broker's message reaches the client" 1 "$(grep -c -m1 'refuses this authentication (sasl-fail)' "$TMP/kcat.err")"
command "sasl-fail 0" >/dev/null
koauth alice -m 3 -L >/dev/null
check "sasl-fail 0: authentication works again" 0 $?
stats=$(command sasl-stats)
if [[ $stats =~ ^ok\ authentications=([0-9]+)\ reauthentications=[0-9]+\ failures=([0-9]+)\ expired_closes= ]] &&
    [ "${BASH_REMATCH[1]}" -ge 3 ] && [ "${BASH_REMATCH[2]}" -ge 1 ]; then
    pass "sasl-stats: the authentications and the refused ones counted"
else
    fail "sasl-stats: the authentications and the refused ones counted" "authentications>=3 failures>=1" "$stats"
fi
stop_mock
# ---- --listener: one port per security protocol on every broker, each printed; Metadata
# on a connection advertises the brokers' ports of that connection's listener ----
start_mock --brokers 2 --sasl SCRAM-SHA-256 --sasl-scram-lenient --user alice:wonderland --topic lst:2:2 \
    --listener PLAINTEXT --listener SSL --listener SASL_PLAINTEXT --listener SASL_SSL
field BOOTSTRAP_SSL SSL_BS
field BOOTSTRAP_SASL_PLAINTEXT SASL_BS
field BOOTSTRAP_SASL_SSL SASL_SSL_BS
field CA CA
# ports LIST: "P1 P2" of a bootstrap list
ports() { local a b; IFS=, read -r a b <<<"$1"; echo "${a##*:} ${b##*:}"; }
check "--listener: four distinct port pairs" 8 \
    "$(printf '%s\n' $(ports "$BS") $(ports "$SSL_BS") $(ports "$SASL_BS") $(ports "$SASL_SSL_BS") | sort -u | wc -l)"
# advertised ARGS...: "P1 P2", the broker ports kcat's metadata lists.
advertised() { timeout 15 "$KCAT" "$@" -L -t lst 2>>"$TMP/kcat.err" | sed -n 's/^  broker [12] at 127.0.0.1:\([0-9]*\).*/\1/p' | xargs; }
check "PLAINTEXT listener: its own ports advertised, no SASL asked" "$(ports "$BS")" "$(advertised -b "$BS")"
check "SSL listener: its own ports advertised" "$(ports "$SSL_BS")" \
    "$(advertised -b "$SSL_BS" -X security.protocol=ssl -X ssl.ca.location="$CA")"
check "SASL_PLAINTEXT listener: its own ports advertised" "$(ports "$SASL_BS")" \
    "$(advertised -b "$SASL_BS" -X security.protocol=sasl_plaintext -X sasl.mechanisms=SCRAM-SHA-256 \
        -X sasl.username=alice -X sasl.password=wonderland)"
check "SASL_SSL listener: its own ports advertised" "$(ports "$SASL_SSL_BS")" \
    "$(advertised -b "$SASL_SSL_BS" -X security.protocol=sasl_ssl -X ssl.ca.location="$CA" \
        -X sasl.mechanisms=SCRAM-SHA-256 -X sasl.username=alice -X sasl.password=wonderland)"
printf 'k:plain\n' | kc -P -t lst -p 0 -K:
check "--listener: produce on PLAINTEXT" 0 $?
check "--listener: SASL_SSL reads what PLAINTEXT wrote" "0 k=plain" \
    "$(timeout 15 "$KCAT" -b "$SASL_SSL_BS" -X security.protocol=sasl_ssl -X ssl.ca.location="$CA" \
        -X sasl.mechanisms=SCRAM-SHA-256 -X sasl.username=alice -X sasl.password=wonderland \
        -C -t lst -p 0 -o beginning -e -f '%o %k=%s\n' 2>>"$TMP/kcat.err")"
timeout 15 "$KCAT" -b "$SASL_BS" -m 3 -L >/dev/null 2>"$TMP/nosasl.err"
check "--listener: SASL_PLAINTEXT still hangs up on a client without SASL" 1 $?
stop_mock
"$MOCK_BIN" --listener SASL_SSL </dev/null >/dev/null 2>"$TMP/bad.err"
check "--listener SASL_SSL without --sasl: exit 1, why" "1 kafka-mock: listener SASL_SSL needs SASL mechanisms (sasl_mechanisms, --sasl)" \
    "$? $(cat "$TMP/bad.err")"
"$MOCK_BIN" --listener PLAINTEXT --listener TLS </dev/null >/dev/null 2>"$TMP/bad.err"
check "--listener TLS: not a protocol" 1 $?

echo "$passed passed, $failed failed"
if [ "$failed" -ne 0 ]; then
    echo "--- kcat stderr ---"; tail -20 "$TMP/kcat.err"
    echo "--- kafka-mock stderr ---"; tail -20 "$TMP/mock.err"
    exit 1
fi
exit 0
