// The training loss (core/models/training_loss.hpp): seed 001's squared error of the softmax, reductions,
// torch's label smoothing.
#include <gtest/gtest.h>

#include <cmath>
#include <stdexcept>

#include "core/models/training_loss.hpp"

namespace {

using iddl::models::TrainingLoss;

// Two samples of three classes: z = [0, 0, 0] labelled 0 (softmax 1/3 each) and z = [ln 2, 0, 0] labelled 2
// (softmax [1/2, 1/4, 1/4]).
torch::Tensor two_logits() {
  return torch::tensor({0.0, 0.0, 0.0, std::log(2.0), 0.0, 0.0}, torch::kFloat64).view({2, 3});
}
torch::Tensor two_labels() { return torch::tensor({0, 2}, torch::kInt64); }

}  // namespace

TEST(TrainingLoss, MseIsHalfTheSquaredErrorOfTheSoftmaxAgainstOneHotLabels) {
  // sample 1: error [-2/3, 1/3, 1/3], 1/2 (4/9 + 1/9 + 1/9) = 1/3
  // sample 2: error [1/2, 1/4, -3/4], 1/2 (1/4 + 1/16 + 9/16) = 7/16
  const TrainingLoss mse("mse");
  const torch::Tensor each = mse.per_sample(two_logits(), two_labels());
  EXPECT_NEAR(each[0].item<double>(), 1.0 / 3.0, 1e-12);
  EXPECT_NEAR(each[1].item<double>(), 7.0 / 16.0, 1e-12);
  EXPECT_NEAR(mse(two_logits(), two_labels()).item<double>(), (1.0 / 3.0 + 7.0 / 16.0) / 2.0, 1e-12);
  EXPECT_NEAR(TrainingLoss("mse", "sum")(two_logits(), two_labels()).item<double>(), 1.0 / 3.0 + 7.0 / 16.0, 1e-12);
}

// Seed 001 (HabibSlim/DistDNNs losses/mse.h, MSELoss::error): the gradient in the softmax output is
// pred - real, carried back through the softmax (layers/softmax.h: Z * (g - <Z, g>)), summed over the batch.
TEST(TrainingLoss, MseGradientIsTheSeedsPredMinusRealThroughTheSoftmax) {
  const torch::Tensor logits = two_logits().requires_grad_();
  TrainingLoss("mse", "sum")(logits, two_labels()).backward();
  const torch::Tensor p = torch::softmax(two_logits(), 1);
  const torch::Tensor g = p - torch::tensor({1.0, 0.0, 0.0, 0.0, 0.0, 1.0}, torch::kFloat64).view({2, 3});
  const torch::Tensor seed = p * (g - (p * g).sum(1, true));
  EXPECT_TRUE(torch::allclose(logits.grad(), seed, 1e-12, 1e-12)) << logits.grad() << seed;
}

TEST(TrainingLoss, SumIsTheBatchSizeTimesTheMean) {
  torch::manual_seed(5);
  const torch::Tensor logits = torch::randn({7, 10}, torch::kFloat64);
  const torch::Tensor labels = torch::randint(0, 10, {7}, torch::kInt64);
  for (const char* name : {"cross_entropy", "mse"}) {
    const TrainingLoss mean(name, "mean"), sum(name, "sum");
    const double m = mean(logits, labels).item<double>(), s = sum(logits, labels).item<double>();
    EXPECT_NEAR(s, 7.0 * m, 1e-12) << name;
    EXPECT_NEAR(mean.summed(logits, labels).item<double>(), s, 1e-12) << name;
    EXPECT_NEAR(sum.summed(logits, labels).item<double>(), s, 1e-12) << name;
    EXPECT_NEAR(mean.summed_from(m, 7), s, 1e-12) << name;
    EXPECT_DOUBLE_EQ(sum.summed_from(s, 7), s) << name;
    EXPECT_NEAR(mean.per_sample(logits, labels).sum().item<double>(), s, 1e-12) << name;
  }
  EXPECT_DOUBLE_EQ(TrainingLoss("cross_entropy", "mean").part_weight(3, 12), 0.25);
  EXPECT_DOUBLE_EQ(TrainingLoss("cross_entropy", "sum").part_weight(3, 12), 1.0);
}

// torch.nn.CrossEntropyLoss(label_smoothing=s): the target is (1 - s) one_hot + s / C.
TEST(TrainingLoss, LabelSmoothingIsTorchsFormula) {
  const double z[3] = {1.0, 2.0, 0.5}, s = 0.1;
  const double log_norm = std::log(std::exp(z[0]) + std::exp(z[1]) + std::exp(z[2]));
  double expected = 0.0;
  for (int c = 0; c < 3; ++c) expected -= ((c == 1 ? 1.0 - s : 0.0) + s / 3.0) * (z[c] - log_norm);
  const torch::Tensor logits = torch::tensor({z[0], z[1], z[2]}, torch::kFloat64).view({1, 3});
  const torch::Tensor label = torch::tensor({1}, torch::kInt64);
  EXPECT_NEAR(TrainingLoss("cross_entropy", "mean", s)(logits, label).item<double>(), expected, 1e-12);
  EXPECT_NEAR(TrainingLoss("cross_entropy", "mean", s).summed(logits, label).item<double>(), expected, 1e-12);
  EXPECT_NEAR(TrainingLoss()(logits, label).item<double>(), log_norm - z[1], 1e-12);  // no smoothing: plain CE
}

TEST(TrainingLoss, RefusesWhatTheMatrixRefuses) {
  EXPECT_THROW(TrainingLoss("hinge"), std::invalid_argument);
  EXPECT_THROW(TrainingLoss("mse", "max"), std::invalid_argument);
  EXPECT_THROW(TrainingLoss("cross_entropy", "mean", 1.0), std::invalid_argument);
  EXPECT_THROW(TrainingLoss("mse", "mean", 0.1), std::invalid_argument);
}
