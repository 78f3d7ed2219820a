#include <gtest/gtest.h>

#include "core/train/flat_tensors.hpp"
#include "core/train/trainer.hpp"

namespace {

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

TEST(Trainer, LearnsSyntheticDataWellAboveChance) {
  const auto data = synthetic(2048, 512);
  torch::manual_seed(1);
  auto model = iddl::models::make_model({"mlp", {64}}, {1, 28, 28, 10});
  iddl::train::TrainOptions options;
  options.epochs = 2;
  options.batch_size = 32;
  Alone hooks;
  iddl::train::Trainer trainer(model, data, options, torch::kCPU, nullptr, hooks);
  const auto first = trainer.run_epoch(1);
  const auto second = trainer.run_epoch(2);
  EXPECT_LT(second.train_loss, first.train_loss);
  EXPECT_GT(second.test_accuracy, 0.5);
  EXPECT_GT(second.epoch_time_s, 0.0);
  EXPECT_EQ(second.comm.bytes_sent, 0);
  const auto timing = trainer.time_inference(128, 10);
  EXPECT_GT(timing.inference_time_s, 0.0);
  EXPECT_GT(timing.latency_ms, 0.0);
}

TEST(Trainer, SameSeedGivesTheSameWeights) {
  const auto data = synthetic(256, 64);
  auto train_once = [&] {
    torch::manual_seed(3);
    auto model = iddl::models::make_model({"mlp", {32}}, {1, 28, 28, 10});
    iddl::train::TrainOptions options;
    options.epochs = 1;
    options.batch_size = 16;
    Alone hooks;
    iddl::train::Trainer trainer(model, data, options, torch::kCPU, nullptr, hooks);
    trainer.run_epoch(1);
    return iddl::train::flatten_values(model->parameters());
  };
  EXPECT_TRUE(torch::equal(train_once(), train_once()));
}
