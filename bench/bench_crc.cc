// CRC-32C and CRC-32/IEEE throughput: ours (dispatched and forced portable) against
// Intel ISA-L and zlib, at the sizes the record paths see (64 B .. 1 MiB).
#include <benchmark/benchmark.h>
#include <isa-l/crc.h>
#include <zlib.h>

#include <cstdint>
#include <cstdlib>
#include <vector>

#include "kafka/protocol.h"

namespace {

std::vector<unsigned char> &buffer(size_t len) {
    static std::vector<unsigned char> buf;
    if (buf.size() < len) {
        buf.resize(len);
        uint64_t s = 0x243F6A8885A308D3ull;
        for (auto &b : buf) {
            s ^= s << 13, s ^= s >> 7, s ^= s << 17;
            b = static_cast<unsigned char>(s >> 24);
        }
    }
    return buf;
}

template <typename F>
void run(benchmark::State &state, F f) {
    const size_t len = static_cast<size_t>(state.range(0));
    unsigned char *p = buffer(len).data();
    uint32_t crc = 0;
    for (auto _ : state) {
        crc = f(crc, p, len);
        benchmark::DoNotOptimize(crc);
    }
    state.SetBytesProcessed(static_cast<int64_t>(state.iterations()) * static_cast<int64_t>(len));
}

void BM_crc32c_ours(benchmark::State &state) {
    run(state, [](uint32_t c, unsigned char *p, size_t n) { return kafka_crc32c(c, p, n); });
}

// ISA-L's crc32_iscsi neither pre- nor post-inverts: ~crc in, ~result out is standard
// CRC-32C (crc_gate checks this equality).
void BM_crc32c_isal(benchmark::State &state) {
    run(state, [](uint32_t c, unsigned char *p, size_t n) {
        return ~crc32_iscsi(p, static_cast<int>(n), ~c);
    });
}

void BM_crc32c_portable(benchmark::State &state) {
    kafka_crc_force_portable(true);
    run(state, [](uint32_t c, unsigned char *p, size_t n) { return kafka_crc32c(c, p, n); });
    kafka_crc_force_portable(false);
}

void BM_crc32_ours(benchmark::State &state) {
    run(state, [](uint32_t c, unsigned char *p, size_t n) { return kafka_crc32(c, p, n); });
}

// crc32_gzip_refl has zlib's conventions already.
void BM_crc32_isal(benchmark::State &state) {
    run(state, [](uint32_t c, unsigned char *p, size_t n) { return crc32_gzip_refl(c, p, n); });
}

void BM_crc32_zlib(benchmark::State &state) {
    run(state, [](uint32_t c, unsigned char *p, size_t n) {
        return static_cast<uint32_t>(crc32(c, p, static_cast<uInt>(n)));
    });
}

void BM_crc32_portable(benchmark::State &state) {
    kafka_crc_force_portable(true);
    run(state, [](uint32_t c, unsigned char *p, size_t n) { return kafka_crc32(c, p, n); });
    kafka_crc_force_portable(false);
}

void sizes(benchmark::internal::Benchmark *b) {
    for (int64_t n : {64, 1024, 16 * 1024, 1024 * 1024})
        b->Arg(n);
}

}  // namespace

BENCHMARK(BM_crc32c_ours)->Apply(sizes);
BENCHMARK(BM_crc32c_isal)->Apply(sizes);
BENCHMARK(BM_crc32c_portable)->Apply(sizes);
BENCHMARK(BM_crc32_ours)->Apply(sizes);
BENCHMARK(BM_crc32_isal)->Apply(sizes);
BENCHMARK(BM_crc32_zlib)->Apply(sizes);
BENCHMARK(BM_crc32_portable)->Apply(sizes);

int main(int argc, char **argv) {
    benchmark::Initialize(&argc, argv);
    if (benchmark::ReportUnrecognizedArguments(argc, argv))
        return 1;
    std::printf("crc32c impl: %s, crc32 impl: %s\n", kafka_crc_impl_name(kafka_crc32c_impl()),
                kafka_crc_impl_name(kafka_crc32_impl()));
    benchmark::RunSpecifiedBenchmarks();
    benchmark::Shutdown();
    return 0;
}
