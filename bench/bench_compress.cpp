// Encode + decode throughput of each gradient compressor and activation quantizer on 1M and 25M floats, next to a
// memcpy of the same buffer (bytes_per_second counts input floats, so the ratio to memcpy reads directly), and the
// local work of a PowerSGD step on a square matrix of as many floats (one rank: its allreduces move nothing).
// Run: iddl-bench-compress (no mpirun needed; it initializes MPI as a one-rank job).
#include <ATen/CPUGeneratorImpl.h>
#include <benchmark/benchmark.h>

#include <cmath>
#include <cstring>

#include "core/comm/mpi_communicator.hpp"
#include "core/comm/mpi_session.hpp"
#include "core/compress/activation_quantizer.hpp"
#include "core/compress/compressed_averager.hpp"
#include "core/compress/compressors.hpp"
#include "core/train/heap_policy.hpp"

namespace {

using namespace iddl::compress;

// n gradient-like floats: normal with standard deviation 0.001 (threshold's default v keeps about a third).
torch::Tensor input(int64_t n) { return torch::randn({n}, at::detail::createCPUGenerator(1)) * 1e-3; }

void set_throughput(benchmark::State& state, int64_t n) {
  state.SetBytesProcessed(state.iterations() * n * static_cast<int64_t>(sizeof(float)));
}

// memcpy of n floats: the reference for the throughputs below.
void BM_Memcpy(benchmark::State& state) {
  torch::set_num_threads(1);
  const int64_t n = state.range(0);
  const torch::Tensor from = input(n);
  torch::Tensor to = torch::empty_like(from);
  for (auto _ : state) {
    std::memcpy(to.data_ptr<float>(), from.data_ptr<float>(), static_cast<size_t>(n) * sizeof(float));
    benchmark::ClobberMemory();
  }
  set_throughput(state, n);
}

// encode then decode of n floats with the compressor of `method` (its default parameters).
void BM_Compressor(benchmark::State& state, const std::string& method) {
  torch::set_num_threads(1);
  const int64_t n = state.range(0);
  const torch::Tensor x = input(n);
  auto compressor = make_compressor(parse_compression(method), at::detail::createCPUGenerator(2));
  int64_t payload_bytes = 0;
  for (auto _ : state) {
    const torch::Tensor payload = compressor->encode(x);
    benchmark::DoNotOptimize(compressor->decode(payload, n).data_ptr<float>());
    payload_bytes = payload.numel();
  }
  set_throughput(state, n);
  state.counters["wire_ratio"] = static_cast<double>(payload_bytes) / static_cast<double>(4 * n);
}

// encode then decode of n floats with an activation quantizer.
void BM_Quantizer(benchmark::State& state, const ActivationQuantizer& quantizer) {
  torch::set_num_threads(1);
  const int64_t n = state.range(0);
  const torch::Tensor x = input(n);
  int64_t payload_bytes = 0;
  for (auto _ : state) {
    const torch::Tensor payload = quantizer.encode(x);
    benchmark::DoNotOptimize(quantizer.decode(payload, x.sizes()).data_ptr<float>());
    payload_bytes = payload.numel();
  }
  set_throughput(state, n);
  state.counters["wire_ratio"] = static_cast<double>(payload_bytes) / static_cast<double>(4 * n);
}

// One PowerSGD step (rank 2, warm start, error feedback) of a square matrix of about n floats on one rank.
void BM_PowerSgd(benchmark::State& state) {
  torch::set_num_threads(1);
  const auto side = static_cast<int64_t>(std::sqrt(static_cast<double>(state.range(0))));
  iddl::comm::MpiCommunicator comm;
  auto averager = make_averager({{"method", "powersgd"}}, comm, 3);
  const torch::Tensor gradient = input(side * side).view({side, side});
  for (auto _ : state) {
    std::vector<torch::Tensor> tensors = {gradient.clone()};
    averager->average(tensors, 1.0);
    benchmark::DoNotOptimize(tensors[0].data_ptr<float>());
  }
  set_throughput(state, side * side);
  state.counters["wire_ratio"] = averager->compression_ratio();
}

constexpr int64_t kSmall = 1 << 20;     // 1M floats (4 MiB)
constexpr int64_t kLarge = 25'000'000;  // 25M floats (100 MB, ResNet-50 size)

}  // namespace

BENCHMARK(BM_Memcpy)->Arg(kSmall)->Arg(kLarge)->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_Compressor, topk, std::string("topk"))->Arg(kSmall)->Arg(kLarge)->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_Compressor, randomk, std::string("randomk"))
    ->Arg(kSmall)
    ->Arg(kLarge)
    ->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_Compressor, threshold, std::string("threshold"))
    ->Arg(kSmall)
    ->Arg(kLarge)
    ->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_Compressor, terngrad, std::string("terngrad"))
    ->Arg(kSmall)
    ->Arg(kLarge)
    ->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_Compressor, qsgd, std::string("qsgd"))->Arg(kSmall)->Arg(kLarge)->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_Compressor, fp16, std::string("fp16"))->Arg(kSmall)->Arg(kLarge)->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_Compressor, signsgd, std::string("signsgd"))
    ->Arg(kSmall)
    ->Arg(kLarge)
    ->Unit(benchmark::kMillisecond);
BENCHMARK(BM_PowerSgd)->Arg(kSmall)->Arg(kLarge)->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_Quantizer, sortquant_8_2, sortquant(8, 2))
    ->Arg(kSmall)
    ->Arg(kLarge)
    ->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_Quantizer, uniform_8, uniform(8))->Arg(kSmall)->Arg(kLarge)->Unit(benchmark::kMillisecond);

int main(int argc, char** argv) {
  iddl::train::keep_large_buffers_in_heap();  // as iddl-train: 100 MB buffers reuse heap memory
  iddl::comm::MpiSession session(&argc, &argv);
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
