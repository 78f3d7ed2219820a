// iddl-nccl-check: under mpirun, one rank per GPU, sums tensors of growing sizes over the ranks with the run's
// communicator (NCCL for CUDA tensors), checks every sum and times it, then checks the collectives on LibTorch's
// current stream; rank 0 writes one JSON line per size and one for the stream. Part of `iddl-sweep gpu-check`
// (docs/gpu.md).
#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include <chrono>
#include <iostream>
#include <memory>

#include "core/comm/device_timer.hpp"
#include "core/comm/make_communicator.hpp"
#include "core/comm/mpi_session.hpp"
#include "core/comm/request.hpp"
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

// Whether every rank says `ok` (summed over MPI on the host).
bool on_every_rank(iddl::comm::Communicator& comm, bool ok) {
  torch::Tensor votes = torch::full({1}, ok ? 1.0f : 0.0f);
  comm.allreduce_sum(votes, iddl::comm::Traffic::Bookkeeping);
  return votes.item<float>() == static_cast<float>(comm.size());
}

// The collectives on LibTorch's current stream (docs/gpu.md), checked on every rank: an allgather of unequal lengths
// (rank r gives r + 1 values r) whose parts are right and on the device; a nonblocking sum whose request is pending
// until the last rank has started its part and complete after wait(); and the host's seconds to queue a sum of
// 64 MiB against the GPU's seconds to do it (a host that waited for each sum takes as long as the GPU).
nlohmann::json check_stream(iddl::comm::Communicator& comm, const torch::Device& device) {
  using iddl::comm::Traffic;
  const int n = comm.size();
  const int rank = comm.rank();
  const auto on_device = torch::TensorOptions(torch::kFloat32).device(device);
  const auto parts = comm.allgather(torch::full({rank + 1}, static_cast<float>(rank), on_device), Traffic::Bookkeeping);
  bool gathered = static_cast<int>(parts.size()) == n;
  for (int r = 0; gathered && r < n; ++r) {
    const torch::Tensor& part = parts[static_cast<size_t>(r)];
    gathered = part.device() == device && part.numel() == r + 1 && part.eq(static_cast<float>(r)).all().item<bool>();
  }

  torch::Tensor values = torch::ones({1 << 20}, on_device);
  torch::Tensor go = torch::zeros({1});
  bool truthful = true;
  if (rank < n - 1) {  // the last rank starts only when every other rank has tested its request once
    auto sum = comm.iallreduce_sum(values, Traffic::Bookkeeping);
    truthful = !sum->test();
    comm.send(go, n - 1, 11, Traffic::Bookkeeping);
    sum->wait();
    truthful = truthful && sum->test();
  } else {
    for (int r = 0; r < n - 1; ++r) comm.recv(go, r, 11, Traffic::Bookkeeping);
    auto sum = comm.iallreduce_sum(values, Traffic::Bookkeeping);
    sum->wait();
    truthful = sum->test();
  }
  truthful = truthful && values.eq(static_cast<float>(n)).all().item<bool>();

  constexpr int kSums = 20;
  torch::Tensor big = torch::ones({int64_t{16} << 20}, on_device);  // 64 MiB
  comm.allreduce_sum(big, Traffic::Bookkeeping);                      // warm-up
  comm.barrier();
  const iddl::comm::DeviceTimer timer(device);
  const auto queuing = std::chrono::steady_clock::now();
  for (int i = 0; i < kSums; ++i) comm.allreduce_sum(big, Traffic::Bookkeeping);
  const double queue_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - queuing).count();
  const double sum_seconds = timer.seconds();
  return {{"event", "stream"},
          {"ranks", n},
          {"allgather_correct", on_every_rank(comm, gathered)},
          {"request_truthful", on_every_rank(comm, truthful)},
          {"bytes", int64_t{64} << 20},
          {"queue_seconds", queue_seconds / kSums},
          {"sum_seconds", sum_seconds / kSums}};
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
    const nlohmann::json stream = check_stream(*comm, device);
    if (mpi.rank() == 0) std::cout << stream << std::endl;
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
