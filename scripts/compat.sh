#!/usr/bin/env bash
# The compatibility matrix: kafka-mock as every Kafka release it has a profile of
# (--kafka-version), and what works against each with no version settings:
#   produce   kafka-agent produce, 200 lines
#   consume   kafka-agent consume -o beginning -e: the 200 lines exactly
#   metadata  kafka-agent metadata -t
#   offsets   kafka-agent offsets --time latest: the partitions' ends add up to 200
#   bench-p   kafka-agent bench produce, 20,000 x 100 B, all delivered
#   bench-c   kafka-agent bench consume of those 20,000
#   kcat      kcat (librdkafka) reads the 200 lines (told 0.8.2.2 / 0.9.0 for 0.8.2 / 0.9)
#   group     kafka-agent consume -G GROUP -e: the 200 lines once, committed
#   groups    kafka-agent groups (the group listed) and groups -G (commits sum to 200, lag 0)
#   topics    kafka-agent topics: list, --create, --describe (partitions), --delete
#   configs   kafka-agent configs --describe --topic and --broker, topics --describe's configs
#   run       kafka-agent run shipping a 300-line file: every line once in the topic
#   eos       kafka-agent run with delivery.guarantee=exactly-once: every line once
#             (read_committed)
# Each cell is ok, n/a (the release lacks an API the feature needs: the tool must fail
# naming that API, which is checked, and the release's lack is the table `since` below;
# for 0.9, which answers no ApiVersions and is taken for 0.8, the group features are
# also checked to work when the client is told 0.9.0), or FAILED (the reason). The C-level
# checks (producer, consumer loop, origin fetch/offsets, commit, librdkafka at old Fetch
# versions) are tests/test_mock_profiles.c. Prints the table and the reasons; exits 1 if
# anything failed.
#
#   scripts/compat.sh [--quick] [BUILD_DIR]     (default build/release)
#
# --quick runs four profiles (0.8.2, 0.10.2, 2.4, 4.0): the CI form (ctest test_compat).
set -u
quick=0
if [ "${1:-}" = --quick ]; then quick=1; shift; fi
root=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$root/build/release}
MOCK=$build/daemon/kafka-mock
AGENT=$build/daemon/kafka-agent
for b in "$MOCK" "$AGENT"; do
    [ -x "$b" ] || { echo "compat: $b not built"; exit 2; }
done
KCAT=$(command -v kcat || command -v kafkacat || true)

profiles=(0.8.2 0.9 0.10.2 0.11 1.1 2.4 2.8 3.0 3.7 4.0 latest)
[ $quick = 1 ] && profiles=(0.8.2 0.10.2 2.4 4.0)
features=(produce consume metadata offsets bench-p bench-c kcat group groups topics configs run eos)

# The first Kafka release serving each API a feature needs beyond the 0.8 protocol
# (Kafka's protocol history, as lib/mock/releases.c transcribes it).
declare -A since=([JoinGroup]=0.9 [ListGroups]=0.9 [CreateTopics]=0.10.1 [DeleteTopics]=0.10.1
                  [DescribeConfigs]=0.11 [InitProducerId]=0.11)

TMP=$(mktemp -d)
MOCK_PID=
RUN_PID=
cleanup() {
    [ -n "$RUN_PID" ] && kill "$RUN_PID" 2>/dev/null
    [ -n "$MOCK_PID" ] && kill "$MOCK_PID" 2>/dev/null
    rm -rf "$TMP"
}
trap cleanup EXIT

declare -A result secs
failed=0

start_mock() {
    rm -f "$TMP/in" "$TMP/out"
    mkfifo "$TMP/in" "$TMP/out"
    "$MOCK" --brokers 3 --topic compat:2:2 --kafka-version "$1" <"$TMP/in" >"$TMP/out" 2>"$TMP/mock.err" &
    MOCK_PID=$!
    exec {MOCK_IN}>"$TMP/in" {MOCK_OUT}<"$TMP/out"
    local line=
    read -r -t 10 -u "$MOCK_OUT" line
    [ "${line%% *}" = BOOTSTRAP ] || return 1
    BS=${line#BOOTSTRAP }
}

stop_mock() {
    exec {MOCK_IN}>&- {MOCK_OUT}<&-
    for _ in $(seq 50); do kill -0 "$MOCK_PID" 2>/dev/null || break; sleep 0.1; done
    kill "$MOCK_PID" 2>/dev/null
    wait "$MOCK_PID" 2>/dev/null
    MOCK_PID=
}

# record PROFILE FEATURE ok|na|fail [REASON...]
record() {
    local p=$1 f=$2 s=$3; shift 3
    if [ -n "${COMPAT_TIMES:-}" ]; then
        local now; now=$(date +%s%N)
        echo "$p $f $(( (now - ${last_ns:-$now}) / 1000000 )) ms" >&2
        last_ns=$now
    fi
    case $s in
    ok) result[$p,$f]=ok ;;
    na) result[$p,$f]="n/a: $*" ;;
    *)
        result[$p,$f]="FAILED: $(echo "$*" | tr '\n' ' ' | cut -c1-160)"
        failed=1
        ;;
    esac
}

