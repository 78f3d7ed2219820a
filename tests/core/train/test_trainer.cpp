#include <gtest/gtest.h>

#include <optional>
#include <utility>
#include <vector>

#include "core/train/epoch_driver.hpp"
#include "core/train/flat_tensors.hpp"
#include "core/train/lr_schedule.hpp"
#include "core/train/trainer.hpp"
#include "tests/support/devices.hpp"

namespace {

using iddl::train::Shard;
using iddl::train::StepLoss;

// A step engine of one rank alone that records what the driver asks of it: every sample's loss is 2,
// every test sample's 0.5, and half of each test batch (rounded down) is correct.
struct Recorder : iddl::train::StepEngine {
  std::optional<Shard> part = Shard{};
  std::vector<double> rates;
  std::vector<int64_t> rows, scored;
  int inferred = 0, served = 0;

  std::optional<Shard> shard() const override { return part; }
  void set_learning_rate(double lr) override { rates.push_back(lr); }
  StepLoss train_step(const torch::Tensor& x, const torch::Tensor&, int64_t) override {
    rows.push_back(x.size(0));
    return {2.0 * static_cast<double>(x.size(0)), x.size(0)};
  }
  void score(const torch::Tensor& x, const torch::Tensor&, iddl::models::TestSums& sums) override {
    scored.push_back(x.size(0));
    sums.samples += static_cast<double>(x.size(0));
    sums.loss += 0.5 * static_cast<double>(x.size(0));
    sums.correct += static_cast<double>(x.size(0) / 2);
  }
  void infer(const torch::Tensor&) override { ++inferred; }
  iddl::comm::CommStats take_stats() override { return {}; }
  iddl::comm::Communicator* loss_ranks() override { return nullptr; }
  iddl::comm::Communicator* evaluation_ranks() override { return nullptr; }
  void serve_epoch() override { ++served; }
};

// Hooks of a process training alone.
struct Alone : iddl::train::TrainingHooks {
  void on_start(torch::nn::Module&) override {}
  void after_backward(torch::nn::Module&, int64_t, int64_t) override {}
};

iddl::data::Dataset synthetic(int64_t train, int64_t test) {
  iddl::data::DataOptions options;
  options.name = "synthetic";
  options.train_samples = train;
  options.test_samples = test;
  return iddl::data::load_dataset(options);
}

// The trainer's tests on every device of tests/support/devices.hpp.
class TrainerOn : public iddl::testing::OnDevice {};

}  // namespace

TEST(FlatTensors, GradientsAndValuesRoundTrip) {
  std::vector<torch::Tensor> params{torch::randn({3, 4}, torch::requires_grad()), torch::randn({5}, torch::requires_grad())};
  iddl::train::ensure_gradients(params);
  EXPECT_EQ(iddl::train::flatten_gradients(params).abs().sum().item<double>(), 0.0);
  const torch::Tensor values = torch::arange(17, torch::kFloat32);
  iddl::train::unflatten_into_values(values, params);
  EXPECT_TRUE(torch::equal(iddl::train::flatten_values(params), values));
  iddl::train::unflatten_into_gradients(values * 2, params);
  EXPECT_TRUE(torch::equal(iddl::train::flatten_gradients(params), values * 2));
  EXPECT_EQ(params[1].grad()[0].item<float>(), 24.0f);
}

TEST_P(TrainerOn, LearnsSyntheticDataWellAboveChance) {
  const auto data = synthetic(2048, 512);
  torch::manual_seed(1);
  auto model = iddl::models::make_model({"mlp", {64}}, {1, 28, 28, 10});
  iddl::train::TrainOptions options;
  options.epochs = 2;
  options.batch_size = 32;
  Alone hooks;
  iddl::train::Trainer trainer(model, options, device(), nullptr, hooks);
  iddl::train::EpochDriver driver(trainer, data, options, device());
  EXPECT_EQ(model->parameters().front().device(), device());
  const auto first = driver.run_epoch(1);
  const auto second = driver.run_epoch(2);
  EXPECT_LT(second.train_loss, first.train_loss);
  EXPECT_GT(second.test_accuracy, 0.5);
  EXPECT_GT(second.epoch_time_s, 0.0);
  EXPECT_EQ(second.comm.bytes_sent, 0);
  const auto timing = driver.time_inference(128, 10);
  EXPECT_GT(timing.inference_time_s, 0.0);
  EXPECT_GT(timing.latency_ms, 0.0);
}

TEST_P(TrainerOn, SameSeedGivesTheSameWeights) {
  const auto data = synthetic(256, 64);
  auto train_once = [&] {
    torch::manual_seed(3);
    auto model = iddl::models::make_model({"mlp", {32}}, {1, 28, 28, 10});
    iddl::train::TrainOptions options;
    options.epochs = 1;
    options.batch_size = 16;
    Alone hooks;
    iddl::train::Trainer trainer(model, options, device(), nullptr, hooks);
    iddl::train::EpochDriver(trainer, data, options, device()).run_epoch(1);
    return iddl::train::flatten_values(model->parameters()).cpu();
  };
  EXPECT_TRUE(torch::equal(train_once(), train_once()));
}

