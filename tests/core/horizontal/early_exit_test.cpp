// Early exits (BranchyNet) on an MLP 784-112-56-10 with one branch after stage 1: FLOPs per exit by
// hand, the real early-exit forward against the branch and backbone computed by hand, score()'s
// accounting against cross-entropy of that forward, the training loss's weighting, and the errors.
// Seed 000's branches (conv_linear, detached training) on LeNet and ResNet-18: the trunk's gradients
// those of the backbone alone, the conv branch's parameters and FLOPs by hand, one exit computed alone.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <stdexcept>
#include <string>
#include <vector>

#include "core/horizontal/early_exit_model.hpp"
#include "core/models/model.hpp"

namespace iddl::horizontal {
namespace {

namespace F = torch::nn::functional;
using models::InputShape;
using models::TestSums;

const InputShape kFashion{1, 28, 28, 10};
const InputShape kCifar{3, 32, 32, 10};
constexpr int64_t kBatch = 64;

// MLP 784-112-56-10 (seed 11) with the exits and options given.
std::shared_ptr<EarlyExitModelImpl> make_early_exit(std::vector<int64_t> exits = {1}, double branch_weight = 1.0,
                                                    double threshold = 0.9) {
  torch::manual_seed(11);
  EarlyExitOptions options;
  options.exits = std::move(exits);
  options.branch_weight = branch_weight;
  options.threshold = threshold;
  return std::make_shared<EarlyExitModelImpl>(models::make_model({"mlp", {112, 56}}, kFashion), options, kFashion);
}

// One parameter by name.
torch::Tensor parameter(torch::nn::Module& module, const std::string& name) {
  for (const auto& item : module.named_parameters())
    if (item.key() == name) return item.value();
  ADD_FAILURE() << "no parameter " << name;
  return {};
}

// Branch 1's logits, by hand: its Linear layer on relu(fc1(x)).
torch::Tensor branch1_logits(EarlyExitModelImpl& model, const torch::Tensor& x) {
  const torch::Tensor h = model.backbone().stage(0, x);
  return F::linear(h, parameter(model, "exit1.linear.linear.weight"), parameter(model, "exit1.linear.linear.bias"));
}

// The backbone's logits (no branch).
torch::Tensor backbone_logits(EarlyExitModelImpl& model, const torch::Tensor& x) { return model.backbone().forward(x); }

// Each sample's top softmax probability.
torch::Tensor confidence(const torch::Tensor& logits) { return std::get<0>(torch::softmax(logits, 1).max(1)); }

struct Batch {
  torch::Tensor x, y;
};

Batch random_batch() {
  torch::manual_seed(5);
  return {torch::randn({kBatch, 1, 28, 28}), torch::randint(0, 10, {kBatch}, torch::kInt64)};
}

TestSums scored(EarlyExitModelImpl& model, const Batch& b) {
  TestSums sums;
  model.score(b.x, b.y, sums);
  return sums;
}

double summed_ce(const torch::Tensor& logits, const torch::Tensor& y) {
  return F::cross_entropy(logits, y, F::CrossEntropyFuncOptions().reduction(torch::kSum)).item<double>();
}

double correct(const torch::Tensor& logits, const torch::Tensor& y) {
  return logits.argmax(1).eq(y).sum().item<double>();
}

constexpr int64_t kExit1 = 784 * 112 + 112 + 112 * 10 + 10;
constexpr int64_t kExit2 = kExit1 + 112 * 56 + 56 + 56 * 10 + 10;
constexpr int64_t kBaseline = 784 * 112 + 112 + 112 * 56 + 56 + 56 * 10 + 10;

TEST(horizontal_early_exit, ExitFlopsByHand) {
  auto model = make_early_exit();
  EXPECT_EQ(model->exit_flops(), (std::vector<int64_t>{kExit1, kExit2}));
  EXPECT_EQ(model->baseline_flops(), kBaseline);
  EXPECT_EQ(kExit2 - kBaseline, 112 * 10 + 10);  // the last exit pays for the branch it passed
  // The branch adds its Linear layer's parameters.
  EXPECT_EQ(models::count_parameters(*model), 94818 + 112 * 10 + 10);
  EXPECT_TRUE(model->is_training());  // measuring the FLOPs keeps the mode
}

TEST(horizontal_early_exit, ThresholdOneKeepsEverySampleOnTheBackbone) {
  auto model = make_early_exit({1}, 1.0, 1.0);
  model->eval();
  torch::NoGradGuard no_grad;
  const Batch b = random_batch();
  const torch::Tensor backbone = backbone_logits(*model, b.x);
  ASSERT_TRUE(confidence(branch1_logits(*model, b.x)).lt(1.0).all().item<bool>());
  const torch::Tensor logits = model->forward(b.x);
  EXPECT_TRUE(torch::allclose(logits, backbone, 1e-5, 1e-6));
  const TestSums sums = scored(*model, b);
  EXPECT_EQ(sums.samples, kBatch);
  EXPECT_EQ(sums.extra.at("exit_fraction.1"), 0.0);
  EXPECT_EQ(sums.extra.at("exit_fraction.2"), kBatch);
  EXPECT_DOUBLE_EQ(sums.extra.at("mean_inference_flops"), static_cast<double>(kBatch * kExit2));
  EXPECT_NEAR(sums.loss, summed_ce(backbone, b.y), 1e-3);
  EXPECT_EQ(sums.correct, correct(backbone, b.y));
  // An untrained sample crosses the whole network and the branch: count_flops sees the real path.
  EXPECT_EQ(models::count_flops(*model, kFashion), kExit2);
}

TEST(horizontal_early_exit, TinyThresholdSendsEverySampleOutAtExitOne) {
  auto model = make_early_exit({1}, 1.0, 1e-6);
  model->eval();
  torch::NoGradGuard no_grad;
  const Batch b = random_batch();
  const torch::Tensor branch = branch1_logits(*model, b.x);
  const torch::Tensor logits = model->forward(b.x);
  EXPECT_TRUE(torch::allclose(logits, branch, 1e-5, 1e-6));
  EXPECT_FALSE(torch::allclose(logits, backbone_logits(*model, b.x)));
  const TestSums sums = scored(*model, b);
  EXPECT_EQ(sums.extra.at("exit_fraction.1"), kBatch);
  EXPECT_EQ(sums.extra.at("exit_fraction.2"), 0.0);
  EXPECT_DOUBLE_EQ(sums.extra.at("mean_inference_flops"), static_cast<double>(kBatch * kExit1));
  EXPECT_EQ(sums.correct, correct(logits, b.y));
  EXPECT_NEAR(sums.loss, summed_ce(logits, b.y), 1e-3);
  // Every exit's accuracy is counted over all samples, taken or not.
  EXPECT_EQ(sums.extra.at("exit_accuracy.1"), correct(branch, b.y));
  EXPECT_EQ(sums.extra.at("exit_accuracy.2"), correct(backbone_logits(*model, b.x), b.y));
  // One sample leaving at exit 1 costs only the first stage and the branch.
  EXPECT_EQ(models::count_flops(*model, kFashion), kExit1);
}

TEST(horizontal_early_exit, IntermediateThresholdSplitsTheBatchAndScoreAgreesWithForward) {
  auto probe = make_early_exit();
  torch::NoGradGuard no_grad;
  probe->eval();
  const Batch b = random_batch();
  // The threshold: the middle of the widest gap between consecutive confidences of branch 1 in the
  // middle half of the batch (away from rounding differences between batch sizes).
  const torch::Tensor sorted = std::get<0>(confidence(branch1_logits(*probe, b.x)).sort());
  int64_t at = kBatch / 4;
  for (int64_t i = kBatch / 4; i < 3 * kBatch / 4; ++i)
    if ((sorted[i + 1] - sorted[i]).item<double>() > (sorted[at + 1] - sorted[at]).item<double>()) at = i;
  const double threshold = 0.5 * (sorted[at].item<double>() + sorted[at + 1].item<double>());
  const int64_t leaving = kBatch - 1 - at;
  ASSERT_GT(leaving, 0);
  ASSERT_LT(leaving, kBatch);

  auto model = make_early_exit({1}, 1.0, threshold);
  model->eval();
  const torch::Tensor branch = branch1_logits(*model, b.x), backbone = backbone_logits(*model, b.x);
  const torch::Tensor leaves = confidence(branch) >= threshold;
  ASSERT_EQ(leaves.sum().item<int64_t>(), leaving);
  const torch::Tensor expected = torch::where(leaves.unsqueeze(1), branch, backbone);
  const torch::Tensor logits = model->forward(b.x);
  EXPECT_TRUE(torch::allclose(logits, expected, 1e-5, 1e-6)) << (logits - expected).abs().max().item<double>();

  const TestSums sums = scored(*model, b);
  EXPECT_EQ(sums.samples, kBatch);
  EXPECT_EQ(sums.extra.at("exit_fraction.1"), leaving);
  EXPECT_EQ(sums.extra.at("exit_fraction.2"), kBatch - leaving);
  EXPECT_EQ(sums.extra.at("exit_fraction.1") + sums.extra.at("exit_fraction.2"), sums.samples);
  EXPECT_DOUBLE_EQ(sums.extra.at("mean_inference_flops"),
                   static_cast<double>(leaving * kExit1 + (kBatch - leaving) * kExit2));
  // The real early-exit path (forward) and the all-exits accounting (score) agree.
  EXPECT_NEAR(sums.loss, summed_ce(logits, b.y), 1e-3);
  EXPECT_EQ(sums.correct, correct(logits, b.y));
  EXPECT_EQ(sums.extra.at("exit_accuracy.1"), correct(branch, b.y));
  EXPECT_EQ(sums.extra.at("exit_accuracy.2"), correct(backbone, b.y));

  // Sums accumulate over batches.
  TestSums twice = sums;
  model->score(b.x, b.y, twice);
  EXPECT_EQ(twice.samples, 2 * kBatch);
  EXPECT_EQ(twice.extra.at("exit_fraction.1"), 2 * leaving);

  // Exiting off: the backbone alone, whatever the threshold.
  model->set_exiting(false);
  EXPECT_TRUE(torch::equal(model->forward(b.x), backbone));
  model->set_exiting(true);
  EXPECT_TRUE(torch::allclose(model->forward(b.x), expected, 1e-5, 1e-6));
}

TEST(horizontal_early_exit, ExitingOffAndTrainingModeUseTheBackbone) {
  auto model = make_early_exit({1}, 1.0, 1e-6);
  const Batch b = random_batch();
  torch::NoGradGuard no_grad;
  model->train();  // training mode: the final logits even when every sample would leave
  EXPECT_TRUE(torch::equal(model->forward(b.x), backbone_logits(*model, b.x)));
  model->eval();
  model->set_exiting(false);
  EXPECT_TRUE(torch::equal(model->forward(b.x), backbone_logits(*model, b.x)));
}

TEST(horizontal_early_exit, TrainingLossWeighsTheBranches) {
  const Batch b = random_batch();
  auto unweighted = make_early_exit({1}, 0.0);
  auto weighted = make_early_exit({1}, 2.0);  // same seed: the same weights
  ASSERT_TRUE(torch::equal(branch1_logits(*unweighted, b.x), branch1_logits(*weighted, b.x)));
  const torch::Tensor final_ce = F::cross_entropy(backbone_logits(*unweighted, b.x), b.y);
  const torch::Tensor branch_ce = F::cross_entropy(branch1_logits(*unweighted, b.x), b.y);

  const torch::Tensor loss0 = unweighted->training_loss(b.x, b.y);
  EXPECT_NEAR(loss0.item<double>(), final_ce.item<double>(), 1e-6);
  const torch::Tensor loss2 = weighted->training_loss(b.x, b.y);
  EXPECT_NEAR(loss2.item<double>(), final_ce.item<double>() + 2.0 * branch_ce.item<double>(), 1e-5);
  EXPECT_GT(loss2.item<double>() - loss0.item<double>(), 1.0);  // 2 * CE(branch) of 10 classes ~ 2 ln 10

  // With weight 0 the branch gets no gradient; with weight 2 it does.
  loss0.backward();
  loss2.backward();
  const torch::Tensor g0 = parameter(*unweighted, "exit1.linear.linear.weight").grad();
  const torch::Tensor g2 = parameter(*weighted, "exit1.linear.linear.weight").grad();
  EXPECT_TRUE(!g0.defined() || g0.abs().max().item<double>() == 0.0);
  ASSERT_TRUE(g2.defined());
  EXPECT_GT(g2.abs().max().item<double>(), 0.0);
  // The backbone's gradient is the final CE's plus 2x the branch's on the shared first layer only.
  EXPECT_TRUE(torch::allclose(parameter(*unweighted, "backbone.fc2.linear.weight").grad(),
                              parameter(*weighted, "backbone.fc2.linear.weight").grad(), 1e-5, 1e-7));
  EXPECT_FALSE(torch::allclose(parameter(*unweighted, "backbone.fc1.linear.weight").grad(),
                               parameter(*weighted, "backbone.fc1.linear.weight").grad()));
}

TEST(horizontal_early_exit, BadOptionsThrow) {
  EXPECT_THROW(make_early_exit({0}), std::invalid_argument);
  EXPECT_THROW(make_early_exit({2}), std::invalid_argument);  // the MLP's 2 stages: its own output is exit 2
  EXPECT_THROW(make_early_exit({-1}), std::invalid_argument);
  EXPECT_THROW(make_early_exit({1, 1}), std::invalid_argument);
  EXPECT_THROW(make_early_exit({1}, 1.0, 0.0), std::invalid_argument);
  EXPECT_THROW(make_early_exit({1}, 1.0, -0.5), std::invalid_argument);
  EXPECT_THROW(make_early_exit({1}, 1.0, 1.5), std::invalid_argument);
  EXPECT_THROW(make_early_exit({1}, -0.1), std::invalid_argument);
  EXPECT_NO_THROW(make_early_exit({1}, 0.0, 1.0));
  EXPECT_NO_THROW(make_early_exit({}));  // every stage but the last: one branch
  EXPECT_EQ(make_early_exit({})->exit_flops(), (std::vector<int64_t>{kExit1, kExit2}));
}

TEST(horizontal_early_exit, ResNet18DefaultExitsAfterEveryStageButTheLast) {
  torch::manual_seed(3);
  EarlyExitModelImpl model(models::make_model({"resnet18", {}}, kCifar), EarlyExitOptions{}, kCifar);
  const auto& flops = model.exit_flops();
  ASSERT_EQ(flops.size(), 5u);
  for (size_t k = 1; k < flops.size(); ++k) EXPECT_LT(flops[k - 1], flops[k]) << k;
  for (int k = 1; k <= 4; ++k) EXPECT_NO_FATAL_FAILURE(parameter(model, "exit" + std::to_string(k) + ".linear.linear.bias"));
  for (const auto& item : model.named_parameters()) EXPECT_EQ(item.key().find("exit5"), std::string::npos);
  // Exit 1: the stem (3->64 3x3 conv on 32x32, no bias, then BN) and its branch (average pool, 64->10).
  EXPECT_EQ(flops[0], 32 * 32 * 64 * 27 + 2 * 64 * 32 * 32 + 64 * 32 * 32 + 64 * 10 + 10);
  // The last exit: the backbone plus the four branches it meets (pool over the maps + Linear each).
  const int64_t branches = (64 * 32 * 32 + 650) * 2 + (128 * 16 * 16 + 1290) + (256 * 8 * 8 + 2570);
  EXPECT_EQ(flops[4], model.baseline_flops() + branches);
  EXPECT_EQ(model.baseline_flops(), models::count_flops(model.backbone(), kCifar));
  // The branches' parameters: 64*10+10 twice, 128*10+10, 256*10+10.
  EXPECT_EQ(models::count_parameters(model), 11173962 + 650 * 2 + 1290 + 2570);
  // Branches on maps classify a batch in eval mode.
  model.eval();
  torch::NoGradGuard no_grad;
  EXPECT_EQ(model.forward(torch::randn({2, 3, 32, 32})).sizes(), (std::vector<int64_t>{2, 10}));
}

// LeNet (seed 11) for Fashion-MNIST shapes with branches after its two conv stages (maps 6x14x14 and 16x5x5).
std::shared_ptr<EarlyExitModelImpl> make_lenet_exits(const std::string& branch, const std::string& training) {
  torch::manual_seed(11);
  EarlyExitOptions options;
  options.exits = {1, 2};
  options.branch = branch;
  options.branch_training = training;
  return std::make_shared<EarlyExitModelImpl>(models::make_model({"lenet", {}}, kFashion), options, kFashion);
}

// The gradients of the backbone's parameters after `loss.backward()`, by name without "backbone.".
std::map<std::string, torch::Tensor> backbone_gradients(torch::nn::Module& module, const std::string& prefix) {
  std::map<std::string, torch::Tensor> out;
  for (const auto& item : module.named_parameters())
    if (item.key().rfind(prefix, 0) == 0) out[item.key().substr(prefix.size())] = item.value().grad().clone();
  return out;
}

TEST(horizontal_early_exit, DetachedBranchesLeaveTheTrunkGradientsOfTheBackboneAlone) {
  const Batch b = random_batch();
  torch::manual_seed(11);
  models::StagedModel alone = models::make_model({"lenet", {}}, kFashion);  // same seed: the same trunk
  F::cross_entropy(alone->forward(b.x), b.y).backward();
  const auto expected = backbone_gradients(*alone, "");
  ASSERT_EQ(expected.size(), 10u);  // conv1, conv2, fc1, fc2, out: weight and bias each
  for (const std::string branch : {"pool_linear", "conv_linear"}) {
    auto detached = make_lenet_exits(branch, "detached");
    auto joint = make_lenet_exits(branch, "joint");
    const torch::Tensor detached_loss = detached->training_loss(b.x, b.y);
    const torch::Tensor joint_loss = joint->training_loss(b.x, b.y);
    // Detaching changes what the loss trains, not its value: CE(output) + CE(exit 1) + CE(exit 2).
    EXPECT_NEAR(detached_loss.item<double>(), joint_loss.item<double>(), 1e-6) << branch;
    EXPECT_GT(detached_loss.item<double>() - F::cross_entropy(alone->forward(b.x), b.y).item<double>(), 1.0) << branch;
    detached_loss.backward();
    joint_loss.backward();
    const auto trunk = backbone_gradients(*detached, "backbone.");
    ASSERT_EQ(trunk.size(), expected.size());
    for (const auto& [name, grad] : expected)
      EXPECT_TRUE(torch::allclose(trunk.at(name), grad, 1e-6, 1e-8)) << branch << " " << name;
    // The branches still learn.
    for (const std::string exit : {"exit1", "exit2"}) {
      const torch::Tensor g = parameter(*detached, exit + ".linear.linear.weight").grad();
      ASSERT_TRUE(g.defined()) << branch << " " << exit;
      EXPECT_GT(g.abs().max().item<double>(), 0.0) << branch << " " << exit;
      EXPECT_TRUE(torch::allclose(g, parameter(*joint, exit + ".linear.linear.weight").grad(), 1e-5, 1e-7));
    }
    // Joint training: the branches' losses reach the stages before them, not the layers after the last one.
    const auto moved = backbone_gradients(*joint, "backbone.");
    for (const std::string before : {"conv1.conv.weight", "conv2.conv.weight"})
      EXPECT_FALSE(torch::allclose(moved.at(before), expected.at(before), 1e-4, 1e-6)) << branch << " " << before;
    EXPECT_TRUE(torch::allclose(moved.at("fc1.linear.weight"), expected.at("fc1.linear.weight"), 1e-6, 1e-8)) << branch;
  }
}

TEST(horizontal_early_exit, SeedConvBranchOnResNet18Layer2AndLayer3ByHand) {
  // Seed 000 (resnet/main_manual.py): exits after layer2 (128 x 16 x 16) and layer3 (256 x 8 x 8) of
  // ResNet-18, IDDL's stages 3 and 4 (stem, layer1, layer2, layer3, layer4).
  torch::manual_seed(3);
  EarlyExitOptions options;
  options.exits = {3, 4};
  options.branch = "conv_linear";
  options.branch_training = "detached";
  EarlyExitModelImpl model(models::make_model({"resnet18", {}}, kCifar), options, kCifar);
  // conv 3x3 C -> 32 with bias, then Linear 32*H*W -> 10: the seed's conv1_w (32, 128, 3, 3), fc1_w (32*16*16, 10).
  const int64_t branch1_params = 32 * 128 * 9 + 32 + 32 * 16 * 16 * 10 + 10;
  const int64_t branch2_params = 32 * 256 * 9 + 32 + 32 * 8 * 8 * 10 + 10;
  EXPECT_EQ(models::count_parameters(model), 11173962 + branch1_params + branch2_params);
  EXPECT_EQ(parameter(model, "exit1.conv.conv.weight").sizes(), (std::vector<int64_t>{32, 128, 3, 3}));
  EXPECT_EQ(parameter(model, "exit2.linear.linear.weight").sizes(), (std::vector<int64_t>{10, 32 * 8 * 8}));
  // The seed's initialization: normal weights of std sqrt(2 / fan_in), zero biases.
  const double conv_std = parameter(model, "exit1.conv.conv.weight").std().item<double>();
  EXPECT_NEAR(conv_std, std::sqrt(2.0 / (128 * 9)), 0.03 * std::sqrt(2.0 / (128 * 9)));
  const double fc_std = parameter(model, "exit1.linear.linear.weight").std().item<double>();
  EXPECT_NEAR(fc_std, std::sqrt(2.0 / 8192), 0.03 * std::sqrt(2.0 / 8192));
  EXPECT_EQ(parameter(model, "exit2.conv.conv.bias").abs().sum().item<double>(), 0.0);
  EXPECT_EQ(parameter(model, "exit2.linear.linear.bias").abs().sum().item<double>(), 0.0);

  // FLOPs: (C*9 + 1) per output of the conv, 32*H*W*10 + 10 for the Linear layer (ReLU uncounted).
  const int64_t branch1_flops = 16 * 16 * 32 * (128 * 9 + 1) + 32 * 16 * 16 * 10 + 10;
  const int64_t branch2_flops = 8 * 8 * 32 * (256 * 9 + 1) + 32 * 8 * 8 * 10 + 10;
  int64_t to_layer2 = 0, to_layer3 = 0;
  {
    torch::NoGradGuard no_grad;
    model.eval();
    torch::Tensor x = torch::zeros({1, 3, 32, 32});
    models::FlopMeter meter;
    for (int64_t s = 0; s < 3; ++s) x = model.backbone().stage(s, x);
    to_layer2 = meter.total();
    x = model.backbone().stage(3, x);
    to_layer3 = meter.total();
  }
  EXPECT_EQ(model.exit_flops(),
            (std::vector<int64_t>{to_layer2 + branch1_flops, to_layer3 + branch1_flops + branch2_flops,
                                  model.baseline_flops() + branch1_flops + branch2_flops}));
  // One exit alone: the stages before it and its branch only (the network's own output: the backbone alone).
  model.set_single_exit(1);
  EXPECT_EQ(models::count_flops(model, kCifar), to_layer2 + branch1_flops);
  model.set_single_exit(2);
  EXPECT_EQ(models::count_flops(model, kCifar), to_layer3 + branch2_flops);
  model.set_single_exit(3);
  EXPECT_EQ(models::count_flops(model, kCifar), model.baseline_flops());
}

TEST(horizontal_early_exit, SingleExitGivesThatExitsLogitsForEverySample) {
  auto model = make_early_exit({1}, 1.0, 0.5);
  model->eval();
  torch::NoGradGuard no_grad;
  const Batch b = random_batch();
  model->set_single_exit(1);
  EXPECT_TRUE(torch::allclose(model->forward(b.x), branch1_logits(*model, b.x), 1e-5, 1e-6));
  EXPECT_EQ(models::count_flops(*model, kFashion), kExit1);
  model->set_single_exit(2);
  EXPECT_TRUE(torch::equal(model->forward(b.x), backbone_logits(*model, b.x)));
  EXPECT_EQ(models::count_flops(*model, kFashion), kBaseline);  // no branch on the way
  model->train();  // training mode: the final logits whatever the exit
  EXPECT_TRUE(torch::equal(model->forward(b.x), backbone_logits(*model, b.x)));
  model->eval();
  model->set_single_exit(0);  // back to the early-exit decision: samples split between the exits
  const torch::Tensor branch = branch1_logits(*model, b.x);
  const torch::Tensor leaves = confidence(branch) >= 0.5;
  EXPECT_TRUE(torch::allclose(model->forward(b.x),
                              torch::where(leaves.unsqueeze(1), branch, backbone_logits(*model, b.x)), 1e-5, 1e-6));
  EXPECT_THROW(model->set_single_exit(3), std::invalid_argument);
  EXPECT_THROW(model->set_single_exit(-1), std::invalid_argument);
}

TEST(horizontal_early_exit, BadBranchOptionsThrow) {
  EXPECT_THROW(make_lenet_exits("conv", "joint"), std::invalid_argument);
  EXPECT_THROW(make_lenet_exits("conv_linear", "frozen"), std::invalid_argument);
  // The conv branch needs maps: the MLP's stages give vectors, as LeNet's fc1.
  torch::manual_seed(11);
  EarlyExitOptions options;
  options.exits = {1};
  options.branch = "conv_linear";
  EXPECT_THROW(EarlyExitModelImpl(models::make_model({"mlp", {112, 56}}, kFashion), options, kFashion),
               std::invalid_argument);
  options.exits = {3};
  try {
    EarlyExitModelImpl(models::make_model({"lenet", {}}, kFashion), options, kFashion);
    ADD_FAILURE() << "conv_linear after LeNet's fc1 built";
  } catch (const std::invalid_argument& e) {
    EXPECT_STREQ(e.what(), "early_exit: exit after stage 3: branch \"conv_linear\" needs feature maps [C, H, W], but "
                           "the stage gives 1-d samples");
  }
  options.exits = {2};
  EXPECT_NO_THROW(EarlyExitModelImpl(models::make_model({"lenet", {}}, kFashion), options, kFashion));
}

}  // namespace
}  // namespace iddl::horizontal