# ver_lt A B: release A is older than B ("latest" is older than nothing).
ver_lt() {
    [ "$1" != latest ] && [ "$1" != "$2" ] && [ "$(printf '%s\n%s\n' "$1" "$2" | sort -V | head -1)" = "$1" ]
}

# lacks PROFILE API: why the client cannot use API on PROFILE (nothing when it can).
lacks() {
    if ver_lt "$1" "${since[$2]}"; then
        echo "Kafka $1 has no $2 (since ${since[$2]})"
    elif ver_lt "$1" 0.10; then
        echo "Kafka $1 answers no ApiVersions, so the client takes it for 0.8: no $2"
    fi
}

# lacks_any PROFILE API...: why the client cannot use the first of the APIs it cannot.
lacks_any() {
    local p=$1 a; shift
    for a in "$@"; do
        [ -n "$(lacks "$p" "$a")" ] && { lacks "$p" "$a"; return; }
    done
}

# expect_na PROFILE FEATURE RC ERRFILE API...: the feature failed (RC != 0) naming one of
# the APIs that the release lacks: n/a; anything else FAILED.
expect_na() {
    local p=$1 f=$2 rc=$3 err=$4 a; shift 4
    for a in "$@"; do
        if [ -n "$(lacks "$p" "$a")" ] && [ "$rc" != 0 ] && grep -q "speaks no $a version" "$err"; then
            local why b
            why=$(lacks "$p" "$a")
            for b in "$@"; do
                [ "$b" != "$a" ] && [ -n "$(lacks "$p" "$b")" ] && why+=", nor $b (since ${since[$b]})"
            done
            record "$p" "$f" na "$why"
            return
        fi
    done
    record "$p" "$f" fail "expected a failure naming $* ($(lacks_any "$p" "$@")), got exit $rc: $(tail -2 "$err")"
}

# read_back TOPIC [ARGS...]: the topic's messages from the beginning, sorted.
read_back() {
    local t=$1; shift
    timeout 20 "$AGENT" consume -b "$BS" "$@" -t "$t" -o beginning -e 2>"$TMP/rb.err" | sort -V
}

# run_case PROFILE FEATURE TOPIC [CONFIG LINES...]: kafka-agent run ships a 300-line file
# to TOPIC; when all of it is in (read_committed), SIGTERM, exit 0, every line once.
run_case() {
    local p=$1 f=$2 topic=$3; shift 3
    local d=$TMP/$f
    rm -rf "$d"
    mkdir -p "$d/logs" "$d/data"
    seq 1 300 | sed "s/^/$f-/" >"$d/logs/app.log"
    {
        printf 'bootstrap.servers = %s\ndata.dir = %s\nstats.interval.ms = 0\n' "$BS" "$d/data"
        for l in "$@"; do printf '%s\n' "$l"; done
        printf '[input.app]\ntype = file\npath = %s/logs/*.log\ntopic = %s\nstart = beginning\n' "$d" "$topic"
    } >"$d/agent.conf"
    "$AGENT" run -c "$d/agent.conf" 2>"$d/run.err" &
    RUN_PID=$!
    local got='' n=0 alive=1
    for _ in $(seq 100); do
        sleep 0.1
        kill -0 "$RUN_PID" 2>/dev/null || { alive=0; break; }
        got=$(read_back "$topic" -X isolation.level=read_committed)
        n=$(grep -c . <<<"$got")
        [ "$n" -ge 300 ] && break
    done
    local rc
    if [ $alive = 1 ]; then
        kill -TERM "$RUN_PID"
        wait "$RUN_PID"
        rc=$?
    else
        wait "$RUN_PID"
        rc=$?
    fi
    RUN_PID=
    [ $alive = 1 ] && got=$(read_back "$topic" -X isolation.level=read_committed)
    if [ "$got" = "$(sed -n p "$d/logs/app.log" | sort -V)" ] && [ $alive = 1 ] && [ $rc = 0 ]; then
        record "$p" "$f" ok
    elif [ "$f" = eos ] && [ -n "$(lacks_any "$p" InitProducerId CreateTopics)" ]; then
        # the checkpoint topic (CreateTopics), then InitProducerId: the first missing is named
        expect_na "$p" "$f" "$rc" "$d/run.err" InitProducerId CreateTopics
    else
        record "$p" "$f" fail "$(grep -c . <<<"$got") of 300 lines (once each: $(uniq -d <<<"$got" | grep -c .) twice);" \
            "run exit $rc$([ $alive = 0 ] && echo ' before the end'): $(tail -1 "$d/run.err")"
    fi
}

