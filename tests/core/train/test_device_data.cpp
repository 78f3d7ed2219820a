// Where the epoch driver cuts its batches (core/train/device_data.hpp) and how it adds up the training loss:
// the placement rule; on the CPU batches and weights bit-identical to the loop before (host tensors indexed
// directly, the loss read per step), train_loss equal; on CUDA, where present, the placed batches equal.
#include <gtest/gtest.h>

#include <vector>

#include "core/train/device_data.hpp"
#include "core/train/epoch_driver.hpp"
#include "core/train/flat_tensors.hpp"
#include "core/train/lr_schedule.hpp"
#include "core/train/trainer.hpp"

namespace {

// The model input of a data set's images.
iddl::models::InputShape shape_of(const iddl::data::Dataset& data) {
  return {data.shape.channels, data.shape.height, data.shape.width, data.shape.classes};
}

using iddl::train::DataPlacement;
using iddl::train::data_placement;

struct Alone : iddl::train::TrainingHooks {
  void on_start(torch::nn::Module&) override {}
  void after_backward(torch::nn::Module&, int64_t, int64_t) override {}
};

iddl::data::Dataset synthetic(int64_t train, int64_t test, const char* name = "synthetic-cifar") {
  iddl::data::DataOptions options;
  options.name = name;
  options.train_samples = train;
  options.test_samples = test;
  return iddl::data::load_dataset(options);
}

constexpr int64_t kMB = 1024 * 1024;

}  // namespace

TEST(DevicePlacement, CpuRunsUseTheHostTensorsWhateverTheBudget) {
  EXPECT_EQ(data_placement(torch::kCPU, 1, 1024), DataPlacement::Host);
  EXPECT_EQ(data_placement(torch::kCPU, 4096 * kMB, 1024), DataPlacement::Host);
  EXPECT_EQ(data_placement(torch::kCPU, 1, 0), DataPlacement::Host);
}

TEST(DevicePlacement, CudaRunsKeepADataSetThatFitsOnTheGpuElsePinned) {
  const torch::Device gpu(torch::kCUDA, 0);
  const int64_t cifar10 = (50000 + 10000) * 3 * 32 * 32 * 4 + (50000 + 10000) * 8;  // float32 images, int64 labels
  EXPECT_EQ(data_placement(gpu, cifar10, 1024), DataPlacement::Device);  // about 740 MB
  EXPECT_EQ(data_placement(gpu, cifar10, 512), DataPlacement::Pinned);
  EXPECT_EQ(data_placement(gpu, 1024 * kMB, 1024), DataPlacement::Device);
  EXPECT_EQ(data_placement(gpu, 1024 * kMB + 1, 1024), DataPlacement::Pinned);
  EXPECT_EQ(data_placement(gpu, 1, 0), DataPlacement::Pinned);  // 0: never on the GPU
  const auto data = synthetic(100, 20);
  EXPECT_EQ(iddl::train::dataset_bytes(data), 120 * 3 * 32 * 32 * 4 + 120 * 8);
}

TEST(DevicePlacement, CpuBatchesAreTheHostRowsThemselves) {
  const auto data = synthetic(64, 40);
  const iddl::train::DeviceData placed(data, torch::kCPU, 1024);
  EXPECT_EQ(placed.placement(), DataPlacement::Host);
  const torch::Tensor rows = torch::tensor({5, 0, 63, 5}, torch::kInt64);
  const auto batch = placed.train_rows(rows);
  EXPECT_TRUE(torch::equal(batch.images, data.train.images.index_select(0, rows)));
  EXPECT_TRUE(torch::equal(batch.labels, data.train.labels.index_select(0, rows)));
  const auto test = placed.test_slice(10, 30);
  EXPECT_EQ(test.images.data_ptr(), data.test.images.slice(0, 10, 30).data_ptr());  // no copy on the CPU
  EXPECT_TRUE(torch::equal(test.labels, data.test.labels.slice(0, 10, 30)));
}

