#!/usr/bin/env bash
# A consumer group under churn: kafka-agent consume -G members join, leave (SIGTERM),
# crash (SIGKILL) and the group's coordinator moves between brokers while N messages
# (KAFKA_CHURN_MESSAGES, default 60000; the issue's check is 200000) are produced and
# consumed with commits every 200 ms. Checked from what the members printed:
#   - every message was printed;
#   - a message printed twice was first printed by a member that was then SIGKILLed,
#     and such re-deliveries are, per partition, a tail of what that member printed
#     (what it printed after its last commit); leaves, joins and coordinator moves
#     re-deliver nothing.
# Usage: test_agent_group_churn.sh PATH/TO/kafka-agent PATH/TO/kafka-mock
set -u
AGENT=${1:?usage: test_agent_group_churn.sh kafka-agent kafka-mock}
MOCK_BIN=${2:?usage: test_agent_group_churn.sh kafka-agent kafka-mock}
N=${KAFKA_CHURN_MESSAGES:-60000}
TMP=$(mktemp -d)
. "$(dirname "$0")/agent_lib.sh"
declare -A ALIVE=() # member number -> pid
KILLED=()           # member numbers that were SIGKILLed
trap 'for p in "${ALIVE[@]}"; do kill -9 "$p" 2>/dev/null; done; kill -9 ${PRODUCER:-} 2>/dev/null; stop_mock;
      [ -n "${KEEP_TMP:-}" ] || rm -rf "$TMP"' EXIT
mock_reply() { printf '%s\n' "$1" >&"$MOCK_IN"; REPLY=; read -r -t 5 -u "$MOCK_OUT" REPLY; }
unique() { cat "$TMP"/m* 2>/dev/null | awk '{print $3}' | sort -u | wc -l; }
OPTS=(-X auto.offset.reset=earliest -X session.timeout.ms=2000 -X heartbeat.interval.ms=200
      -X auto.commit.interval.ms=200 -f '%p %o %s\n')
next=0
start_member() {
    next=$((next + 1))
    "$AGENT" consume -b "$BS" -t churn -G gchurn "${OPTS[@]}" >"$TMP/m$next" 2>"$TMP/e$next" &
    ALIVE[$next]=$!
}
# A random live member number.
some_member() { local k=("${!ALIVE[@]}"); echo "${k[$((RANDOM % ${#k[@]}))]}"; }

start_mock --brokers 3 --topic churn:8:3
# The producer writes N values in 20 chunks, one every 0.5 s, while the group churns.
( chunk=$((N / 20)); for i in $(seq 0 19); do
      seq $((i * chunk + 1)) $(((i + 1) * chunk)) | awk '{print "k" $1 "\t" $1}' |
          timeout 60 "$AGENT" produce -b "$BS" -t churn -K '\t' 2>>"$TMP/produce.err" || exit 1
      sleep 0.5
  done ) & PRODUCER=$!
start_member; start_member
events=0; kills=0; leaves=0; moves=0; joins=2
end=$((SECONDS + 14))
while [ $SECONDS -lt $end ]; do
    sleep 0.$((4 + RANDOM % 6))
    events=$((events + 1))
    case $((RANDOM % 4)) in
    0) start_member; joins=$((joins + 1)) ;;
    1) if [ ${#ALIVE[@]} -gt 1 ]; then m=$(some_member); kill -TERM "${ALIVE[$m]}"; wait "${ALIVE[$m]}" 2>/dev/null
           unset "ALIVE[$m]"; leaves=$((leaves + 1)); fi ;;
    2) if [ ${#ALIVE[@]} -gt 1 ]; then m=$(some_member); kill -9 "${ALIVE[$m]}"; wait "${ALIVE[$m]}" 2>/dev/null
           unset "ALIVE[$m]"; KILLED+=("$m"); kills=$((kills + 1)); fi ;;
    3) mock_reply "group-move gchurn $((1 + RANDOM % 3))"; moves=$((moves + 1)) ;;
    esac
done
# Make sure every kind of event happened at least once.
[ $kills -gt 0 ] || { m=$(some_member); kill -9 "${ALIVE[$m]}"; wait "${ALIVE[$m]}" 2>/dev/null; unset "ALIVE[$m]"
                      KILLED+=("$m"); kills=1; start_member; }
[ $moves -gt 0 ] || { mock_reply "group-move gchurn 2"; moves=1; }
[ ${#ALIVE[@]} -gt 1 ] || start_member
wait $PRODUCER; check "the producer wrote the $N messages" 0 $?
end=$((SECONDS + 60))
until [ "$(unique)" -ge "$N" ] || [ $SECONDS -ge $end ]; do sleep 0.5; done
sleep 1 # what is still in flight
for m in "${!ALIVE[@]}"; do kill -TERM "${ALIVE[$m]}"; wait "${ALIVE[$m]}" 2>/dev/null; unset "ALIVE[$m]"; done
echo "churn: $joins joins, $leaves leaves, $kills SIGKILLs, $moves coordinator moves, $next members in all"

check "every message printed" "$N" "$(unique)"
total=$(cat "$TMP"/m* | wc -l)
echo "printed $total lines for $N messages: $((total - N)) re-delivered"
# Each re-delivered value: which member printed it first (the files are per member; the
# earlier print is the one whose member's output ends earlier in the partition's order,
# so use offsets: the same value has the same offset everywhere).
killed=" ${KILLED[*]} "
bad=$(for f in "$TMP"/m*; do n=${f##*/m}; awk -v n="$n" '{print $3, n, $1, $2}' "$f"; done |
    sort -k1,1n -k2,2n | awk -v killed="$killed" '
    { c[$1]++; who[$1] = who[$1] " " $2 }
    END { for (v in c) if (c[v] > 1) {
              split(who[v], w, " "); ok = 0
              for (i in w) if (index(killed, " " w[i] " ")) ok = 1
              if (!ok) print "value " v " printed by members" who[v] ", none of them SIGKILLed" } }')
check "re-deliveries only after a SIGKILL" "" "$bad"
# Per killed member and partition: the re-delivered offsets are a tail of what it printed.
tails=ok
awk '{print $3}' "$TMP"/m* | sort | uniq -d >"$TMP/dups"
for m in "${KILLED[@]}"; do
    awk -v dups="$TMP/dups" 'BEGIN { while ((getline v < dups) > 0) d[v] = 1 }
        { if ($3 in d) { if (!($1 in first) || $2 < first[$1]) first[$1] = $2 } else last[$1] = $2 > last[$1] ? $2 : last[$1] }
        END { for (p in first) if (p in last && last[p] > first[p]) { print "partition " p; exit 1 } }' \
        "$TMP/m$m" || tails="member $m: a re-delivered message before one that was not"
done
check "re-deliveries are what a killed member printed after its last commit" ok "$tails"
stop_mock
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
