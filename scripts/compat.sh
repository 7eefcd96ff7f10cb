#!/usr/bin/env bash
# The compatibility matrix: kafka-mock as every Kafka release it has a profile of
# (--kafka-version), and what works against each with no version settings: kafka-agent
# produce / consume / metadata / offsets / bench, and kcat reading what kafka-agent wrote.
# The C-level checks (producer, consumer loop, origin fetch/offsets, commit, librdkafka)
# are tests/test_mock_profiles.c. Prints a table (ok, or FAILED: the reason) and exits 1
# if anything failed.
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
features=(produce consume metadata offsets bench kcat)

TMP=$(mktemp -d)
MOCK_PID=
cleanup() {
    [ -n "$MOCK_PID" ] && kill "$MOCK_PID" 2>/dev/null
    rm -rf "$TMP"
}
trap cleanup EXIT

declare -A result
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

# record PROFILE FEATURE STATUS [REASON...]
record() {
    local p=$1 f=$2 s=$3; shift 3
    if [ "$s" = ok ]; then
        result[$p,$f]=ok
    else
        result[$p,$f]="FAILED: $(echo "$*" | tr '\n' ' ' | cut -c1-70)"
        failed=1
    fi
}

expected=$(seq 1 200 | sed 's/^/line-/')
for p in "${profiles[@]}"; do
    if ! start_mock "$p"; then
        for f in "${features[@]}"; do record "$p" "$f" fail "kafka-mock did not start: $(cat "$TMP/mock.err")"; done
        continue
    fi
    out=$(echo "$expected" | timeout 20 "$AGENT" produce -b "$BS" -t compat 2>&1) \
        && record "$p" produce ok || record "$p" produce fail "$out"
    got=$(timeout 20 "$AGENT" consume -b "$BS" -t compat -o beginning -e 2>"$TMP/err" | sort -V)
    [ "$got" = "$expected" ] && record "$p" consume ok \
        || record "$p" consume fail "$(echo "$got" | wc -l) of 200 lines; $(tail -1 "$TMP/err")"
    out=$(timeout 20 "$AGENT" metadata -b "$BS" -t compat 2>&1)
    [ $? = 0 ] && grep -q compat <<<"$out" && record "$p" metadata ok || record "$p" metadata fail "$out"
    o0=$(timeout 20 "$AGENT" offsets -b "$BS" -t compat -p 0 --time latest 2>&1)
    o1=$(timeout 20 "$AGENT" offsets -b "$BS" -t compat -p 1 --time latest 2>&1)
    sum=$(( $(grep -oE '[0-9]+$' <<<"$o0" | tail -1 || echo 0) + $(grep -oE '[0-9]+$' <<<"$o1" | tail -1 || echo 0) ))
    [ "$sum" = 200 ] && record "$p" offsets ok || record "$p" offsets fail "latest offsets sum $sum: $o0 $o1"
    out=$(timeout 30 "$AGENT" bench produce -b "$BS" -t bench -n 20000 -s 100 2>/dev/null | grep '^RESULT')
    grep -q 'delivered=20000 failed=0' <<<"$out" && record "$p" bench ok || record "$p" bench fail "${out:-no RESULT line}"
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
            || record "$p" kcat fail "$(echo "$got" | grep -c .) of 200 lines; $(tail -1 "$TMP/err")"
    fi
    stop_mock
done

printf '%-8s' profile
for f in "${features[@]}"; do printf ' %-9s' "$f"; done
echo
for p in "${profiles[@]}"; do
    printf '%-8s' "$p"
    for f in "${features[@]}"; do
        r=${result[$p,$f]}
        printf ' %-9s' "${r%%:*}"
    done
    echo
done
for p in "${profiles[@]}"; do
    for f in "${features[@]}"; do
        r=${result[$p,$f]}
        [ "$r" = ok ] || echo "$p $f: $r"
    done
done
exit $failed
