// What masking costs: one SGD training step of seed 000's MLP 784-112-56-10 and of one ResNet-18
// size convolution (256→256, 3x3, 8x8 maps), dense next to masked (the dense product of zeroed
// weights, gradients masked after backward as the trainer does); and the forward of the MLP's masked first layer (4% kept) as a dense matmul next to a
// sparse (COO) one, to see whether a sparse kernel would pay off at that density.
#include <benchmark/benchmark.h>

#include "core/models/layers.hpp"
#include "core/models/model.hpp"
#include "core/sparsity/connection_mask.hpp"

namespace {

constexpr int64_t kBatch = 64;

// The sparsification of method `name` with its defaults.
iddl::models::SparsityOptions sparsity(const std::string& name) {
  iddl::models::SparsityOptions o;
  o.method = name;
  return o;
}

// One step as the trainer takes it: forward, cross-entropy, backward, mask_gradients, SGD with momentum.
template <typename Forward>
void train_steps(benchmark::State& state, torch::nn::Module& module, Forward forward, const torch::Tensor& x,
                 const torch::Tensor& target) {
  torch::optim::SGD sgd(module.parameters(), torch::optim::SGDOptions(0.05).momentum(0.9));
  for (auto _ : state) {
    sgd.zero_grad();
    torch::Tensor loss = torch::nn::functional::cross_entropy(forward(x), target);
    loss.backward();
    iddl::models::mask_gradients(module);
    sgd.step();
    benchmark::DoNotOptimize(loss.item<float>());
  }
  state.SetItemsProcessed(state.iterations() * x.size(0));
}

// A training step of the MLP 784-112-56-10 under sparsification `name` (none, bibd).
void BM_MlpStep(benchmark::State& state, const std::string& name) {
  torch::set_num_threads(1);
  torch::manual_seed(1);
  auto model = iddl::models::make_model({"mlp", {112, 56}, sparsity(name)}, {1, 28, 28, 10});
  const torch::Tensor x = torch::randn({kBatch, 1, 28, 28}), target = torch::randint(0, 10, {kBatch});
  train_steps(state, *model, [&](const torch::Tensor& in) { return model->forward(in); }, x, target);
  state.counters["weights"] = static_cast<double>(iddl::models::count_weights(*model));
}

// A training step of a 256→256 3x3 convolution on 8x8 maps (ResNet-18's layer3), dense or with the
// affine bibd channel mask (AG(2, 16): 16 of 256 inputs per output, 6.25%).
void BM_ConvStep(benchmark::State& state, bool masked) {
  torch::set_num_threads(1);
  torch::manual_seed(1);
  const auto options = torch::nn::Conv2dOptions(256, 256, 3).padding(1).bias(false);
  const auto mask = iddl::sparsity::bibd_mask(iddl::sparsity::DesignKind::Affine, 256, 256);
  torch::Tensor mask_tensor =
      torch::from_blob(const_cast<uint8_t*>(mask.bits.data()), {256, 256}, torch::kUInt8).to(torch::kFloat32);
  iddl::models::Conv2d conv = masked ? iddl::models::Conv2d(options, mask_tensor) : iddl::models::Conv2d(options);
  const torch::Tensor x = torch::randn({16, 256, 8, 8}), target = torch::randint(0, 256, {16});
  train_steps(state, *conv, [&](const torch::Tensor& in) { return conv(in).mean({2, 3}); }, x, target);
}

// y = W x for the MLP's first layer (112 x 784) with seed 000's bibd mask (3,136 kept, 3.6%):
// dense matmul of the masked weight, or a sparse COO matmul of the kept entries only.
void BM_FirstLayerForward(benchmark::State& state, bool sparse) {
  torch::set_num_threads(1);
  torch::manual_seed(1);
  const auto mask = iddl::sparsity::bibd_mask(iddl::sparsity::DesignKind::Affine, 784, 112);
  const torch::Tensor keep =
      torch::from_blob(const_cast<uint8_t*>(mask.bits.data()), {112, 784}, torch::kUInt8).to(torch::kFloat32);
  const torch::Tensor weight = torch::randn({112, 784}) * keep, x = torch::randn({784, kBatch});
  const torch::Tensor sparse_weight = weight.to_sparse();
  for (auto _ : state) benchmark::DoNotOptimize(sparse ? torch::mm(sparse_weight, x) : torch::mm(weight, x));
  state.SetItemsProcessed(state.iterations() * kBatch);
}

}  // namespace

BENCHMARK_CAPTURE(BM_MlpStep, dense, std::string("none"))->Unit(benchmark::kMicrosecond);
BENCHMARK_CAPTURE(BM_MlpStep, bibd, std::string("bibd"))->Unit(benchmark::kMicrosecond);
BENCHMARK_CAPTURE(BM_ConvStep, dense, false)->Unit(benchmark::kMicrosecond);
BENCHMARK_CAPTURE(BM_ConvStep, bibd, true)->Unit(benchmark::kMicrosecond);
BENCHMARK_CAPTURE(BM_FirstLayerForward, dense_matmul, false)->Unit(benchmark::kMicrosecond);
BENCHMARK_CAPTURE(BM_FirstLayerForward, sparse_coo, true)->Unit(benchmark::kMicrosecond);
BENCHMARK_MAIN();
