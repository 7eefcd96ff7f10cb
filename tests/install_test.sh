#!/usr/bin/env bash
# The library as its users get it: `cmake --install` into a temporary prefix, then
#   1. libkafka.so exports the public API (the kafka_* functions the installed headers
#      declare) and nothing else: no kafka__* internal;
#   2. each installed kafka/*.h compiles on its own, and every example builds with `cc $(pkg-config --cflags --libs libkafka)` from the
#      installed headers alone, and runs against the installed libkafka.so;
#   3. the examples build with find_package(libkafka) in a separate CMake project, against
#      libkafka::kafka (shared) and libkafka::kafka_static;
#   4. with kafka-mock given, the pkg-config builds produce, consume and send/fetch
#      against it.
# Usage: install_test.sh BUILD_DIR SOURCE_DIR [PATH/TO/kafka-mock]
# The temporary prefix is removed on exit.
set -euo pipefail

build=${1:?usage: install_test.sh BUILD_DIR SOURCE_DIR [kafka-mock]}
src=${2:?usage: install_test.sh BUILD_DIR SOURCE_DIR [kafka-mock]}
mock=${3:-}
src=$(cd "$src" && pwd)

tmp=$(mktemp -d)
mock_pid=
cleanup() {
    if [ -n "$mock_pid" ]; then
        exec {mock_in}>&- || true
        kill "$mock_pid" 2>/dev/null || true
        wait "$mock_pid" 2>/dev/null || true
    fi
    rm -rf "$tmp"
}
trap cleanup EXIT

prefix=$tmp/prefix
cmake --install "$build" --prefix "$prefix" >"$tmp/install.log"
pcdir=$(dirname "$(find "$prefix" -name libkafka.pc)")
libdir=$(dirname "$pcdir")
so=$libdir/libkafka.so
[ -e "$so" ] || { echo "FAIL no libkafka.so under $prefix"; exit 1; }
echo "ok   installed into a temporary prefix ($(readelf -d "$so" | grep -o 'soname: \[[^]]*\]'))"

