// One training step of mlp and lenet through IDDL's core (EpochDriver + Trainer + single strategy) next to the
// same step in a minimal hand-written LibTorch loop: the difference is the core's overhead.
#include <benchmark/benchmark.h>

#include "core/train/epoch_order.hpp"
#include "core/train/epoch_driver.hpp"
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

BENCHMARK_CAPTURE(BM_CoreEpoch, mlp, std::string("mlp"))->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_HandLoopEpoch, mlp, std::string("mlp"))->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_CoreEpoch, lenet, std::string("lenet"))->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_HandLoopEpoch, lenet, std::string("lenet"))->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
