// CRC-32C and CRC-32/IEEE throughput: ours (dispatched and forced portable) against
// Intel ISA-L and zlib, at the sizes the record paths see (64 B .. 1 MiB); and each x86
// kernel this CPU can run, called directly, so one machine compares the paths the
// dispatcher chooses between (BM_crc32c_kernel/<name>, BM_crc32_kernel/<name>).
#include <benchmark/benchmark.h>
#include <isa-l/crc.h>
#include <zlib.h>

#include <cstdint>
#include <cstdlib>
#include <string>
#include <vector>

#include "kafka/protocol.h"
extern "C" {
#include "proto/crc.h"
}

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

// The kernels take the raw CRC register: inverting around them gives the standard CRC.
using kernel_fn = uint32_t (*)(uint32_t, const uint8_t *, size_t);

void register_kernel(const std::string &name, kernel_fn f) {
    benchmark::RegisterBenchmark(name.c_str(), [f](benchmark::State &state) {
        run(state, [f](uint32_t c, unsigned char *p, size_t n) { return ~f(~c, p, n); });
    })->Apply(sizes);
}

void register_kernels() {
    (void)kafka_crc32c_impl();  // the kernels' constants are set up on first use
    size_t n;
    const kafka__crc_kernel_t *ks = kafka__crc32c_kernels(&n);
    for (size_t i = 0; i < n; i++)
        if (ks[i].impl != KAFKA_CRC_IMPL_PORTABLE && kafka__crc_impl_supported(ks[i].impl))
            register_kernel(std::string("BM_crc32c_kernel/") + ks[i].name, ks[i].fn);
    for (kafka_crc_impl_t impl : {KAFKA_CRC_IMPL_SSE42, KAFKA_CRC_IMPL_VPCLMUL256, KAFKA_CRC_IMPL_VPCLMUL})
        if (kafka__crc_impl_supported(impl))
            register_kernel(std::string("BM_crc32_kernel/") + kafka_crc_impl_name(impl), kafka__crc32_kernel(impl));
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
    std::printf("crc32c impl: %s (kernel %s), crc32 impl: %s\n", kafka_crc_impl_name(kafka_crc32c_impl()),
                kafka_crc32c_kernel_name(), kafka_crc_impl_name(kafka_crc32_impl()));
    register_kernels();
    benchmark::RunSpecifiedBenchmarks();
    benchmark::Shutdown();
    return 0;
}
