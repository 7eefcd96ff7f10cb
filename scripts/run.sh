#!/usr/bin/env bash
# The main job, until kafka-agent exists: build (Release) and run the hot-path
# benchmarks — CRCs against ISA-L and zlib, RecordBatch/MessageSet encode and decode —
# and the CRC gate, which prints its ratios.
set -euo pipefail
cd "$(dirname "$0")/.."
jobs=$(nproc 2>/dev/null || echo 2)
build=${KAFKA_BUILD_DIR:-$(pwd)/build}/release
bash scripts/install-deps.sh
cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build "$build" -j"$jobs" --target bench_crc bench_records crc_gate
"$build/bench/crc_gate"
"$build/bench/bench_crc" --benchmark_min_time=0.1 "$@"
"$build/bench/bench_records" --benchmark_min_time=0.2 "$@"
