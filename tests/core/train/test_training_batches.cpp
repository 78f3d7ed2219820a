// What the epoch driver hands to its engine: training batches augmented with their batch's draws (the test set
// never), the same ones for the same seed, and a global batch split over the shards.
#include <gtest/gtest.h>

#include <optional>
#include <vector>

#include "core/data/augmentation.hpp"
#include "core/train/epoch_driver.hpp"
#include "core/train/epoch_order.hpp"

namespace {

using iddl::train::Shard;
using iddl::train::StepLoss;

// A step engine of one rank that keeps every batch it is given.
struct BatchRecorder : iddl::train::StepEngine {
  Shard part;
  std::vector<torch::Tensor> trained, scored;
  std::vector<int64_t> global_samples;

  std::optional<Shard> shard() const override { return part; }
  void set_learning_rate(double) override {}
  StepLoss train_step(const torch::Tensor& x, const torch::Tensor&, int64_t global) override {
    trained.push_back(x.clone());
    global_samples.push_back(global);
    return {static_cast<double>(x.size(0)), x.size(0)};
  }
  void score(const torch::Tensor& x, const torch::Tensor&, iddl::models::TestSums& sums) override {
    scored.push_back(x.clone());
    sums.samples += static_cast<double>(x.size(0));
  }
  void infer(const torch::Tensor&) override {}
  iddl::comm::CommStats take_stats() override { return {}; }
  iddl::comm::Communicator* loss_ranks() override { return nullptr; }
  iddl::comm::Communicator* evaluation_ranks() override { return nullptr; }
};

iddl::data::Dataset synthetic_cifar() {
  iddl::data::DataOptions options;
  options.name = "synthetic-cifar";
  options.train_samples = 64;
  options.test_samples = 40;
  return iddl::data::load_dataset(options);
}

iddl::train::TrainOptions augmented(uint64_t seed) {
  iddl::train::TrainOptions options;
  options.batch_size = 16;
  options.seed = seed;
  options.augment.method = "crop_flip";
  options.augment.cutout = 8;
  return options;
}

// The batches one epoch of `options` trains on.
std::vector<torch::Tensor> trained_batches(const iddl::data::Dataset& data, const iddl::train::TrainOptions& options) {
  BatchRecorder engine;
  iddl::train::EpochDriver(engine, data, options, torch::kCPU).run_epoch(1);
  return engine.trained;
}

bool same_batches(const std::vector<torch::Tensor>& a, const std::vector<torch::Tensor>& b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i)
    if (!torch::equal(a[i], b[i])) return false;
  return true;
}

}  // namespace

TEST(TrainingBatches, AreAugmentedWithTheirBatchsDrawsAndTestBatchesNever) {
  const auto data = synthetic_cifar();
  const iddl::train::TrainOptions options = augmented(5);
  BatchRecorder engine;
  iddl::train::EpochDriver driver(engine, data, options, torch::kCPU);
  driver.run_epoch(3);
  const iddl::train::EpochOrder order(64, 16, 0, 1, 5, 3);
  ASSERT_EQ(engine.trained.size(), 4u);
  for (int64_t b = 0; b < 4; ++b) {
    const torch::Tensor raw =
        data.train.images.index_select(0, torch::tensor(order.local_indices(b), torch::kInt64));
    const torch::Tensor expected = iddl::data::augment_batch(raw, options.augment, {5, 0, 3, b});
    EXPECT_TRUE(torch::equal(engine.trained[static_cast<size_t>(b)], expected)) << "step " << b;
    EXPECT_FALSE(torch::equal(engine.trained[static_cast<size_t>(b)], raw)) << "step " << b;
  }
  EXPECT_TRUE(torch::equal(torch::cat(engine.scored), data.test.images)) << "the test set as it is";
}

TEST(TrainingBatches, AreTheSameForTheSameSeed) {
  const auto data = synthetic_cifar();
  EXPECT_TRUE(same_batches(trained_batches(data, augmented(5)), trained_batches(data, augmented(5))));
  iddl::train::TrainOptions plain = augmented(5);
  plain.augment = iddl::data::AugmentOptions{};
  EXPECT_FALSE(same_batches(trained_batches(data, augmented(5)), trained_batches(data, plain)));
}

TEST(TrainingBatches, AGlobalBatchIsSplitOverTheShards) {
  const auto data = synthetic_cifar();
  iddl::train::TrainOptions options;
  options.batch_size = 10;
  options.batch_scope = "global";
  for (int index = 0; index < 3; ++index) {
    BatchRecorder engine;
    engine.part = Shard{index, 3};
    iddl::train::EpochDriver(engine, data, options, torch::kCPU).run_epoch(1);
    ASSERT_EQ(engine.trained.size(), 7u) << "ceil(64 / 10) steps";
    EXPECT_EQ(engine.trained[0].size(0), index == 0 ? 4 : 3) << "10 = 4 + 3 + 3";
    EXPECT_EQ(engine.global_samples.front(), 10);
    EXPECT_EQ(engine.global_samples.back(), 4);
    EXPECT_EQ(engine.trained.back().size(0), index == 0 ? 4 : 0);
  }
}