// The epoch as the driver ran it before batches were placed and the loss summed on the device: rows of
// the host tensors, augmented, and each step's loss read on the host at once.
TEST(DevicePlacement, CpuEpochsAreBitIdenticalToTheLoopThatReadTheLossEveryStep) {
  const auto data = synthetic(200, 50, "synthetic");
  iddl::train::TrainOptions options;
  options.batch_size = 32;
  options.augment.method = "crop_flip";
  options.schedule = "cosine";
  options.warmup_epochs = 0;
  auto model_at_seed = [&] {
    torch::manual_seed(11);
    return iddl::models::make_model({"lenet", {}}, shape_of(data));
  };
  Alone hooks_a, hooks_b;
  auto driven_model = model_at_seed();
  iddl::train::Trainer driven(driven_model, options, torch::kCPU, nullptr, hooks_a);
  iddl::train::EpochDriver driver(driven, data, options, torch::kCPU);
  auto reference_model = model_at_seed();
  iddl::train::Trainer reference(reference_model, options, torch::kCPU, nullptr, hooks_b);

  for (int64_t epoch = 1; epoch <= 2; ++epoch) {
    const auto result = driver.run_epoch(epoch);
    reference.start_epoch();
    const iddl::train::EpochOrder order(200, options.batch_size, 0, 1, options.seed, epoch);
    double sum = 0.0;
    int64_t samples = 0;
    for (int64_t batch = 0; batch < order.batches(); ++batch) {
      const int64_t step = (epoch - 1) * order.batches() + batch;
      reference.set_learning_rate(iddl::train::learning_rate(options, step, order.batches()));
      const torch::Tensor rows = torch::tensor(order.local_indices(batch), torch::kInt64);
      const iddl::data::BatchKey key{options.seed, 0, epoch, batch};
      const torch::Tensor x = iddl::data::augment_batch(data.train.images.index_select(0, rows), options.augment, key);
      const auto loss = reference.train_step(x, data.train.labels.index_select(0, rows), order.global_size(batch));
      sum += loss.device_sum.item<double>();  // read every step, as before
      samples += loss.samples;
    }
    reference.end_epoch();
    EXPECT_TRUE(torch::equal(iddl::train::flatten_values(driven_model->parameters()),
                             iddl::train::flatten_values(reference_model->parameters())))
        << "epoch " << epoch;
    EXPECT_DOUBLE_EQ(result.train_loss, sum / static_cast<double>(samples)) << "epoch " << epoch;
    EXPECT_NEAR(result.train_loss, sum / static_cast<double>(samples), 1e-12 * result.train_loss);
  }
}

TEST(DevicePlacement, CudaBatchesEqualTheHostRowsOnEitherPlacement) {
  if (!torch::cuda::is_available())
    GTEST_SKIP() << "no CUDA device visible to this LibTorch (CPU-only build or no GPU)";
  const auto data = synthetic(64, 40);
  const torch::Device gpu(torch::kCUDA, 0);
  const torch::Tensor rows = torch::tensor({5, 0, 63, 5}, torch::kInt64);
  for (const int64_t budget : {int64_t{1024}, int64_t{0}}) {
    const iddl::train::DeviceData placed(data, gpu, budget);
    EXPECT_EQ(placed.placement(), budget > 0 ? DataPlacement::Device : DataPlacement::Pinned);
    const auto batch = placed.train_rows(rows);
    EXPECT_TRUE(batch.images.is_cuda());
    EXPECT_TRUE(torch::equal(batch.images.cpu(), data.train.images.index_select(0, rows)));
    EXPECT_TRUE(torch::equal(batch.labels.cpu(), data.train.labels.index_select(0, rows)));
    const auto test = placed.test_slice(10, 30);
    EXPECT_TRUE(test.images.is_cuda());
    EXPECT_TRUE(torch::equal(test.images.cpu(), data.test.images.slice(0, 10, 30)));
  }
}
