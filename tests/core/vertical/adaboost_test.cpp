// The arithmetic of one AdaBoost round (core/vertical/adaboost.hpp) on hand-made examples, every
// expected number worked out by hand in the comments; then AdaBoostTrainer under the real epoch loop:
// after member 0's epoch its hypothesis weight and the boosted sample weights are that arithmetic on
// its own predictions, and the evaluation is the weighted vote.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <cmath>
#include <stdexcept>

#include "core/models/model.hpp"
#include "core/train/epoch_driver.hpp"
#include "core/vertical/adaboost.hpp"
#include "core/vertical/adaboost_trainer.hpp"

namespace iddl::vertical {
namespace {

torch::Tensor f64(std::vector<double> values) { return torch::tensor(values, torch::kFloat64); }
torch::Tensor flags(std::vector<int64_t> values) { return torch::tensor(values, torch::kInt64).to(torch::kBool); }

// 5 samples, 3 classes, uniform weights 1/5; the member gets samples 0..3 right and sample 4 wrong.
//   error = 1/5 = 0.2
//   alpha = log((1 - 0.2) / 0.2) + log(3 - 1) = log 4 + log 2 = log 8 = 2.0794415...; exp(alpha) = 8
TEST(adaboost, OneRoundOnFiveSamples) {
  const torch::Tensor weights = torch::full({5}, 0.2, torch::kFloat64);
  const torch::Tensor correct = flags({1, 1, 1, 1, 0});
  const double error = weighted_error(weights, correct);
  EXPECT_NEAR(error, 0.2, 1e-12);
  const double alpha = hypothesis_weight(error, 3);
  EXPECT_NEAR(alpha, std::log(8.0), 1e-12);
  EXPECT_NEAR(alpha, 2.0794415416798357, 1e-12);

  // samme (textbook): the wrong sample's weight x8: 0.2 * 8 = 1.6, the rest 0.2; sum 4 * 0.2 + 1.6 = 2.4;
  // normalized: right 0.2 / 2.4 = 1/12 = 0.0833..., wrong 1.6 / 2.4 = 2/3.
  const torch::Tensor samme = boosted_weights(weights, correct, alpha, "samme");
  EXPECT_TRUE(torch::allclose(samme, f64({1.0 / 12, 1.0 / 12, 1.0 / 12, 1.0 / 12, 2.0 / 3}), 0, 1e-12)) << samme;

  // seed (seed 000's ensemble.py: the CORRECT predictions' weights x (1 - err)(C - 1) / err = 0.8 * 2 / 0.2 = 8):
  // right 0.2 * 8 = 1.6 each, wrong 0.2; sum 4 * 1.6 + 0.2 = 6.6; normalized: right 1.6 / 6.6 = 8/33 =
  // 0.2424..., wrong 0.2 / 6.6 = 1/33 = 0.0303...
  const torch::Tensor seed = boosted_weights(weights, correct, alpha, "seed");
  EXPECT_TRUE(torch::allclose(seed, f64({8.0 / 33, 8.0 / 33, 8.0 / 33, 8.0 / 33, 1.0 / 33}), 0, 1e-12)) << seed;

  // repeat (seed 000's normalizeWeightInRange, range [1, 10]) over the samme weights: min 1/12, max 2/3.
  // A batch holding sample 4: floor(1 + 9 (2/3 - 1/12) / (2/3 - 1/12)) = 10; one of right samples only:
  // floor(1 + 0) = 1.
  EXPECT_EQ(batch_repeats(samme, samme.slice(0, 3, 5)), 10);
  EXPECT_EQ(batch_repeats(samme, samme.slice(0, 0, 2)), 1);
  // The first round's weights are all equal: every batch once.
  EXPECT_EQ(batch_repeats(weights, weights.slice(0, 0, 2)), 1);
}

// Non-uniform weights 0.1, 0.2, 0.3, 0.4, samples 1 and 3 wrong, 2 classes:
//   error = (0.2 + 0.4) / 1.0 = 0.6; alpha = log(0.4 / 0.6) + log(1) = log(2/3) = -0.4054651...
//   (worse than chance: a negative vote, as the seed's formula gives).
// samme: wrong x 2/3: 0.1, 0.1333.., 0.3, 0.2666..; sum 0.8 -> 0.125, 1/6, 0.375, 1/3.
TEST(adaboost, WeightedErrorAndAMemberWorseThanChance) {
  const torch::Tensor weights = f64({0.1, 0.2, 0.3, 0.4});
  const torch::Tensor correct = flags({1, 0, 1, 0});
  const double error = weighted_error(weights, correct);
  EXPECT_NEAR(error, 0.6, 1e-12);
  const double alpha = hypothesis_weight(error, 2);
  EXPECT_NEAR(alpha, -0.40546510810816444, 1e-12);
  EXPECT_TRUE(torch::allclose(boosted_weights(weights, correct, alpha, "samme"),
                              f64({0.125, 1.0 / 6, 0.375, 1.0 / 3}), 0, 1e-12));
  // repeat with min 0.1, max 0.4: a batch whose largest weight is 0.25: floor(0.15 * 9 / 0.3 + 1) = floor(5.5) = 5.
  EXPECT_EQ(batch_repeats(weights, f64({0.1, 0.25})), 5);
  // Largest 0.3: (0.3 - 0.1) * 9 / 0.3 + 1 = 7 by hand, but in binary floating point 0.3 - 0.1 is
  // 0.19999999999999998 and the value 6.999999999999998, so the floor is 6 -- as the seed's Python
  // normalizeWeightInRange computes it (same order of operations).
  EXPECT_EQ(batch_repeats(weights, f64({0.1, 0.3})), 6);
}

TEST(adaboost, PerfectMemberGetsAFiniteWeightAndUnknownUpdateThrows) {
  // error 0 is clamped to 1e-10: log((1 - 1e-10) / 1e-10) + log(9) = 23.02585... + 2.19722... = 25.2230...
  EXPECT_NEAR(hypothesis_weight(0.0, 10), std::log((1 - 1e-10) / 1e-10) + std::log(9.0), 1e-9);
  EXPECT_THROW(boosted_weights(f64({0.5, 0.5}), flags({1, 0}), 1.0, "textbook"), std::invalid_argument);
}

// Two MLP 784-16-10 members, 1 epoch each (epochs 2), on 64 random images with random labels.
TEST(adaboost_trainer, MemberZerosRoundIsTheArithmeticOnItsPredictionsAndTheTestIsTheVote) {
  torch::manual_seed(5);
  data::Dataset data{"random", {1, 28, 28, 10}, {torch::randn({64, 1, 28, 28}), torch::randint(0, 10, {64})},
                     {torch::randn({32, 1, 28, 28}), torch::randint(0, 10, {32})}};
  std::vector<models::StagedModel> members;
  for (int k = 0; k < 2; ++k) {
    torch::manual_seed(10 + k);
    members.push_back(models::make_model({"mlp", {16}}, {1, 28, 28, 10}));
  }
  auto model = std::make_shared<AdaBoostModelImpl>(members, 10);
  train::TrainOptions options;
  options.epochs = 2;
  options.batch_size = 16;
  options.lr = 0.05;
  AdaBoostTrainer trainer(model, data.train, options, {"samme", "repeat"}, torch::kCPU);
  train::EpochDriver driver(trainer, data, options, torch::kCPU);

  driver.run_epoch(1);
  EXPECT_EQ(model->current(), 0) << "member 1 starts with the next epoch";
  torch::Tensor correct;
  {
    torch::NoGradGuard no_grad;
    model->member(0).eval();
    correct = model->member(0).forward(data.train.images).argmax(1).eq(data.train.labels);
  }
  const torch::Tensor uniform = torch::full({64}, 1.0 / 64, torch::kFloat64);
  const double alpha = hypothesis_weight(weighted_error(uniform, correct), 10);
  EXPECT_NEAR(model->weight(0), alpha, 1e-12);
  EXPECT_TRUE(torch::allclose(trainer.sample_weights(), boosted_weights(uniform, correct, alpha, "samme"), 0, 1e-15));

  const train::EpochResult second = driver.run_epoch(2);
  EXPECT_EQ(model->current(), 1);
  // The test accuracy is the vote of both members with their weights.
  torch::NoGradGuard no_grad;
  model->eval();
  const torch::Tensor p0 = model->member(0).forward(data.test.images).argmax(1);
  const torch::Tensor p1 = model->member(1).forward(data.test.images).argmax(1);
  torch::Tensor votes = torch::zeros({32, 10});
  for (int64_t i = 0; i < 32; ++i) {
    votes[i][p0[i].item<int64_t>()] += model->weight(0);
    votes[i][p1[i].item<int64_t>()] += model->weight(1);
  }
  EXPECT_TRUE(torch::equal(model->forward(data.test.images).argmax(1), votes.argmax(1)));
  EXPECT_DOUBLE_EQ(second.test_accuracy, votes.argmax(1).eq(data.test.labels).sum().item<double>() / 32);
  EXPECT_DOUBLE_EQ(second.test_metrics.at("member_accuracy.1"), p1.eq(data.test.labels).sum().item<double>() / 32);
}

}  // namespace
}  // namespace iddl::vertical
