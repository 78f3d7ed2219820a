// iddl-nccl-check: under mpirun, one rank per GPU, sums tensors of growing sizes over the ranks with the run's
// communicator (NCCL for CUDA tensors), checks every sum and times it; rank 0 writes one JSON line per size.
// Part of `iddl-sweep gpu-check` (docs/gpu.md).
#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include <iostream>
#include <memory>

#include "core/comm/device_timer.hpp"
#include "core/comm/make_communicator.hpp"
#include "core/comm/mpi_session.hpp"
#include "runners/train/run_events.hpp"

namespace {

// Rank r's contribution: (i mod 1000) + r, whose sum over n ranks is n (i mod 1000) + n (n - 1) / 2 (exact in float32).
torch::Tensor contribution(int64_t numel, int rank, const torch::Device& device) {
  return torch::arange(numel, torch::TensorOptions(torch::kFloat32).device(device)).fmod(1000.0) + rank;
}

// One size's line: whether every rank's sum was right, and the mean seconds of `iterations` timed sums.
nlohmann::json check_size(iddl::comm::Communicator& comm, const torch::Device& device, int64_t bytes, int iterations) {
  const int64_t numel = bytes / 4;
  const int n = comm.size();
  torch::Tensor sum = contribution(numel, comm.rank(), device);
  comm.allreduce_sum(sum, iddl::comm::Traffic::Training);
  const torch::Tensor expected = contribution(numel, 0, device) * n + n * (n - 1) / 2.0;
  // Every rank's verdict, summed: the size is correct when all ranks are.
  torch::Tensor right = torch::full({1}, sum.equal(expected) ? 1.0f : 0.0f, torch::TensorOptions().device(device));
  comm.allreduce_sum(right, iddl::comm::Traffic::Bookkeeping);
  comm.allreduce_sum(sum, iddl::comm::Traffic::Training);  // warm-up
  comm.take_stats();
  const iddl::comm::DeviceTimer timer(device);
  for (int i = 0; i < iterations; ++i) comm.allreduce_sum(sum, iddl::comm::Traffic::Training);
  const double seconds = timer.seconds() / iterations;
  const double algbw = seconds > 0.0 ? static_cast<double>(bytes) / seconds : 0.0;
  return {{"event", "allreduce"},
          {"bytes", bytes},
          {"ranks", n},
          {"correct", right.item<float>() == static_cast<float>(n)},
          {"seconds", seconds},
          {"algbw_Bps", algbw},
          {"busbw_Bps", algbw * 2.0 * (n - 1) / n}};  // the bytes each link carries in a ring (nccl-tests' busbw)
}

}  // namespace

int main(int argc, char** argv) {
  iddl::comm::MpiSession mpi(&argc, &argv);
  CLI::App app{"Checks and times sums over the ranks' GPUs (NCCL); JSON lines on stdout (rank 0)."};
  int max_mib = 256;
  int iterations = 20;
  app.add_option("--max-mib", max_mib, "the largest tensor in MiB (sizes from 4 KiB, x4 each)")->check(CLI::Range(1, 4096));
  app.add_option("--iterations", iterations, "timed sums per size")->check(CLI::Range(1, 10000));
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int code = mpi.rank() == 0 ? app.exit(e) : e.get_exit_code();
    return code == 0 ? 0 : 2;
  }
  std::unique_ptr<iddl::comm::Communicator> comm;
  try {
    const torch::Device device = iddl::runners::run_device({{"device", "cuda"}});  // the rank's GPU, or why not
    comm = iddl::comm::make_communicator();
    if (mpi.rank() == 0)
      std::cout << nlohmann::json{{"event", "nccl_check"}, {"backend", comm->backend()}, {"ranks", comm->size()},
                                  {"device", device.str()}}
                << std::endl;
    for (int64_t bytes = 4096; bytes <= int64_t{max_mib} << 20; bytes *= 4) {
      const nlohmann::json line = check_size(*comm, device, bytes, iterations);
      if (mpi.rank() == 0) std::cout << line << std::endl;
    }
    return 0;
  } catch (const std::exception& e) {
    if (mpi.rank() == 0) std::cerr << "iddl-nccl-check: " << e.what() << std::endl;
    if (mpi.size() > 1 && comm) {
      iddl::comm::abort_communicator(*comm);
      iddl::comm::MpiSession::abort(1);
    }
    return 1;
  }
}
