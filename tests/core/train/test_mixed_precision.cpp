// precision (fp32, bf16, fp16) and channels_last in the trainer (docs/gpu.md): bf16 autocast on the CPU trains
// about as well as fp32, fp16 is refused off CUDA, channels-last training matches the default format.
#include <gtest/gtest.h>

#include <ATen/autocast_mode.h>

#include <cmath>
#include <string>

#include "core/train/epoch_driver.hpp"
#include "core/train/flat_tensors.hpp"
#include "core/train/mixed_precision.hpp"
#include "core/train/trainer.hpp"

namespace {

// The model input of a data set's images.
iddl::models::InputShape shape_of(const iddl::data::Dataset& data) {
  return {data.shape.channels, data.shape.height, data.shape.width, data.shape.classes};
}

struct Alone : iddl::train::TrainingHooks {
  void on_start(torch::nn::Module&) override {}
  void after_backward(torch::nn::Module&, int64_t, int64_t) override {}
};

iddl::data::Dataset synthetic(const char* name, int64_t train, int64_t test) {
  iddl::data::DataOptions options;
  options.name = name;
  options.train_samples = train;
  options.test_samples = test;
  return iddl::data::load_dataset(options);
}

// The last epoch of `epochs` of `model` on `data` with `options` changed by `precision` and `channels_last`,
// and the trained weights.
struct Trained {
  iddl::train::EpochResult last;
  torch::Tensor weights;
};
Trained train(const iddl::data::Dataset& data, const iddl::models::ModelOptions& model_options, int64_t epochs,
              const std::string& precision, bool channels_last) {
  torch::manual_seed(5);
  auto model = iddl::models::make_model(model_options, shape_of(data));
  iddl::train::TrainOptions options;
  options.epochs = epochs;
  options.batch_size = 32;
  options.precision = precision;
  options.channels_last = channels_last;
  Alone hooks;
  iddl::train::Trainer trainer(model, options, torch::kCPU, nullptr, hooks);
  iddl::train::EpochDriver driver(trainer, data, options, torch::kCPU);
  Trained trained;
  for (int64_t epoch = 1; epoch <= epochs; ++epoch) trained.last = driver.run_epoch(epoch);
  trained.weights = iddl::train::flatten_values(model->parameters());
  return trained;
}

}  // namespace

TEST(MixedPrecision, AutocastTypeOfEachPrecision) {
  using iddl::train::autocast_type;
  EXPECT_FALSE(autocast_type("fp32", torch::kCPU).has_value());
  EXPECT_EQ(autocast_type("bf16", torch::kCPU), at::kBFloat16);
  EXPECT_EQ(autocast_type("bf16", torch::Device(torch::kCUDA, 0)), at::kBFloat16);
  EXPECT_EQ(autocast_type("fp16", torch::Device(torch::kCUDA, 0)), at::kHalf);
  EXPECT_THROW(autocast_type("fp8", torch::kCPU), std::invalid_argument);
}

TEST(MixedPrecision, Fp16IsRefusedOnTheCpuNamingBf16) {
  try {
    iddl::train::autocast_type("fp16", torch::kCPU);
    FAIL() << "fp16 on the CPU was accepted";
  } catch (const std::invalid_argument& error) {
    const std::string message = error.what();
    EXPECT_NE(message.find("precision = \"fp16\" needs CUDA"), std::string::npos) << message;
    EXPECT_NE(message.find("trains on the cpu"), std::string::npos) << message;
    EXPECT_NE(message.find("bf16"), std::string::npos) << message;
  }
  auto model = iddl::models::make_model({"mlp", {8}}, {1, 28, 28, 10});
  iddl::train::TrainOptions options;
  options.precision = "fp16";
  Alone hooks;
  EXPECT_THROW(iddl::train::Trainer(model, options, torch::kCPU, nullptr, hooks), std::invalid_argument);
}

TEST(MixedPrecision, TheGuardAutocastsMatrixProductsOnTheCpuForItsScopeOnly) {
  const torch::Tensor a = torch::randn({4, 8}), b = torch::randn({8, 3});
  {
    const iddl::train::AutocastGuard guard(at::kBFloat16, torch::kCPU);
    EXPECT_TRUE(at::autocast::is_cpu_enabled());
    EXPECT_EQ(torch::mm(a, b).scalar_type(), at::kBFloat16);
  }
  EXPECT_FALSE(at::autocast::is_cpu_enabled());
  EXPECT_EQ(torch::mm(a, b).scalar_type(), at::kFloat);
  const iddl::train::AutocastGuard none(std::nullopt, torch::kCPU);  // fp32: nothing changes
  EXPECT_EQ(torch::mm(a, b).scalar_type(), at::kFloat);
}

TEST(MixedPrecision, Bf16TrainsASmallModelAboutAsWellAsFp32) {
  const auto data = synthetic("synthetic", 1024, 512);
  const Trained fp32 = train(data, {"mlp", {64}}, 2, "fp32", false);
  const Trained bf16 = train(data, {"mlp", {64}}, 2, "bf16", false);
  EXPECT_TRUE(std::isfinite(bf16.last.train_loss));
  EXPECT_TRUE(std::isfinite(bf16.last.test_loss));
  EXPECT_EQ(bf16.weights.scalar_type(), at::kFloat);  // the weights stay float32, only the forward pass is bf16
  EXPECT_FALSE(torch::equal(bf16.weights, fp32.weights));  // it did compute in bf16
  EXPECT_GT(bf16.last.test_accuracy, 0.5);
  EXPECT_NEAR(bf16.last.test_accuracy, fp32.last.test_accuracy, 0.05);
  EXPECT_NEAR(bf16.last.train_loss, fp32.last.train_loss, 0.1 * fp32.last.train_loss + 0.02);
}

TEST(MixedPrecision, ChannelsLastTrainsAConvolutionalModelLikeTheDefaultFormat) {
  const auto data = synthetic("synthetic", 256, 128);
  const Trained standard = train(data, {"lenet", {}}, 1, "fp32", false);
  const Trained last = train(data, {"lenet", {}}, 1, "fp32", true);
  EXPECT_TRUE(torch::allclose(last.weights, standard.weights, 1e-3, 1e-4));
  EXPECT_NEAR(last.last.train_loss, standard.last.train_loss, 1e-4 * standard.last.train_loss);
  EXPECT_NEAR(last.last.test_accuracy, standard.last.test_accuracy, 2.0 / 128);
}

TEST(MixedPrecision, ChannelsLastPutsTheConvolutionWeightsInThatFormat) {
  auto model = iddl::models::make_model({"lenet", {}}, {1, 28, 28, 10});
  iddl::train::TrainOptions options;
  options.channels_last = true;
  Alone hooks;
  iddl::train::Trainer trainer(model, options, torch::kCPU, nullptr, hooks);
  int convolutions = 0;
  for (const torch::Tensor& parameter : model->parameters())
    if (parameter.dim() == 4) {
      ++convolutions;
      EXPECT_TRUE(parameter.is_contiguous(torch::MemoryFormat::ChannelsLast));
      // over several input channels the formats differ (over one they are the same)
      if (parameter.size(1) > 1) {
        EXPECT_FALSE(parameter.is_contiguous());
      }
    }
  EXPECT_EQ(convolutions, 2);
}