TEST(EpochDriver, StepsThroughEveryBatchWithTheScheduledRates) {
  const auto data = synthetic(100, 300);
  iddl::train::TrainOptions options;
  options.epochs = 2;
  options.batch_size = 16;
  options.schedule = "warmup_linear";
  Recorder engine;
  iddl::train::EpochDriver driver(engine, data, options, torch::kCPU);
  driver.run_epoch(1);
  const auto second = driver.run_epoch(2);
  ASSERT_EQ(engine.rates.size(), 14u);  // 7 batches an epoch, the last of 4 samples
  for (int64_t step = 0; step < 14; ++step)
    EXPECT_EQ(engine.rates[static_cast<size_t>(step)], iddl::train::learning_rate(options, step, 7));
  EXPECT_EQ(engine.rows[6], 4);
  EXPECT_EQ(second.epoch, 2);
  EXPECT_EQ(second.train_loss, 2.0);
  EXPECT_EQ(engine.scored, (std::vector<int64_t>{256, 44, 256, 44}));  // chunks of max(batch, 256)
  EXPECT_EQ(second.test_loss, 0.5);
  EXPECT_EQ(second.test_accuracy, (128.0 + 22.0) / 300.0);
  driver.time_inference(128, 5);
  EXPECT_EQ(engine.inferred, 3 + 5);
}

TEST(EpochDriver, ARankWithoutAShardServesTheEpoch) {
  const auto data = synthetic(100, 300);
  Recorder engine;
  engine.part = std::nullopt;
  iddl::train::EpochDriver driver(engine, data, iddl::train::TrainOptions{}, torch::kCPU);
  driver.run_epoch(1);
  EXPECT_EQ(engine.served, 1);
  EXPECT_TRUE(engine.rates.empty());
  EXPECT_EQ(engine.scored.size(), 2u);
}

TEST(Trainer, MseLossTrains) {
  const auto data = synthetic(1024, 256);
  torch::manual_seed(1);
  auto model = iddl::models::make_model({"mlp", {64}}, {1, 28, 28, 10});
  model->set_loss(iddl::models::TrainingLoss("mse"));
  iddl::train::TrainOptions options;
  options.epochs = 3;
  options.batch_size = 32;
  options.lr = 0.5;
  Alone hooks;
  iddl::train::Trainer trainer(model, options, torch::kCPU, nullptr, hooks);
  iddl::train::EpochDriver driver(trainer, data, options, torch::kCPU);
  const auto first = driver.run_epoch(1);
  driver.run_epoch(2);
  const auto third = driver.run_epoch(3);
  EXPECT_LT(third.train_loss, first.train_loss);
  EXPECT_LT(third.test_loss, first.test_loss);
  EXPECT_LE(first.train_loss, 0.5);  // per sample: 1/2 |softmax - one_hot|^2 is at most 1
  EXPECT_GT(third.test_accuracy, 0.2);
}

// With the loss summed over the batch of B, lr / B and weight decay x B make the same SGD steps as the
// mean with lr and weight decay (seed 003's recipe, dawn.py); train_loss stays per sample.
TEST(Trainer, SummedLossWithLrOverBatchStepsLikeTheMean) {
  const auto data = synthetic(256, 64);
  auto train_once = [&](const char* reduction, double lr, double weight_decay) {
    torch::manual_seed(3);
    auto model = iddl::models::make_model({"mlp", {32}}, {1, 28, 28, 10});
    model->set_loss(iddl::models::TrainingLoss("cross_entropy", reduction));
    iddl::train::TrainOptions options;
    options.epochs = 1;
    options.batch_size = 16;  // divides the 256 samples: every batch has 16
    options.lr = lr;
    options.weight_decay = weight_decay;
    Alone hooks;
    iddl::train::Trainer trainer(model, options, torch::kCPU, nullptr, hooks);
    const auto result = iddl::train::EpochDriver(trainer, data, options, torch::kCPU).run_epoch(1);
    return std::make_pair(iddl::train::flatten_values(model->parameters()), result.train_loss);
  };
  const auto [mean_weights, mean_loss] = train_once("mean", 0.05, 5e-4);
  const auto [sum_weights, sum_loss] = train_once("sum", 0.05 / 16, 5e-4 * 16);
  EXPECT_TRUE(torch::allclose(sum_weights, mean_weights, 1e-4, 1e-5));
  EXPECT_NEAR(sum_loss, mean_loss, 1e-4 * mean_loss);
}

IDDL_ON_DEVICES(TrainerOn);
