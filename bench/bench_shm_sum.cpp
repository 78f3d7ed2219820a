// The shared-memory sum against MPI_Allreduce on one node, float32 buffers of 16 KiB to 4 MiB (a bench command).
// Run: mpirun -np 2 iddl-bench-shm-sum [ITERATIONS]; rank 0 prints the median and fastest microseconds per sum of
// both, called alternately, and checks that both give the same sums.
#include <mpi.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <memory>
#include <utility>
#include <vector>

#include "core/comm/shared_memory_sum.hpp"

namespace {

struct Timing {
  double median = 0;
  double best = 0;
};

// Rank 0's median and fastest seconds per call of `first` and of `second`, called alternately `iterations` times
// each after 10 warm-up calls (alternating exposes both to the same load on a shared machine; the fastest call is
// what the machine does when both ranks run at once).
std::pair<Timing, Timing> time_alternately(const std::function<void()>& first, const std::function<void()>& second,
                                           int iterations) {
  for (int i = 0; i < 10; ++i) {
    first();
    second();
  }
  std::vector<double> a;
  std::vector<double> b;
  for (int i = 0; i < iterations; ++i)
    for (auto* call : {&first, &second}) {
      MPI_Barrier(MPI_COMM_WORLD);
      const auto start = std::chrono::steady_clock::now();
      (*call)();
      const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
      (call == &first ? a : b).push_back(seconds);
    }
  const auto summary = [](std::vector<double>& t) {
    std::sort(t.begin(), t.end());
    return Timing{t[t.size() / 2], t.front()};
  };
  return {summary(a), summary(b)};
}

// Rank r's element i: small integers, whose float sums are exact in any order.
void fill(std::vector<float>& data, int rank) {
  for (size_t i = 0; i < data.size(); ++i) data[i] = static_cast<float>((i * 7 + static_cast<size_t>(rank)) % 1000);
}

}  // namespace

int main(int argc, char** argv) {
  MPI_Init(&argc, &argv);
  const int iterations = argc > 1 ? std::atoi(argv[1]) : 500;
  int rank = 0;
  int size = 0;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  MPI_Comm_size(MPI_COMM_WORLD, &size);
  std::unique_ptr<iddl::comm::SharedMemorySum> shm = iddl::comm::SharedMemorySum::create(MPI_COMM_WORLD);
  if (!shm) {
    if (rank == 0) std::printf("the ranks do not share one node: no shared-memory sum\n");
    MPI_Finalize();
    return 1;
  }
  if (rank == 0)
    std::printf("sum of float32 buffers on %d ranks, %d calls of each, alternating; rank 0's times\n\n"
                "| bytes | MPI_Allreduce median (us) | shared memory median (us) | MPI_Allreduce fastest (us) | "
                "shared memory fastest (us) | speed-up (medians) | speed-up (fastest) |\n"
                "|---:|---:|---:|---:|---:|---:|---:|\n",
                size, iterations);
  int failures = 0;
  for (const int64_t bytes : {16 << 10, 64 << 10, 128 << 10, 256 << 10, 512 << 10, 800 << 10, 1 << 20, 4 << 20}) {
    const auto count = static_cast<size_t>(bytes / 4);
    std::vector<float> mpi(count);
    std::vector<float> ours(count);
    fill(mpi, rank);
    fill(ours, rank);
    MPI_Allreduce(MPI_IN_PLACE, mpi.data(), static_cast<int>(count), MPI_FLOAT, MPI_SUM, MPI_COMM_WORLD);
    shm->sum(ours.data(), static_cast<int64_t>(count));
    if (mpi != ours) ++failures;
    std::vector<float> buffer(count, 0.0f);  // sums stay 0 over the iterations
    const auto [bare, shared] = time_alternately(
        [&] {
          MPI_Allreduce(MPI_IN_PLACE, buffer.data(), static_cast<int>(count), MPI_FLOAT, MPI_SUM, MPI_COMM_WORLD);
        },
        [&] { shm->sum(buffer.data(), static_cast<int64_t>(count)); }, iterations);
    if (rank == 0)
      std::printf("| %lld | %.1f | %.1f | %.1f | %.1f | %.2fx | %.2fx |\n", static_cast<long long>(bytes),
                  bare.median * 1e6, shared.median * 1e6, bare.best * 1e6, shared.best * 1e6,
                  bare.median / shared.median, bare.best / shared.best);
  }
  MPI_Allreduce(MPI_IN_PLACE, &failures, 1, MPI_INT, MPI_SUM, MPI_COMM_WORLD);
  if (rank == 0 && failures) std::printf("\nthe sums differ from MPI_Allreduce's on %d rank-sizes\n", failures);
  shm.reset();
  MPI_Finalize();
  return failures ? 1 : 0;
}
