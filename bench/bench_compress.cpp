// Encode + decode throughput of every compressor of the compressor registry (at its default parameters, from the
// matrix spec) and of the activation quantizers on 1M and 25M floats, next to a memcpy of the same buffer
// (bytes_per_second counts input floats, so the ratio to memcpy reads directly), and the local work of a step of each
// low-rank method (PowerSGD) on a square matrix of as many floats (one rank: its allreduces move nothing).
// Run: iddl-bench-compress (no mpirun needed; it initializes MPI as a one-rank job).
#include <ATen/CPUGeneratorImpl.h>
#include <benchmark/benchmark.h>

#include <cmath>
#include <cstring>

#include "core/comm/mpi_communicator.hpp"
#include "core/comm/mpi_session.hpp"
#include "core/compress/activation_quantizer.hpp"
#include "core/compress/compressed_averager.hpp"
#include "core/compress/compressor_registry.hpp"
#include "core/train/heap_policy.hpp"
#include "matrix/setting_values.hpp"
#include "matrix/settings.hpp"
#include "runners/train/run_spec.hpp"

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

// The options of compression method `method` at its default parameters (the matrix spec's).
CompressionOptions defaults(const std::string& method) {
  return iddl::runners::compression_options(
      iddl::matrix::normalized_value(*iddl::matrix::find_setting("compression"), method));
}

// encode then decode of n floats with the compressor of `options`.
void BM_Compressor(benchmark::State& state, const CompressionOptions& options) {
  torch::set_num_threads(1);
  const int64_t n = state.range(0);
  const torch::Tensor x = input(n);
  auto compressor = make_compressor(options, at::detail::createCPUGenerator(2));
  int64_t payload_bytes = 0;
  for (auto _ : state) {
    const torch::Tensor payload = compressor->encode(x);
    benchmark::DoNotOptimize(compressor->decode(payload, n).data_ptr<float>());
    payload_bytes = payload.numel();
  }
  set_throughput(state, n);
  state.counters["wire_ratio"] = static_cast<double>(payload_bytes) / static_cast<double>(4 * n);
}

// encode then decode of n floats with an activation quantizer; `relu`: the negative ones 0, as after a ReLU.
void BM_Quantizer(benchmark::State& state, const ActivationQuantizer& quantizer, bool relu = false) {
  torch::set_num_threads(1);
  const int64_t n = state.range(0);
  const torch::Tensor x = relu ? input(n).clamp_min(0) : input(n);
  int64_t payload_bytes = 0;
  for (auto _ : state) {
    const torch::Tensor payload = quantizer.encode(x);
    benchmark::DoNotOptimize(quantizer.decode(payload, x.sizes()).data_ptr<float>());
    payload_bytes = payload.numel();
  }
  set_throughput(state, n);
  state.counters["wire_ratio"] = static_cast<double>(payload_bytes) / static_cast<double>(4 * n);
}

// One step of a low-rank method (PowerSGD: rank 2, warm start, error feedback by default) of a square matrix of about
// n floats on one rank.
void BM_LowRank(benchmark::State& state, const CompressionOptions& options) {
  torch::set_num_threads(1);
  const auto side = static_cast<int64_t>(std::sqrt(static_cast<double>(state.range(0))));
  iddl::comm::MpiCommunicator comm;
  auto averager = make_averager(options, comm, 3);
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
constexpr int64_t kBoundary = 18'816;   // a LeNet pipeline boundary message: 16 samples x 1,176 values

// `bench` of `options` registered as "<prefix>/<method>" at both sizes.
void register_method(const std::string& prefix, void (*bench)(benchmark::State&, const CompressionOptions&),
                     const CompressionOptions& options) {
  benchmark::RegisterBenchmark((prefix + "/" + options.method).c_str(), bench, options)
      ->Arg(kSmall)
      ->Arg(kLarge)
      ->Unit(benchmark::kMillisecond);
}

// A benchmark of every method of the compressor registry but those that send values as they are.
void register_compressors() {
  for (const CompressorMethod& method : compressor_registry()) {
    if (method.compressor) register_method("BM_Compressor", BM_Compressor, defaults(method.name));
    if (method.low_rank) register_method("BM_LowRank", BM_LowRank, defaults(method.name));
  }
}

}  // namespace

BENCHMARK(BM_Memcpy)->Arg(kSmall)->Arg(kLarge)->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_Quantizer, sortquant_8_2, sortquant(8, 2))
    ->Arg(kSmall)
    ->Arg(kLarge)
    ->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_Quantizer, uniform_8, uniform(8))->Arg(kSmall)->Arg(kLarge)->Unit(benchmark::kMillisecond);
// The pipeline boundary's message size (bench/pipeline_boundary.toml), in microseconds.
BENCHMARK(BM_Memcpy)->Name("BM_Memcpy/boundary")->Arg(kBoundary)->Unit(benchmark::kMicrosecond);
BENCHMARK_CAPTURE(BM_Quantizer, sortquant_8_2_boundary, sortquant(8, 2))->Arg(kBoundary)->Unit(benchmark::kMicrosecond);
BENCHMARK_CAPTURE(BM_Quantizer, relu_sortquant_8_2_boundary, sortquant(8, 2), true)
    ->Arg(kBoundary)
    ->Unit(benchmark::kMicrosecond);

int main(int argc, char** argv) {
  iddl::train::keep_large_buffers_in_heap();  // as iddl-train: 100 MB buffers reuse heap memory
  iddl::comm::MpiSession session(&argc, &argv);
  register_compressors();
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
