// The communicator's allreduce against a bare MPI_Allreduce on the same buffer, and the in-place sum over shared
// memory (SharedSum, what sync's last bucket uses on one machine) of as many values (a bench command).
// Run: mpirun -np 2 iddl-bench-comm [MEGABYTES] [ITERATIONS]; rank 0 prints algorithm and bus
// bandwidth (nccl-tests: algbw = bytes / time, busbw = algbw × 2(n-1)/n).
#include <mpi.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <memory>

#include "core/comm/mpi_communicator.hpp"
#include "core/comm/mpi_session.hpp"
#include "core/comm/shared_sum.hpp"

namespace {

// Mean seconds per call of `call` over `iterations`, after 5 warm-up calls, slowest rank's figure.
double seconds_per_call(const std::function<void()>& call, int iterations) {
  for (int i = 0; i < 5; ++i) call();
  MPI_Barrier(MPI_COMM_WORLD);
  const auto start = std::chrono::steady_clock::now();
  for (int i = 0; i < iterations; ++i) call();
  double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count() / iterations;
  MPI_Allreduce(MPI_IN_PLACE, &seconds, 1, MPI_DOUBLE, MPI_MAX, MPI_COMM_WORLD);
  return seconds;
}

void report(const char* name, double bytes, double seconds, int ranks) {
  const double algbw = bytes / seconds / 1e9;
  const double busbw = algbw * 2.0 * (ranks - 1) / ranks;
  std::printf("| %s | %.0f | %.1f | %.2f | %.2f |\n", name, bytes, seconds * 1e6, algbw, busbw);
}

}  // namespace

int main(int argc, char** argv) {
  iddl::comm::MpiSession session(&argc, &argv);
  const double megabytes = argc > 1 ? std::atof(argv[1]) : 4.0;
  const int iterations = argc > 2 ? std::atoi(argv[2]) : 200;
  const auto elements = static_cast<int64_t>(megabytes * 1024 * 1024 / sizeof(float));
  const double bytes = static_cast<double>(elements * static_cast<int64_t>(sizeof(float)));
  iddl::comm::MpiCommunicator comm;
  torch::Tensor buffer = torch::zeros({elements}, torch::kFloat32);  // sums stay 0 over the iterations

  const double bare = seconds_per_call(
      [&] {
        MPI_Allreduce(MPI_IN_PLACE, buffer.data_ptr(), static_cast<int>(elements), MPI_FLOAT, MPI_SUM, MPI_COMM_WORLD);
      },
      iterations);
  const double ours = seconds_per_call([&] { comm.allreduce_sum(buffer, iddl::comm::Traffic::Training); }, iterations);
  const std::unique_ptr<iddl::comm::SharedSum> shared = comm.shared_sum(elements, torch::kFloat32);
  const double in_place =
      shared ? seconds_per_call([&] { shared->allreduce_sum(shared->local(), iddl::comm::Traffic::Training); },
                                iterations)
             : 0.0;
  if (session.rank() == 0) {
    std::printf("allreduce of %.0f bytes (float32) on %d ranks, %d iterations\n\n", bytes, session.size(), iterations);
    std::printf("| call | bytes | time (us) | algbw (GB/s) | busbw (GB/s) |\n|---|---:|---:|---:|---:|\n");
    report("MPI_Allreduce", bytes, bare, session.size());
    report("MpiCommunicator::allreduce_sum", bytes, ours, session.size());
    if (shared) report("SharedSum::allreduce_sum", bytes, in_place, session.size());
    std::printf("\noverhead of the communicator: %+.1f%%\n", (ours / bare - 1.0) * 100.0);
    if (shared)
      std::printf("shared memory against MPI_Allreduce: %.2fx the time\n", in_place / bare);
    else
      std::printf("no shared-memory sum here (ranks on several machines, or IDDL_SHARED_SUM=0)\n");
  }
  return 0;
}