expected=$(seq 1 200 | sed 's/^/line-/')
for p in "${profiles[@]}"; do
    t0=$(date +%s.%N)
    if ! start_mock "$p"; then
        for f in "${features[@]}"; do record "$p" "$f" fail "kafka-mock did not start: $(cat "$TMP/mock.err")"; done
        continue
    fi
    out=$(echo "$expected" | timeout 20 "$AGENT" produce -b "$BS" -t compat 2>&1) \
        && record "$p" produce ok || record "$p" produce fail "$out"
    got=$(read_back compat)
    [ "$got" = "$expected" ] && record "$p" consume ok \
        || record "$p" consume fail "$(grep -c . <<<"$got") of 200 lines; $(tail -1 "$TMP/rb.err")"
    out=$(timeout 20 "$AGENT" metadata -b "$BS" -t compat 2>&1)
    [ $? = 0 ] && grep -q compat <<<"$out" && record "$p" metadata ok || record "$p" metadata fail "$out"
    o0=$(timeout 20 "$AGENT" offsets -b "$BS" -t compat -p 0 --time latest 2>&1)
    o1=$(timeout 20 "$AGENT" offsets -b "$BS" -t compat -p 1 --time latest 2>&1)
    sum=$(( $(grep -oE '[0-9]+$' <<<"$o0" | tail -1 || echo 0) + $(grep -oE '[0-9]+$' <<<"$o1" | tail -1 || echo 0) ))
    [ "$sum" = 200 ] && record "$p" offsets ok || record "$p" offsets fail "latest offsets sum $sum: $o0 $o1"

    out=$(timeout 30 "$AGENT" bench produce -b "$BS" -t bench -n 20000 -s 100 2>/dev/null | grep '^RESULT')
    grep -q 'delivered=20000 failed=0' <<<"$out" && record "$p" bench-p ok || record "$p" bench-p fail "${out:-no RESULT line}"
    out=$(timeout 30 "$AGENT" bench consume -b "$BS" -t bench -n 20000 -s 100 2>"$TMP/err" | grep '^RESULT')
    grep -q 'mode=consume msgs=20000 ' <<<"$out" && record "$p" bench-c ok \
        || record "$p" bench-c fail "${out:-no RESULT line: $(tail -1 "$TMP/err")}"

    if [ -z "$KCAT" ]; then
        record "$p" kcat fail "kcat not installed"
    else
        kx=()
        case $p in
        0.8.2) kx=(-X api.version.request=false -X broker.version.fallback=0.8.2.2) ;;
        0.9) kx=(-X api.version.request=false -X broker.version.fallback=0.9.0) ;;
        esac
        got=$(timeout 20 "$KCAT" -b "$BS" "${kx[@]}" -C -t compat -o beginning -e -q 2>"$TMP/err" | sort -V)
        [ "$got" = "$expected" ] && record "$p" kcat ok \
            || record "$p" kcat fail "$(grep -c . <<<"$got") of 200 lines; $(tail -1 "$TMP/err")"
    fi

    # group: consume -G reads everything once and commits it (n/a without JoinGroup).
    timeout 20 "$AGENT" consume -b "$BS" -t compat -G compat-g -o beginning -e >"$TMP/got" 2>"$TMP/err"
    rc=$?
    got=$(sort -V "$TMP/got")
    if [ -n "$(lacks "$p" JoinGroup)" ]; then
        expect_na "$p" group "$rc" "$TMP/err" JoinGroup
        if ! ver_lt "$p" "${since[JoinGroup]}"; then # 0.9: told its version, it works
            got=$(timeout 20 "$AGENT" consume -b "$BS" -X api.version.request=false -X broker.version.fallback=0.9.0 \
                  -t compat -G compat-g -o beginning -e 2>"$TMP/err" | sort -V)
            [ "$got" = "$expected" ] && result[$p,group]+="; ok with broker.version.fallback=0.9.0" \
                || record "$p" group fail "with broker.version.fallback=0.9.0: $(grep -c . <<<"$got") of 200 lines; $(tail -1 "$TMP/err")"
        fi
    elif [ "$rc" = 0 ] && [ "$got" = "$expected" ]; then
        record "$p" group ok
    else
        record "$p" group fail "exit $rc, $(grep -c . <<<"$got") of 200 lines; $(tail -1 "$TMP/err")"
    fi

    # groups: the group listed; its commits add up to 200 with no lag.
    out=$(timeout 20 "$AGENT" groups -b "$BS" 2>"$TMP/err")
    rc=$?
    if [ -n "$(lacks "$p" ListGroups)" ]; then
        expect_na "$p" groups "$rc" "$TMP/err" ListGroups
    else
        out2=$(timeout 20 "$AGENT" groups -b "$BS" -G compat-g 2>>"$TMP/err")
        rc2=$?
        committed=$(awk '$1 == "compat" { s += $3 } END { print s + 0 }' <<<"$out2")
        if [ $rc = 0 ] && [ $rc2 = 0 ] && grep -q '^compat-g ' <<<"$out" && [ "$committed" = 200 ] \
            && grep -q '^total lag 0$' <<<"$out2"; then
            record "$p" groups ok
        else
            record "$p" groups fail "exit $rc/$rc2, committed $committed: $(tail -1 <<<"$out2") $(tail -1 "$TMP/err")"
        fi
    fi

    # topics: list; create, describe, delete (n/a without CreateTopics).
    out=$(timeout 20 "$AGENT" topics -b "$BS" 2>&1)
    if [ $? != 0 ] || ! grep -q 'compat: 2 partitions, replication factor 2' <<<"$out"; then
        record "$p" topics fail "list: $out"
    else
        timeout 20 "$AGENT" topics -b "$BS" --create ct --partitions 3 --replication-factor 2 >"$TMP/got" 2>"$TMP/err"
        rc=$?
        if [ -n "$(lacks "$p" CreateTopics)" ]; then
            expect_na "$p" topics "$rc" "$TMP/err" CreateTopics
        else
            d=$(timeout 20 "$AGENT" topics -b "$BS" --describe ct 2>"$TMP/derr")
            drc=$?
            timeout 20 "$AGENT" topics -b "$BS" --delete ct >>"$TMP/got" 2>>"$TMP/err"
            delrc=$?
            after=$(timeout 20 "$AGENT" topics -b "$BS" 2>&1)
            # the configs part of --describe needs DescribeConfigs: the configs column
            dok=0
            if [ -n "$(lacks "$p" DescribeConfigs)" ]; then
                [ $drc != 0 ] && grep -q 'speaks no DescribeConfigs version' "$TMP/derr" && dok=1
            else
                [ $drc = 0 ] && grep -q 'cleanup.policy=' <<<"$d" && dok=1
            fi
            if [ $rc = 0 ] && [ $delrc = 0 ] && [ $dok = 1 ] && [ "$(grep -c '  partition ' <<<"$d")" = 3 ] \
                && ! grep -q '^  ct:' <<<"$after"; then
                record "$p" topics ok
            else
                record "$p" topics fail "create $rc describe $drc delete $delrc: $(tail -1 "$TMP/err") $(tail -1 "$TMP/derr")"
            fi
        fi
    fi

    # configs: a topic's and a broker's (n/a without DescribeConfigs).
    out=$(timeout 20 "$AGENT" configs -b "$BS" --describe --topic compat 2>"$TMP/err")
    rc=$?
    if [ -n "$(lacks "$p" DescribeConfigs)" ]; then
        expect_na "$p" configs "$rc" "$TMP/err" DescribeConfigs
    else
        out2=$(timeout 20 "$AGENT" configs -b "$BS" --describe --broker 1 2>>"$TMP/err")
        rc2=$?
        if [ $rc = 0 ] && [ $rc2 = 0 ] && grep -q 'cleanup.policy=' <<<"$out" && grep -q 'broker.id=1' <<<"$out2"; then
            record "$p" configs ok
        else
            record "$p" configs fail "exit $rc/$rc2: $(tail -1 "$TMP/err")"
        fi
    fi

    run_case "$p" run runlog
    run_case "$p" eos eoslog "delivery.guarantee = exactly-once" "agent.id = compat" "transaction.interval.ms = 100"
    stop_mock
    secs[$p]=$(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }')
done

printf '%-8s' profile
for f in "${features[@]}"; do printf ' %-8s' "$f"; done
printf ' %s\n' seconds
for p in "${profiles[@]}"; do
    printf '%-8s' "$p"
    for f in "${features[@]}"; do
        r=${result[$p,$f]}
        printf ' %-8s' "${r%%:*}"
    done
    printf ' %s\n' "${secs[$p]:-0}"
done
for p in "${profiles[@]}"; do
    for f in "${features[@]}"; do
        r=${result[$p,$f]}
        [ "$r" = ok ] || echo "$p $f: $r"
    done
done
exit $failed
