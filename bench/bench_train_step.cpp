// One training step of mlp and lenet through IDDL's core (EpochDriver + Trainer + single strategy) next to the
// same step in a minimal hand-written LibTorch loop: the difference is the core's overhead. A ResNet-9 step on a
// CIFAR-shaped batch with and without crop_flip + cutout augmentation: what augmenting adds to a step. An SGD step
// per tensor against the flat one.
#include <benchmark/benchmark.h>

#include <chrono>

#include "core/data/augmentation.hpp"
#include "core/train/epoch_order.hpp"
#include "core/train/epoch_driver.hpp"
#include "core/train/flat_parameters.hpp"
#include "core/train/flat_sgd.hpp"
#include "core/train/trainer.hpp"
#include "core/parallel/single_strategy.hpp"

namespace {

constexpr int64_t kBatch = 64;
constexpr int64_t kSteps = 32;

const iddl::data::Dataset& data() {
  static const iddl::data::Dataset dataset = [] {
    iddl::data::DataOptions options;
    options.name = "synthetic";
    options.train_samples = kBatch * kSteps;
    options.test_samples = kBatch;
    return iddl::data::load_dataset(options);
  }();
  return dataset;
}

iddl::models::Model model_named(const std::string& name) {
  torch::manual_seed(1);
  return iddl::models::make_model({name, {112, 56}}, {1, 28, 28, 10});
}

iddl::train::TrainOptions options() {
  iddl::train::TrainOptions o;
  o.batch_size = kBatch;
  o.epochs = 1000000;
  return o;
}

int64_t parameter_count(const std::vector<torch::Tensor>& parameters) {
  int64_t n = 0;
  for (const auto& p : parameters) n += p.numel();
  return n;
}

void report(benchmark::State& state) {
  state.SetItemsProcessed(state.iterations() * kSteps * kBatch);
  state.counters["steps_per_second"] =
      benchmark::Counter(static_cast<double>(state.iterations() * kSteps), benchmark::Counter::kIsRate);
}

// An epoch of kSteps steps (plus evaluating kBatch test samples) through iddl::train::EpochDriver and Trainer.
void BM_CoreEpoch(benchmark::State& state, const std::string& name) {
  torch::set_num_threads(1);
  auto model = model_named(name);
  iddl::parallel::SingleStrategy alone;
  iddl::train::Trainer trainer(model, options(), torch::kCPU, nullptr, alone);
  iddl::train::EpochDriver driver(trainer, data(), options(), torch::kCPU);
  int64_t epoch = 0;
  for (auto _ : state) benchmark::DoNotOptimize(driver.run_epoch(++epoch).train_loss);
  report(state);
}

// The same epoch written as the shortest LibTorch loop: shuffled batches, forward, loss, backward, SGD step.
void BM_HandLoopEpoch(benchmark::State& state, const std::string& name) {
  torch::set_num_threads(1);
  auto model = model_named(name);
  const auto o = options();
  torch::optim::SGD sgd(model->parameters(), torch::optim::SGDOptions(o.lr).momentum(o.momentum));
  const auto& train = data().train;
  const auto& test = data().test;
  int64_t epoch = 0;
  for (auto _ : state) {
    model->train();
    const torch::Tensor order = torch::randperm(train.images.size(0), torch::kInt64);
    double loss_sum = 0.0;
    for (int64_t step = 0; step < kSteps; ++step) {
      const torch::Tensor rows = order.slice(0, step * kBatch, (step + 1) * kBatch);
      sgd.zero_grad();
      torch::Tensor loss = torch::nn::functional::cross_entropy(model->forward(train.images.index_select(0, rows)),
                                                                train.labels.index_select(0, rows));
      loss.backward();
      sgd.step();
      loss_sum += loss.item<double>();
    }
    torch::NoGradGuard no_grad;
    model->eval();
    const torch::Tensor logits = model->forward(test.images);
    benchmark::DoNotOptimize(logits.argmax(1).eq(test.labels).sum().item<double>() + loss_sum + double(++epoch));
  }
  report(state);
}

constexpr int64_t kCifarBatch = 64;

// crop_flip with seed 003's recipe: 4 pixels of reflect padding, flips, an 8-pixel cutout.
iddl::data::AugmentOptions crop_flip_cutout() {
  iddl::data::AugmentOptions o;
  o.method = "crop_flip";
  o.pad = 4;
  o.padding = "reflect";
  o.flip = true;
  o.cutout = 8;
  return o;
}

double seconds_between(std::chrono::steady_clock::time_point a, std::chrono::steady_clock::time_point b) {
  return std::chrono::duration<double>(b - a).count();
}

// One ResNet-9 training step (SGD, single strategy) on a CIFAR-shaped batch of kCifarBatch, its batch augmented
// first when `augment`, as the epoch driver does. augment_share: the augmentation's time over the step's own, in
// the same iterations.
void BM_Resnet9Step(benchmark::State& state, bool augment) {
  torch::set_num_threads(1);
  torch::manual_seed(1);
  auto model = iddl::models::make_model({"resnet9", {}}, {3, 32, 32, 10});
  iddl::parallel::SingleStrategy alone;
  iddl::train::Trainer trainer(model, options(), torch::kCPU, nullptr, alone);
  trainer.start_epoch();
  const torch::Tensor x = torch::randn({kCifarBatch, 3, 32, 32}), y = torch::randint(0, 10, {kCifarBatch});
  const iddl::data::AugmentOptions o = augment ? crop_flip_cutout() : iddl::data::AugmentOptions{};
  double augment_s = 0.0, step_s = 0.0;
  int64_t batch = 0;
  for (auto _ : state) {
    const auto start = std::chrono::steady_clock::now();
    const torch::Tensor input = iddl::data::augment_batch(x, o, {1, 0, 1, batch++});
    const auto augmented = std::chrono::steady_clock::now();
    benchmark::DoNotOptimize(trainer.train_step(input, y, kCifarBatch).sum);
    const auto stepped = std::chrono::steady_clock::now();
    augment_s += seconds_between(start, augmented);
    step_s += seconds_between(augmented, stepped);
  }
  state.SetItemsProcessed(state.iterations() * kCifarBatch);
  state.counters["augment_share"] = augment_s / step_s;
}

// The augmentation alone on a CIFAR-shaped batch of `state.range(0)` images: draws, pad, gather, cutout mask.
void BM_CropFlipCutout(benchmark::State& state) {
  torch::set_num_threads(1);
  const torch::Tensor x = torch::randn({state.range(0), 3, 32, 32});
  const iddl::data::AugmentOptions o = crop_flip_cutout();
  int64_t batch = 0;
  for (auto _ : state) benchmark::DoNotOptimize(iddl::data::augment_batch(x, o, {1, 0, 1, batch++}).data_ptr());
  state.SetItemsProcessed(state.iterations() * state.range(0));
}

// One SGD step with momentum 0.9 and zeroing the gradients over the 218,058 parameters of seed 001's MLP
// 784-256-64-10: torch::optim::SGD tensor by tensor against FlatSgd's one pass over flat buffers (issue 18).
void BM_SgdStep(benchmark::State& state, bool flat) {
  torch::manual_seed(1);
  iddl::models::Model model = iddl::models::make_model({"mlp", {256, 64}}, {1, 28, 28, 10});
  std::vector<torch::Tensor> parameters = model->parameters();
  const auto sgd = torch::optim::SGDOptions(0.01).momentum(0.9);
  std::unique_ptr<iddl::train::FlatParameters> views;
  std::unique_ptr<iddl::train::FlatSgd> flat_sgd;
  std::unique_ptr<torch::optim::SGD> per_tensor;
  if (flat) {
    views = std::make_unique<iddl::train::FlatParameters>(parameters);
    flat_sgd = std::make_unique<iddl::train::FlatSgd>(*views, sgd);
  } else {
    for (auto& p : parameters) p.mutable_grad() = torch::zeros_like(p);
    per_tensor = std::make_unique<torch::optim::SGD>(parameters, sgd);
  }
  for (auto _ : state) {
    if (flat) {
      flat_sgd->zero_grad();
      flat_sgd->step();
    } else {
      per_tensor->zero_grad();
      per_tensor->step();
    }
  }
  state.SetItemsProcessed(state.iterations() * parameter_count(parameters));
}

BENCHMARK_CAPTURE(BM_SgdStep, per_tensor, false)->Unit(benchmark::kMicrosecond);
BENCHMARK_CAPTURE(BM_SgdStep, flat, true)->Unit(benchmark::kMicrosecond);
BENCHMARK_CAPTURE(BM_CoreEpoch, mlp, std::string("mlp"))->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_HandLoopEpoch, mlp, std::string("mlp"))->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_CoreEpoch, lenet, std::string("lenet"))->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_HandLoopEpoch, lenet, std::string("lenet"))->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_Resnet9Step, plain, false)->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_Resnet9Step, crop_flip_cutout, true)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_CropFlipCutout)->Arg(64)->Arg(128)->Unit(benchmark::kMicrosecond);

}  // namespace

BENCHMARK_MAIN();
