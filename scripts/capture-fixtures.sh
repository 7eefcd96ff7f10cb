#!/usr/bin/env bash
# Regenerates tests/fixtures/wire/: golden Kafka frames written by someone else's
# encoder (librdkafka talking to librdkafka's mock cluster), cross-checked by
# tshark's Kafka dissector.
#
#   scripts/capture-fixtures.sh          (as root: capturing on lo needs it)
#
# What it does:
#   1. builds tests/tools/capture_fixtures.c (librdkafka + libc) into a temp dir;
#   2. starts it with --wait: it creates a 3-broker mock cluster on 127.0.0.1,
#      prints "BOOTSTRAP 127.0.0.1:P1,..." and waits;
#   3. starts tshark on lo with a capture filter on exactly those ports, then lets
#      the tool run (producers for none/gzip/snappy/lz4/zstd, a consumer that reads
#      back, commits, asks committed(), watermarks, offsets_for_times, metadata);
#   4. stops tshark and hands the pcap to scripts/pcap_frames.py, which reassembles
#      each TCP stream itself, splits it into frames by the size prefix, pairs
#      responses with requests by correlation id, keeps a small deduplicated set,
#      dissects the capture with tshark (-d tcp.port==P,kafka) and writes
#      NNN_<Api>_v<ver>_<request|response>.bin, manifest.txt and records.txt.
#
# Idempotent: tests/fixtures/wire/*.bin, manifest.txt and records.txt are removed
# and rewritten (README.md stays). Correlation ids, ports, producer ids and
# client-side timestamps in non-record fields may differ between runs; record
# contents do not. Needs: gcc, pkg-config, librdkafka-dev, tshark, python3, root.
set -euo pipefail

root="$(cd "$(dirname "$0")/.." && pwd)"
out="$root/tests/fixtures/wire"
tmp="$(mktemp -d /tmp/capture-fixtures.XXXXXX)"
tool_pid=""
tshark_pid=""

cleanup() {
  if [ -n "$tool_pid" ]; then kill "$tool_pid" 2>/dev/null || true; fi
  if [ -n "$tshark_pid" ]; then kill "$tshark_pid" 2>/dev/null || true; fi
  exec 3>&- 2>/dev/null || true
  rm -rf "$tmp"
}
trap cleanup EXIT

die() { echo "capture-fixtures: $*" >&2; exit 1; }

[ "$(id -u)" -eq 0 ] || die "capturing on lo needs root"
command -v tshark >/dev/null || die "tshark missing: DEBIAN_FRONTEND=noninteractive apt-get install -y tshark"
pkg-config --exists rdkafka || die "librdkafka-dev missing"

read -ra rdkafka_flags <<<"$(pkg-config --cflags --libs rdkafka)"
gcc -std=c11 -O1 -Wall -Wextra -o "$tmp/capture_fixtures" \
  "$root/tests/tools/capture_fixtures.c" "${rdkafka_flags[@]}"

mkfifo "$tmp/go"
"$tmp/capture_fixtures" --wait <"$tmp/go" >"$tmp/tool.out" 2>"$tmp/tool.err" &
tool_pid=$!
exec 3>"$tmp/go"   # opening the fifo's write end lets the tool's open() finish

bootstrap=""
for _ in $(seq 100); do
  bootstrap="$(sed -n 's/^BOOTSTRAP //p' "$tmp/tool.out")"
  [ -n "$bootstrap" ] && break
  kill -0 "$tool_pid" 2>/dev/null || break
  sleep 0.1
done
[ -n "$bootstrap" ] || { cat "$tmp/tool.err" >&2; die "the tool printed no BOOTSTRAP line"; }

ports=()
filter=""
IFS=',' read -ra hostports <<<"$bootstrap"
for hp in "${hostports[@]}"; do
  case "$hp" in
    127.0.0.1:*) ;;
    *) die "bootstrap $hp is not on 127.0.0.1" ;;
  esac
  ports+=("${hp##*:}")
  filter="${filter:+$filter or }tcp port ${hp##*:}"
done
filter="host 127.0.0.1 and ($filter)"
echo "capture-fixtures: brokers on ports ${ports[*]}; capture filter: $filter" >&2

tshark -i lo -f "$filter" -F pcap -w "$tmp/capture.pcap" -q 2>"$tmp/tshark.err" &
tshark_pid=$!
for _ in $(seq 100); do
  grep -q "Capturing on" "$tmp/tshark.err" 2>/dev/null && break
  kill -0 "$tshark_pid" 2>/dev/null || { cat "$tmp/tshark.err" >&2; die "tshark failed"; }
  sleep 0.1
done
sleep 0.5

echo go >&3
rc=0
wait "$tool_pid" || rc=$?
tool_pid=""
exec 3>&-
sleep 1
kill -INT "$tshark_pid"
wait "$tshark_pid" || true
tshark_pid=""

if [ "$rc" -ne 0 ] || ! grep -q '^DONE ok' "$tmp/tool.out"; then
  cat "$tmp/tool.err" >&2
  die "capture_fixtures failed (exit $rc)"
fi

mkdir -p "$out"
rm -f "$out"/*.bin "$out/manifest.txt" "$out/records.txt"
sed -n -e '/^#/p' -e 's/^RECORD //p' "$tmp/tool.out" >"$out/records.txt"

port_args=()
for p in "${ports[@]}"; do port_args+=(--port "$p"); done
python3 "$root/scripts/pcap_frames.py" --pcap "$tmp/capture.pcap" "${port_args[@]}" \
  --records "$out/records.txt" --out "$out"

echo "capture-fixtures: wrote $(find "$out" -name '*.bin' | wc -l) frames," \
  "$(du -cb "$out"/*.bin | tail -1 | cut -f1) bytes, to $out" >&2