# 1. Exports.
nm -D --defined-only "$so" | awk '{print $3}' | sort -u >"$tmp/exported"
cat "$prefix"/include/kafka/*.h | grep -oE '\bkafka_[a-z0-9][a-z0-9_]*[[:space:]]*\(' |
    sed -E 's/[[:space:]]*\($//' | sort -u >"$tmp/declared"
internal=$(grep -c '^kafka__' "$tmp/exported" || true)
undeclared=$(comm -23 "$tmp/exported" "$tmp/declared")
if [ "$internal" != 0 ] || [ -n "$undeclared" ]; then
    echo "FAIL libkafka.so exports what no public header declares:"; printf '%s\n' "$undeclared" | sed 's/^/    /'
    exit 1
fi
for f in kafka_version kafka_conf_new kafka_producer_produce kafka_producer_send kafka_consumer_poll \
         kafka_consumer_fetch kafka_message_payload kafka_err2str; do
    grep -qx "$f" "$tmp/exported" || { echo "FAIL libkafka.so does not export $f"; exit 1; }
done
echo "ok   libkafka.so exports $(wc -l <"$tmp/exported") symbols, all declared in the public headers, no kafka__*"

# 2. pkg-config builds, against the installed shared library.
export PKG_CONFIG_PATH=$pcdir
for h in "$prefix"/include/kafka/*.h; do # gen/ holds fragments that protocol.h includes
    printf '#include <kafka/%s>\ntypedef int not_empty;\n' "$(basename "$h")" >"$tmp/header.c"
    # shellcheck disable=SC2046
    cc -std=c11 -Wall -Wextra -Wpedantic -Werror -fsyntax-only "$tmp/header.c" $(pkg-config --cflags libkafka) ||
        { echo "FAIL kafka/$(basename "$h") does not compile on its own"; exit 1; }
done
echo "ok   every installed kafka/*.h compiles on its own (C11, -Wpedantic)"
version=$(pkg-config --modversion libkafka)
examples="producer consumer send_fetch codec"
for ex in $examples; do
    # shellcheck disable=SC2046
    cc -std=c11 -Wall -Wextra -Werror -o "$tmp/$ex" "$src/examples/$ex.c" $(pkg-config --cflags --libs libkafka)
    out=$(LD_LIBRARY_PATH=$libdir "$tmp/$ex" --help 2>&1)
    case "$out" in
        *"libkafka $version"*) ;;
        *) echo "FAIL $ex --help: '$out'"; exit 1 ;;
    esac
    LD_LIBRARY_PATH=$libdir ldd "$tmp/$ex" >"$tmp/ldd"
    grep -q "$libdir/libkafka.so" "$tmp/ldd" ||
        { echo "FAIL $ex does not load the installed libkafka.so"; exit 1; }
done
echo "ok   examples built with pkg-config (libkafka $version) and loaded the installed libkafka.so"
# The codec needs no broker: encode and decode both ways through the installed headers.
LD_LIBRARY_PATH=$libdir "$tmp/codec" logs >"$tmp/codec.out" 2>&1 || { cat "$tmp/codec.out"; echo "FAIL codec"; exit 1; }
grep -q '^broker read: Metadata v12, correlation id 7, client codec-example, topic logs$' "$tmp/codec.out" &&
    grep -q '^client read: correlation id 7, 1 broker(s), broker 1 at 127.0.0.1:9092, controller 1$' "$tmp/codec.out" ||
    { cat "$tmp/codec.out"; echo "FAIL codec output"; exit 1; }
echo "ok   codec example: a Metadata v12 request and response, each encoded and decoded"

# 3. find_package builds.
mkdir "$tmp/consumer-project"
cat >"$tmp/consumer-project/CMakeLists.txt" <<CMAKE
cmake_minimum_required(VERSION 3.18)
project(uses_libkafka C)
find_package(libkafka $version REQUIRED)
foreach(ex $examples)
  add_executable(\${ex} $src/examples/\${ex}.c)
  target_link_libraries(\${ex} PRIVATE libkafka::kafka)
endforeach()
add_executable(producer_static $src/examples/producer.c)
target_link_libraries(producer_static PRIVATE libkafka::kafka_static)
CMAKE
cmake -S "$tmp/consumer-project" -B "$tmp/consumer-build" -DCMAKE_PREFIX_PATH="$prefix" \
      -DCMAKE_C_FLAGS="-std=c11 -Wall -Wextra -Werror" >"$tmp/cmake.log" 2>&1 ||
    { cat "$tmp/cmake.log"; echo "FAIL find_package(libkafka)"; exit 1; }
cmake --build "$tmp/consumer-build" >>"$tmp/cmake.log" 2>&1 ||
    { cat "$tmp/cmake.log"; echo "FAIL building against find_package(libkafka)"; exit 1; }
# Files, not pipes, before grep -q: its early exit would fail the writer under pipefail.
"$tmp/consumer-build/producer" --help >"$tmp/help" 2>&1 || true # RPATH to the prefix
grep -q "libkafka $version" "$tmp/help" || { cat "$tmp/help"; echo "FAIL find_package producer"; exit 1; }
readelf -d "$tmp/consumer-build/producer_static" >"$tmp/dynamic"
if grep -q 'libkafka\.so' "$tmp/dynamic"; then
    echo "FAIL producer_static needs libkafka.so"; exit 1
fi
"$tmp/consumer-build/producer_static" --help >"$tmp/help" 2>&1 || true
grep -q "libkafka $version" "$tmp/help" || { cat "$tmp/help"; echo "FAIL producer_static"; exit 1; }
echo "ok   examples built with find_package(libkafka): libkafka::kafka and libkafka::kafka_static"

# 4. Against kafka-mock.
if [ -z "$mock" ]; then
    echo "no kafka-mock given: examples not run against a cluster"
    exit 0
fi
mkfifo "$tmp/mock.in"
"$mock" --brokers 1 --topic examples:1:1 <"$tmp/mock.in" >"$tmp/mock.out" 2>"$tmp/mock.err" &
mock_pid=$!
exec {mock_in}>"$tmp/mock.in" # the mock exits when its stdin closes
for ((i = 0; i < 100; i++)); do
    bs=$(sed -n 's/^BOOTSTRAP //p' "$tmp/mock.out")
    [ -n "$bs" ] && break
    sleep 0.1
done
[ -n "$bs" ] || { cat "$tmp/mock.err"; echo "FAIL kafka-mock did not start"; exit 1; }
run() { LD_LIBRARY_PATH=$libdir timeout 60 "$@"; }
run "$tmp/producer" "$bs" examples 10 >"$tmp/producer.out" ||
    { cat "$tmp/producer.out"; echo "FAIL producer"; exit 1; }
grep -q '^10 queued, 10 delivered, 0 failed$' "$tmp/producer.out"
run "$tmp/consumer" "$bs" examples 0 10 >"$tmp/consumer.out" ||
    { cat "$tmp/consumer.out"; echo "FAIL consumer"; exit 1; }
grep -q '^examples/0@9 key-9: message 9 from libkafka' "$tmp/consumer.out"
grep -q '^10 messages$' "$tmp/consumer.out"
run "$tmp/send_fetch" "$bs" examples 0 >"$tmp/send_fetch.out" ||
    { cat "$tmp/send_fetch.out"; echo "FAIL send_fetch"; exit 1; }
grep -q '^sent 3 messages to examples/0 at offset 10$' "$tmp/send_fetch.out"
grep -q '^offset 12: three$' "$tmp/send_fetch.out"
echo "ok   producer, consumer and send_fetch against kafka-mock"
