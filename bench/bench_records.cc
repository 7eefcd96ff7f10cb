// Record format hot paths: RecordBatch v2 encode (append 1000 x 100-byte records + seal)
// and decode with CRC verification, uncompressed and with lz4/zstd; MessageSet v0 encode
// of the same records. Reported as records/s (items_per_second); a memcpy of the same
// bytes runs in the same process as the reference the ratio is taken against.
#include <benchmark/benchmark.h>

#include <cstdint>
#include <cstring>
#include <vector>

extern "C" {
#include "kafka/protocol.h"
#include "util/buf.h"
}

namespace {

constexpr int kRecords = 1000;
constexpr int kValueSize = 100;

const unsigned char *value_bytes() {
    static unsigned char v[kValueSize];
    static bool init = false;
    if (!init) {
        for (int i = 0; i < kValueSize; i++) v[i] = static_cast<unsigned char>("log line payload "[i % 17]);
        init = true;
    }
    return v;
}

void fill(kafka_batch_t *b) {
    const unsigned char *v = value_bytes();
    for (int i = 0; i < kRecords; i++)
        kafka_batch_append(b, 1700000000000 + i, nullptr, -1, v, kValueSize, nullptr, 0);
}

void BM_batch_encode(benchmark::State &state) {
    auto codec = static_cast<kafka_compression_t>(state.range(0));
    kafka_batch_t *b = kafka_batch_new(kRecords * (kValueSize + 16) + 128);
    size_t wire = 0;
    for (auto _ : state) {
        kafka_batch_reset(b);
        fill(b);
        const uint8_t *d;
        size_t len;
        if (kafka_batch_seal(b, codec, -1, &d, &len, nullptr, 0) != KAFKA_OK) state.SkipWithError("seal failed");
        wire = len;
        benchmark::DoNotOptimize(d);
    }
    state.SetItemsProcessed(static_cast<int64_t>(state.iterations()) * kRecords);
    state.SetLabel(kafka_compression_name(codec));
    state.counters["batch_bytes"] = static_cast<double>(wire);
    kafka_batch_destroy(b);
}

void BM_batch_decode_verify(benchmark::State &state) {
    auto codec = static_cast<kafka_compression_t>(state.range(0));
    kafka_batch_t *b = kafka_batch_new(0);
    fill(b);
    const uint8_t *d;
    size_t len;
    kafka_batch_seal(b, codec, -1, &d, &len, nullptr, 0);
    std::vector<uint8_t> wire(d, d + len);
    kafka_batch_destroy(b);
    for (auto _ : state) {
        kafka_records_reader_t *rr = kafka_records_reader_new(wire.data(), wire.size(), true, 0);
        kafka_record_t rec;
        int n = 0;
        while (kafka_records_reader_next(rr, &rec) == 1) {
            benchmark::DoNotOptimize(rec.value.data);
            n++;
        }
        if (n != kRecords) state.SkipWithError("decode lost records");
        kafka_records_reader_destroy(rr);
    }
    state.SetItemsProcessed(static_cast<int64_t>(state.iterations()) * kRecords);
    state.SetLabel(kafka_compression_name(codec));
}

void BM_msgset_v0_encode(benchmark::State &state) {
    kafka_buf_t out = KAFKA_BUF_INIT;
    const unsigned char *v = value_bytes();
    for (auto _ : state) {
        kafka__buf_reset(&out);
        for (int i = 0; i < kRecords; i++)
            kafka_msgset_append(&out, 0, i, 0, KAFKA_COMPRESSION_NONE, nullptr, -1, v, kValueSize, nullptr, 0);
        benchmark::DoNotOptimize(out.data);
    }
    state.SetItemsProcessed(static_cast<int64_t>(state.iterations()) * kRecords);
    kafka__buf_free(&out);
}

// Reference: copying the same value bytes once each, the floor any encoder pays.
void BM_memcpy_reference(benchmark::State &state) {
    std::vector<unsigned char> dst(kRecords * kValueSize);
    const unsigned char *v = value_bytes();
    for (auto _ : state) {
        for (int i = 0; i < kRecords; i++) std::memcpy(&dst[i * kValueSize], v, kValueSize);
        benchmark::DoNotOptimize(dst.data());
        benchmark::ClobberMemory();
    }
    state.SetItemsProcessed(static_cast<int64_t>(state.iterations()) * kRecords);
}

}  // namespace

BENCHMARK(BM_batch_encode)->Arg(KAFKA_COMPRESSION_NONE)->Arg(KAFKA_COMPRESSION_LZ4)->Arg(KAFKA_COMPRESSION_ZSTD);
BENCHMARK(BM_batch_decode_verify)->Arg(KAFKA_COMPRESSION_NONE)->Arg(KAFKA_COMPRESSION_LZ4)->Arg(KAFKA_COMPRESSION_ZSTD);
BENCHMARK(BM_msgset_v0_encode);
BENCHMARK(BM_memcpy_reference);
BENCHMARK_MAIN();
