// Networks cut by width (ModelPart, the vertical axis): hidden shares worked out by hand, the output
// bias on one part only, the staged decomposition forward = output(features(stages)) of every model,
// and the errors of a part outside its count.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <map>
#include <stdexcept>
#include <string>
#include <vector>

#include "core/models/model.hpp"
#include "core/models/sparsification.hpp"

namespace iddl::models {
namespace {

const InputShape kFashion{1, 28, 28, 10};
const InputShape kCifar{3, 32, 32, 10};

// The shapes of a model's parameters by name.
std::map<std::string, std::vector<int64_t>> shapes(ModelImpl& model) {
  std::map<std::string, std::vector<int64_t>> out;
  for (const auto& item : model.named_parameters()) out[item.key()] = item.value().sizes().vec();
  return out;
}

StagedModel mlp_part(int64_t index, int64_t count, bool output_bias = true) {
  return make_model({"mlp", {112, 56}, {}, ModelPart{index, count, output_bias}}, kFashion);
}

TEST(models_parts, MlpHalvesHaveHalfTheHiddenWidths) {
  for (int64_t index = 0; index < 2; ++index) {
    StagedModel part = mlp_part(index, 2);
    const auto s = shapes(*part);
    ASSERT_EQ(s.size(), 6u) << "fc1, fc2, out: weights and biases";
    EXPECT_EQ(s.at("fc1.linear.weight"), (std::vector<int64_t>{56, 784}));
    EXPECT_EQ(s.at("fc1.linear.bias"), (std::vector<int64_t>{56}));
    EXPECT_EQ(s.at("fc2.linear.weight"), (std::vector<int64_t>{28, 56}));
    EXPECT_EQ(s.at("fc2.linear.bias"), (std::vector<int64_t>{28}));
    EXPECT_EQ(s.at("out.linear.weight"), (std::vector<int64_t>{10, 28}));
    EXPECT_EQ(s.at("out.linear.bias"), (std::vector<int64_t>{10}));
    EXPECT_EQ(part->forward(torch::randn({3, 1, 28, 28})).sizes(), (std::vector<int64_t>{3, 10}));
  }
}

TEST(models_parts, ThirdsSumExactlyToTheFullWidths) {
  // 112: 37, 37, 38; 56: 18, 19, 19 (w*(i+1)/3 - w*i/3).
  const std::vector<int64_t> fc1{37, 37, 38}, fc2{18, 19, 19};
  int64_t sum1 = 0, sum2 = 0;
  for (int64_t index = 0; index < 3; ++index) {
    EXPECT_EQ(LayerFactory({}, ModelPart{index, 3}).width(112), fc1[index]);
    EXPECT_EQ(LayerFactory({}, ModelPart{index, 3}).width(56), fc2[index]);
    const auto s = shapes(*mlp_part(index, 3));
    EXPECT_EQ(s.at("fc1.linear.weight"), (std::vector<int64_t>{fc1[index], 784}));
    EXPECT_EQ(s.at("fc2.linear.weight"), (std::vector<int64_t>{fc2[index], fc1[index]}));
    EXPECT_EQ(s.at("out.linear.weight"), (std::vector<int64_t>{10, fc2[index]}));
    sum1 += s.at("fc1.linear.weight")[0];
    sum2 += s.at("fc2.linear.weight")[0];
  }
  EXPECT_EQ(sum1, 112);
  EXPECT_EQ(sum2, 56);
  // A whole model is part 0 of 1; a share is never below 1.
  EXPECT_EQ(LayerFactory({}, ModelPart{0, 1}).width(112), 112);
  EXPECT_EQ(LayerFactory({}, ModelPart{0, 4}).width(2), 1);
}

TEST(models_parts, OutputBiasOnOnePartOnly) {
  StagedModel with_bias = mlp_part(0, 2, true);
  StagedModel without_bias = mlp_part(1, 2, false);
  const auto s = shapes(*without_bias);
  EXPECT_EQ(s.count("out.linear.bias"), 0u);
  EXPECT_EQ(s.count("out.linear.weight"), 1u);
  EXPECT_EQ(s.count("fc1.linear.bias"), 1u);  // hidden layers keep theirs
  EXPECT_EQ(s.count("fc2.linear.bias"), 1u);
  // One part, by hand: 784*56 + 56 + 56*28 + 28 + 28*10 (+ 10 with the output bias).
  const int64_t half = 784 * 56 + 56 + 56 * 28 + 28 + 28 * 10;
  EXPECT_EQ(count_parameters(*without_bias), half);
  EXPECT_EQ(count_parameters(*with_bias), half + 10);
  // The two parts: the full first layer, half the full 112x56 block (2 * 56*28), the full output layer and one bias.
  const int64_t hand = 784 * 112 + 112 + 2 * 56 * 28 + 56 + 56 * 10 + 10;
  EXPECT_EQ(hand, 91682);
  EXPECT_EQ(count_parameters(*with_bias) + count_parameters(*without_bias), hand);
  EXPECT_EQ(count_parameters(*mlp_part(0, 2, false)) + count_parameters(*without_bias) + 10, hand);
  // FLOPs: the output layer without bias reports 28*10 only.
  EXPECT_EQ(count_flops(*without_bias, kFashion), half);
}

struct Case {
  std::string name;
  InputShape shape;
  int64_t stages;
};

// forward(x) == output(features(stage_{n-1}(... stage_0(x)))) in eval and in train mode.
void check_decomposition(const Case& c) {
  SCOPED_TRACE(c.name + " on " + std::to_string(c.shape.channels) + "x" + std::to_string(c.shape.height));
  torch::manual_seed(7);
  StagedModel model = make_model({c.name, {48, 24}}, c.shape);
  EXPECT_EQ(model->stage_count(), c.stages);
  const torch::Tensor x = torch::randn({2, c.shape.channels, c.shape.height, c.shape.width});
  torch::NoGradGuard no_grad;
  for (const bool train : {false, true}) {
    model->train(train);
    torch::Tensor h = x;
    torch::manual_seed(11);  // the same dropout masks in both passes (AlexNet, VGG-16)
    for (int64_t i = 0; i < model->stage_count(); ++i) h = model->stage(i, h);
    const torch::Tensor staged = model->output(model->features(h));
    torch::manual_seed(11);
    const torch::Tensor direct = model->forward(x);
    ASSERT_EQ(staged.sizes(), (std::vector<int64_t>{2, 10}));
    EXPECT_TRUE(torch::equal(direct, staged)) << (train ? "train" : "eval") << " max diff "
                                              << (direct - staged).abs().max().item<double>();
  }
}

TEST(models_parts, EveryModelIsItsStagesThenItsHead) {
  // MLP: one stage per hidden layer; LeNet 4; ResNet-9 4; ResNet-18 5; AlexNet 7; VGG-16 7 (32x32 only).
  for (const InputShape& shape : {kFashion, kCifar}) {
    check_decomposition({"mlp", shape, 2});
    check_decomposition({"lenet", shape, 4});
    check_decomposition({"resnet9", shape, 4});
    check_decomposition({"resnet18", shape, 5});
    check_decomposition({"alexnet", shape, 7});
  }
  check_decomposition({"vgg16", kCifar, 7});
  EXPECT_EQ(make_model({"mlp", {}}, kFashion)->stage_count(), 0);
  EXPECT_EQ(make_model({"mlp", {8, 8, 8}}, kFashion)->stage_count(), 3);
}

TEST(models_parts, PartsOfCnnsKeepTheirStagesAndClasses) {
  torch::NoGradGuard no_grad;
  for (const std::string name : {"lenet", "resnet9", "resnet18", "alexnet", "vgg16"}) {
    StagedModel part = make_model({name, {}, {}, ModelPart{1, 2, false}}, kCifar);
    part->eval();
    EXPECT_EQ(part->forward(torch::randn({1, 3, 32, 32})).sizes(), (std::vector<int64_t>{1, 10})) << name;
  }
  // LeNet halves: conv1 3 of 6 channels, conv2 8 of 16, fc1 60 of 120, fc2 42 of 84.
  const auto s = shapes(*make_model({"lenet", {}, {}, ModelPart{0, 2}}, kCifar));
  EXPECT_EQ(s.at("conv1.conv.weight"), (std::vector<int64_t>{3, 3, 5, 5}));
  EXPECT_EQ(s.at("conv2.conv.weight"), (std::vector<int64_t>{8, 3, 5, 5}));
  EXPECT_EQ(s.at("fc1.linear.weight"), (std::vector<int64_t>{60, 8 * 5 * 5}));
  EXPECT_EQ(s.at("fc2.linear.weight"), (std::vector<int64_t>{42, 60}));
  EXPECT_EQ(s.at("out.linear.weight"), (std::vector<int64_t>{10, 42}));
  // AlexNet halves: conv1 32 of 64 channels, conv5 128 of 256 on 2x2 maps, so fc1 reads 128·2·2 features into 2048.
  const auto a = shapes(*make_model({"alexnet", {}, {}, ModelPart{0, 2}}, kCifar));
  EXPECT_EQ(a.at("conv1.conv.weight"), (std::vector<int64_t>{32, 3, 3, 3}));
  EXPECT_EQ(a.at("fc1.linear.weight"), (std::vector<int64_t>{2048, 128 * 2 * 2}));
  EXPECT_EQ(a.at("out.linear.weight"), (std::vector<int64_t>{10, 2048}));
}

TEST(models_parts, PartOutsideItsCountThrows) {
  for (const ModelPart part : {ModelPart{2, 2}, ModelPart{-1, 2}, ModelPart{0, 0}, ModelPart{5, 3}}) {
    EXPECT_THROW(make_model({"mlp", {112, 56}, {}, part}, kFashion), std::invalid_argument)
        << part.index << " of " << part.count;
    EXPECT_THROW(make_model({"resnet9", {}, {}, part}, kCifar), std::invalid_argument);
    EXPECT_THROW(LayerFactory({}, part), std::invalid_argument);
  }
  EXPECT_NO_THROW(make_model({"mlp", {112, 56}, {}, ModelPart{2, 3}}, kFashion));
}

}  // namespace
}  // namespace iddl::models
