// The broker queue (lib/util/mpscq.h) against a pthread mutex + intrusive linked list
// doing the same job, in the same run. One op = one element pushed and popped.
//   single:  one thread pushes a burst of 64, then pops them.
//   1p, 2p:  1 or 2 producer threads push 100,000 elements each while this thread pops
//            (yielding when it finds nothing), wall time from start to the last pop.
// After the runs a table gives ops/s for both and the ratio mpscq / mutex.
#include <benchmark/benchmark.h>
#include <pthread.h>
#include <sched.h>

#include <cstdint>
#include <cstdio>
#include <map>
#include <string>
#include <thread>
#include <vector>

#include "util/mpscq.h"

namespace {

static_assert(sizeof(std::atomic<kafka__mpscq_node_t *>) == sizeof(kafka__mpscq_node_t *) &&
                  std::atomic<kafka__mpscq_node_t *>::is_always_lock_free,
              "mpscq.h: C++ sees std::atomic where C sees _Atomic; the layouts must agree");

// Both queues carry the same element; each uses its own link.
struct Item {
    kafka__mpscq_node_t node;  // queue element: application -> broker
    Item *ref_next;
    uint64_t value;
};

class Mpscq {
  public:
    Mpscq() { kafka__mpscq_init(&q_); }
    ~Mpscq() { kafka__mpscq_destroy(&q_); }
    void push(Item *it) { kafka__mpscq_push(&q_, &it->node); }
    Item *pop() {
        kafka__mpscq_node_t *n = kafka__mpscq_pop(&q_);
        return n ? KAFKA__MPSCQ_ENTRY(n, Item, node) : nullptr;
    }

  private:
    kafka__mpscq_t q_;
};

class MutexQueue {
  public:
    MutexQueue() { pthread_mutex_init(&lock_, nullptr); }
    ~MutexQueue() { pthread_mutex_destroy(&lock_); }
    void push(Item *it) {
        it->ref_next = nullptr;
        pthread_mutex_lock(&lock_);
        if (tail_)
            tail_->ref_next = it;
        else
            head_ = it;
        tail_ = it;
        pthread_mutex_unlock(&lock_);
    }
    Item *pop() {
        pthread_mutex_lock(&lock_);
        Item *it = head_;
        if (it) {
            head_ = it->ref_next;
            if (!head_)
                tail_ = nullptr;
        }
        pthread_mutex_unlock(&lock_);
        return it;
    }

  private:
    pthread_mutex_t lock_;
    Item *head_ = nullptr, *tail_ = nullptr;
};

constexpr int kBurst = 64;
constexpr int kPerProducer = 100000;

template <class Q>
void BM_single(benchmark::State &state) {
    Q q;
    std::vector<Item> items(kBurst);
    uint64_t sum = 0;
    for (auto _ : state) {
        for (Item &it : items)
            q.push(&it);
        for (int i = 0; i < kBurst; i++)
            sum += q.pop()->value;
    }
    benchmark::DoNotOptimize(sum);
    state.SetItemsProcessed(state.iterations() * kBurst);
}

template <class Q>
void BM_producers(benchmark::State &state, int producers) {
    const long total = static_cast<long>(producers) * kPerProducer;
    Q q;
    std::vector<Item> items(static_cast<size_t>(total));
    uint64_t sum = 0;
    for (auto _ : state) {
        std::vector<std::thread> threads;
        for (int p = 0; p < producers; p++) {
            threads.emplace_back([&q, &items, p] {
                Item *mine = &items[static_cast<size_t>(p) * kPerProducer];
                for (int i = 0; i < kPerProducer; i++)
                    q.push(&mine[i]);
            });
        }
        for (long got = 0; got < total;) {
            if (Item *it = q.pop()) {
                sum += it->value;
                got++;
            } else {
                sched_yield();
            }
        }
        for (auto &t : threads)
            t.join();
    }
    benchmark::DoNotOptimize(sum);
    state.SetItemsProcessed(state.iterations() * total);
}

// Console output as usual, plus items/s kept by name for the ratio table.
class RatioReporter : public benchmark::ConsoleReporter {
  public:
    RatioReporter() : ConsoleReporter(OO_Tabular) {}
    void ReportRuns(const std::vector<Run> &runs) override {
        for (const Run &r : runs) {
            auto c = r.counters.find("items_per_second");
            if (r.run_type == Run::RT_Iteration && c != r.counters.end())
                rate_[r.run_name.function_name] = c->second.value;  // without "/real_time"
        }
        ConsoleReporter::ReportRuns(runs);
    }
    void PrintRatios() const {
        std::printf("\n%-10s %16s %16s %8s\n", "case", "mpscq ops/s", "mutex ops/s", "ratio");
        for (const char *c : {"single", "1p", "2p"}) {
            auto a = rate_.find(std::string("mpscq/") + c), b = rate_.find(std::string("mutex/") + c);
            if (a == rate_.end() || b == rate_.end())
                continue;
            std::printf("%-10s %16.0f %16.0f %7.2fx\n", c, a->second, b->second, a->second / b->second);
        }
    }

  private:
    std::map<std::string, double> rate_;
};

}  // namespace

int main(int argc, char **argv) {
    benchmark::RegisterBenchmark("mpscq/single", BM_single<Mpscq>);
    benchmark::RegisterBenchmark("mutex/single", BM_single<MutexQueue>);
    for (int p : {1, 2}) {
        const std::string suffix = "/" + std::to_string(p) + "p";
        benchmark::RegisterBenchmark(("mpscq" + suffix).c_str(), BM_producers<Mpscq>, p)->UseRealTime();
        benchmark::RegisterBenchmark(("mutex" + suffix).c_str(), BM_producers<MutexQueue>, p)->UseRealTime();
    }
    benchmark::Initialize(&argc, argv);
    if (benchmark::ReportUnrecognizedArguments(argc, argv))
        return 1;
    RatioReporter reporter;
    benchmark::RunSpecifiedBenchmarks(&reporter);
    reporter.PrintRatios();
    benchmark::Shutdown();
    return 0;
}
