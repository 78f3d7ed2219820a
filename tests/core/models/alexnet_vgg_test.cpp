// Seed 003's AlexNet and VGG-16 (sands-lab/layer-wise-aaai20, CIFAR10/alexnet.py and vgg16.py): parameters
// and FLOPs worked out by hand layer by layer, the shapes of their stages, dropout in train mode only, the
// seed's VGG initialisation, and what they do with 28x28 inputs.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <cmath>
#include <stdexcept>
#include <string>
#include <vector>

#include "core/models/layers.hpp"
#include "core/models/model.hpp"

namespace iddl::models {
namespace {

const InputShape kFashion{1, 28, 28, 10};
const InputShape kCifar{3, 32, 32, 10};

// Parameters of a 3x3 convolution with bias from `in` to `out` channels: in·out·3·3 weights + out biases.
int64_t conv_params(int64_t in, int64_t out) { return in * out * 3 * 3 + out; }

// FLOPs of that convolution producing `side`x`side` maps: (in·3·3 + 1 bias) per output element.
int64_t conv_flops(int64_t side, int64_t in, int64_t out) { return side * side * out * (in * 3 * 3 + 1); }

// FLOPs of a 2x2 max pool producing `side`x`side` maps of `channels`: 4 per output element.
int64_t pool_flops(int64_t side, int64_t channels) { return side * side * channels * 2 * 2; }

// A Linear layer with bias from `in` to `out`: in·out + out parameters, and as many FLOPs per sample.
int64_t linear(int64_t in, int64_t out) { return in * out + out; }

TEST(AlexNet, Cifar10FiguresByHand) {
  const int64_t convs = conv_params(3, 64)       // conv1:    1,792
                        + conv_params(64, 192)   // conv2:  110,784
                        + conv_params(192, 384)  // conv3:  663,936
                        + conv_params(384, 256)  // conv4:  884,992
                        + conv_params(256, 256);  // conv5: 590,080
  EXPECT_EQ(convs, 2251584);
  // The seed's classifier reads 256·2·2 features: 32 → conv1 at stride 2 (pad 1): (32 + 2 - 3)/2 + 1 = 16
  // → pool 8 → conv2 8 → pool 4 → conv3..conv5 4 → pool 2.
  const int64_t classifier = linear(256 * 2 * 2, 4096) + linear(4096, 4096) + linear(4096, 10);
  Model model = make_model({"alexnet", {}}, kCifar);
  EXPECT_EQ(count_parameters(*model), convs + classifier);
  EXPECT_EQ(convs + classifier, 23272266);

  const int64_t flops = conv_flops(16, 3, 64) + pool_flops(8, 64)       // conv1 at 16x16, pool to 8x8
                        + conv_flops(8, 64, 192) + pool_flops(4, 192)   // conv2 at 8x8, pool to 4x4
                        + conv_flops(4, 192, 384)                       // conv3 at 4x4
                        + conv_flops(4, 384, 256)                       // conv4
                        + conv_flops(4, 256, 256) + pool_flops(2, 256)  // conv5, pool to 2x2
                        + classifier;                                   // one row through fc1, fc2, out
  EXPECT_EQ(count_flops(*model, kCifar), flops);
  EXPECT_EQ(flops, 62826506);
}

TEST(AlexNet, FashionMnistWorksWithOnePixelLeft) {
  // 28 → conv1 at stride 2: (28 + 2 - 3)/2 + 1 = 14 → pool 7 → conv2 7 → pool 3 → conv3..conv5 3 → pool 1:
  // the classifier reads 256·1·1 features.
  const int64_t convs = conv_params(1, 64) + conv_params(64, 192) + conv_params(192, 384) + conv_params(384, 256) +
                        conv_params(256, 256);
  const int64_t classifier = linear(256, 4096) + linear(4096, 4096) + linear(4096, 10);
  Model model = make_model({"alexnet", {}}, kFashion);
  EXPECT_EQ(count_parameters(*model), convs + classifier);
  EXPECT_EQ(convs + classifier, 20125386);
  const int64_t flops = conv_flops(14, 1, 64) + pool_flops(7, 64) + conv_flops(7, 64, 192) + pool_flops(3, 192) +
                        conv_flops(3, 192, 384) + conv_flops(3, 384, 256) + conv_flops(3, 256, 256) +
                        pool_flops(1, 256) + classifier;
  EXPECT_EQ(count_flops(*model, kFashion), flops);
  EXPECT_EQ(flops, 42700362);
}

TEST(AlexNet, SidesBelow15AreRefused) {
  EXPECT_NO_THROW(make_model({"alexnet", {}}, {3, 15, 15, 10}));  // 15 → 8 → 4 → 2 → 1
  try {
    make_model({"alexnet", {}}, {3, 14, 14, 10});  // 14 → 7 → 3 → 1 → 0
    FAIL() << "expected std::invalid_argument";
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("alexnet"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("at least 15"), std::string::npos) << e.what();
  }
}

// VGG-16's thirteen convolutions (configuration "D"), with `in` input channels.
int64_t vgg16_conv_params(int64_t in) {
  return conv_params(in, 64) + conv_params(64, 64)                                 // block1
         + conv_params(64, 128) + conv_params(128, 128)                            // block2
         + conv_params(128, 256) + conv_params(256, 256) + conv_params(256, 256)   // block3
         + conv_params(256, 512) + conv_params(512, 512) + conv_params(512, 512)   // block4
         + conv_params(512, 512) + conv_params(512, 512) + conv_params(512, 512);  // block5
}

// One VGG-16 for 32x32 inputs shared by the tests (134M parameters take seconds to initialise), seeded.
StagedModel vgg16_cifar() {
  static const StagedModel model = [] {
    torch::manual_seed(5);
    return make_model({"vgg16", {}}, kCifar);
  }();
  return model;
}

// The classifier after the adaptive average pool to 7x7: 512·7·7 = 25,088 features.
const int64_t kVggClassifier = linear(512 * 7 * 7, 4096) + linear(4096, 4096) + linear(4096, 10);

TEST(Vgg16, Cifar10ParametersAreTorchvisionsWithTenClasses) {
  EXPECT_EQ(vgg16_conv_params(3), 14714688);  // torchvision's vgg16().features
  StagedModel model = vgg16_cifar();
  EXPECT_EQ(count_parameters(*model), vgg16_conv_params(3) + kVggClassifier);
  // torchvision's vgg16: 138,357,544 with 1000 classes, of which Linear(4096, 1000) holds 4,097,000.
  EXPECT_EQ(count_parameters(*model), 138357544 - linear(4096, 1000) + linear(4096, 10));
  EXPECT_EQ(count_parameters(*model), 134301514);
}

TEST(Vgg16, Cifar10FlopsByHand) {
  // Sides: block1 at 32, block2 at 16, block3 at 8, block4 at 4, block5 at 2; each block ends in a pool halving it.
  const int64_t flops = conv_flops(32, 3, 64) + conv_flops(32, 64, 64) + pool_flops(16, 64)         // block1
                        + conv_flops(16, 64, 128) + conv_flops(16, 128, 128) + pool_flops(8, 128)  // block2
                        + conv_flops(8, 128, 256) + 2 * conv_flops(8, 256, 256) + pool_flops(4, 256)  // block3
                        + conv_flops(4, 256, 512) + 2 * conv_flops(4, 512, 512) + pool_flops(2, 512)  // block4
                        + 3 * conv_flops(2, 512, 512) + pool_flops(1, 512)                            // block5
                        + 1 * 1 * 512        // adaptive average pool to 7x7: 1 per input element (512x1x1)
                        + kVggClassifier;    // one row through fc1, fc2, out
  EXPECT_EQ(count_flops(*vgg16_cifar(), kCifar), flops);
  EXPECT_EQ(flops, 433185290);
}

TEST(Vgg16, FashionMnistIsRefusedNamingTheLeastSide) {
  // 28 → 14 → 7 → 3 → 1 → 0 after the fifth pool.
  try {
    make_model({"vgg16", {}}, kFashion);
    FAIL() << "expected std::invalid_argument";
  } catch (const std::invalid_argument& e) {
    const std::string message = e.what();
    EXPECT_NE(message.find("vgg16"), std::string::npos) << message;
    EXPECT_NE(message.find("28"), std::string::npos) << message;
    EXPECT_NE(message.find("at least 32"), std::string::npos) << message;
  }
}

TEST(Vgg16, TheSeedsInitialisation) {
  const auto params = vgg16_cifar()->named_parameters();
  // Kaiming normal, fan-out, ReLU gain: std = sqrt(2 / (out · 3 · 3)) = sqrt(2 / 4608) for 512 outputs.
  const double conv_std = params["block5.conv1.conv.weight"].std().item<double>();
  EXPECT_NEAR(conv_std, std::sqrt(2.0 / (512 * 9)), 0.02 * std::sqrt(2.0 / (512 * 9)));
  EXPECT_NEAR(params["block5.conv1.conv.weight"].mean().item<double>(), 0.0, 1e-4);
  EXPECT_NEAR(params["fc2.linear.weight"].std().item<double>(), 0.01, 0.0002);
  for (const std::string bias : {"block1.conv1.conv.bias", "block5.conv3.conv.bias", "fc1.linear.bias", "out.linear.bias"})
    EXPECT_EQ(params[bias].abs().max().item<double>(), 0.0) << bias;
}

TEST(Vgg16, TheInitialisationKeepsMaskedWeightsAtZero) {
  // A quarter of the widths (ModelPart 0 of 4) keeps the test quick; the layers are the same.
  SparsityOptions sparsity;
  sparsity.method = "random";
  Model model = make_model({"vgg16", {}, sparsity, ModelPart{0, 4}}, kCifar);
  int64_t masked_layers = 0;
  for (const auto& module : model->modules(/*include_self=*/false)) {
    auto* conv = dynamic_cast<Conv2dImpl*>(module.get());
    if (conv == nullptr || !conv->mask.defined()) continue;
    ++masked_layers;
    EXPECT_EQ((conv->conv->weight * (1 - conv->mask)).abs().max().item<double>(), 0.0);
    EXPECT_GT(conv->conv->weight.abs().max().item<double>(), 0.0);
  }
  EXPECT_EQ(masked_layers, 12) << "every conv but the first";
  EXPECT_LT(count_parameters(*model), count_parameters(*make_model({"vgg16", {}, {}, ModelPart{0, 4}}, kCifar)));
}

// The [C, H, W] (or [F]) shape of each stage's output for one CIFAR sample.
std::vector<std::vector<int64_t>> stage_shapes(StagedModel model) {
  torch::NoGradGuard no_grad;
  model->eval();
  torch::Tensor x = torch::randn({2, 3, 32, 32});
  std::vector<std::vector<int64_t>> shapes;
  for (int64_t s = 0; s < model->stage_count(); ++s) {
    x = model->stage(s, x);
    shapes.push_back(x.sizes().slice(1).vec());
  }
  EXPECT_EQ(model->output(model->features(x)).sizes(), (std::vector<int64_t>{2, 10}));
  return shapes;
}

TEST(AlexNetVgg, SevenStagesWithTheirShapes) {
  EXPECT_EQ(stage_shapes(make_model({"alexnet", {}}, kCifar)), (std::vector<std::vector<int64_t>>{
                                         {64, 8, 8}, {192, 4, 4}, {384, 4, 4}, {256, 4, 4}, {256, 2, 2}, {4096}, {4096}}));
  EXPECT_EQ(stage_shapes(vgg16_cifar()), (std::vector<std::vector<int64_t>>{
                                       {64, 16, 16}, {128, 8, 8}, {256, 4, 4}, {512, 2, 2}, {512, 1, 1}, {4096}, {4096}}));
}

TEST(AlexNetVgg, EveryParameterGetsAGradient) {
  // One training step's backward reaches every layer: no layer is left out of the forward path.
  torch::manual_seed(6);
  for (const StagedModel& model : {make_model({"alexnet", {}}, kCifar), vgg16_cifar()}) {
    SCOPED_TRACE(model->name());
    model->train();
    model->zero_grad();
    const torch::Tensor labels = torch::tensor({1, 7}, torch::kInt64);
    torch::nn::functional::cross_entropy(model->forward(torch::randn({2, 3, 32, 32})), labels).backward();
    for (const auto& p : model->named_parameters()) {
      ASSERT_TRUE(p.value().grad().defined()) << p.key();
      EXPECT_GT(p.value().grad().abs().max().item<double>(), 0.0) << p.key();
    }
    model->zero_grad();
  }
}

TEST(AlexNetVgg, DropoutOnlyInTrainMode) {
  torch::manual_seed(3);
  for (const StagedModel& model : {make_model({"alexnet", {}}, kCifar), vgg16_cifar()}) {
    SCOPED_TRACE(model->name());
    const torch::Tensor x = torch::randn({2, 3, 32, 32});
    torch::NoGradGuard no_grad;
    model->train();
    EXPECT_FALSE(torch::equal(model->forward(x), model->forward(x))) << "fresh dropout masks each pass";
    torch::manual_seed(9);
    const torch::Tensor first = model->forward(x);
    torch::manual_seed(9);
    EXPECT_TRUE(torch::equal(first, model->forward(x))) << "the masks come from torch's generator";
    model->eval();
    EXPECT_TRUE(torch::equal(model->forward(x), model->forward(x)));
  }
}

TEST(AlexNetVgg, DropoutDropsHalfAndScalesTheRestByTwo) {
  // VGG's fc1 stage is dropout(relu(fc1(...))): in train mode each positive eval-mode output is either 0 or
  // doubled, about half of them each.
  torch::manual_seed(4);
  StagedModel model = vgg16_cifar();
  torch::NoGradGuard no_grad;
  model->eval();
  torch::Tensor x = torch::randn({2, 3, 32, 32});
  for (int64_t s = 0; s < 5; ++s) x = model->stage(s, x);
  const torch::Tensor eval_out = model->stage(5, x);
  model->train();
  const torch::Tensor train_out = model->stage(5, x);
  const torch::Tensor positive = eval_out > 0;
  ASSERT_GT(positive.sum().item<int64_t>(), 1000);
  const torch::Tensor kept = train_out.masked_select(positive) != 0;
  EXPECT_TRUE(torch::allclose(train_out.masked_select(positive).masked_select(kept),
                              2 * eval_out.masked_select(positive).masked_select(kept)));
  EXPECT_NEAR(kept.to(torch::kFloat64).mean().item<double>(), 0.5, 0.05);
  EXPECT_EQ(train_out.masked_select(~positive).abs().max().item<double>(), 0.0);
}

}  // namespace
}  // namespace iddl::models
