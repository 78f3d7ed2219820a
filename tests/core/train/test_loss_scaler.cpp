// The dynamic loss scale of fp16 training (core/train/loss_scaler.hpp): scaling, unscaling with the check
// for inf and nan, back-off and growth.
#include <gtest/gtest.h>

#include <limits>
#include <vector>

#include "core/train/loss_scaler.hpp"

namespace {

using iddl::train::LossScaler;
using iddl::train::LossScalerOptions;

// A parameter whose gradient is `grad`.
torch::Tensor with_gradient(const torch::Tensor& grad) {
  torch::Tensor parameter = torch::zeros_like(grad).requires_grad_();
  parameter.mutable_grad() = grad.clone();
  return parameter;
}

}  // namespace

TEST(LossScaler, ScalesTheLossAndUnscalesFiniteGradients) {
  LossScaler scaler(LossScalerOptions{8.0, 2.0, 0.5, 10});
  EXPECT_EQ(scaler.scale(torch::tensor(1.5)).item<double>(), 12.0);
  std::vector<torch::Tensor> parameters{with_gradient(torch::tensor({8.0f, -4.0f})),
                                        torch::zeros({2}).requires_grad_()};
  EXPECT_TRUE(scaler.unscale(parameters));  // the parameter without a gradient is left alone
  EXPECT_TRUE(torch::equal(parameters[0].grad(), torch::tensor({1.0f, -0.5f})));
  EXPECT_FALSE(parameters[1].grad().defined());
}

TEST(LossScaler, InfOrNanGradientsSkipTheStepAndBackOff) {
  LossScaler scaler;  // GradScaler's defaults
  EXPECT_EQ(scaler.current(), 65536.0);
  const float inf = std::numeric_limits<float>::infinity(), nan = std::numeric_limits<float>::quiet_NaN();
  for (const float bad : {inf, -inf, nan}) {
    const double before = scaler.current();
    std::vector<torch::Tensor> parameters{with_gradient(torch::ones({3})), with_gradient(torch::tensor({1.0f, bad}))};
    EXPECT_FALSE(scaler.unscale(parameters)) << bad;
    scaler.update(false);
    EXPECT_EQ(scaler.current(), before * 0.5) << bad;
  }
}

TEST(LossScaler, GrowsAfterGrowthIntervalFiniteStepsInARow) {
  LossScaler scaler(LossScalerOptions{4.0, 2.0, 0.5, 3});
  scaler.update(true);
  scaler.update(true);
  EXPECT_EQ(scaler.current(), 4.0);
  scaler.update(true);
  EXPECT_EQ(scaler.current(), 8.0);  // the third finite step in a row
  scaler.update(true);
  scaler.update(true);
  scaler.update(false);  // a skipped step restarts the count
  EXPECT_EQ(scaler.current(), 4.0);
  scaler.update(true);
  scaler.update(true);
  EXPECT_EQ(scaler.current(), 4.0);
  scaler.update(true);
  EXPECT_EQ(scaler.current(), 8.0);
}

TEST(LossScaler, RefusesOptionsThatCannotAdapt) {
  EXPECT_THROW(LossScaler(LossScalerOptions{0.0, 2.0, 0.5, 1}), std::logic_error);
  EXPECT_THROW(LossScaler(LossScalerOptions{1.0, 1.0, 0.5, 1}), std::logic_error);
  EXPECT_THROW(LossScaler(LossScalerOptions{1.0, 2.0, 1.0, 1}), std::logic_error);
  EXPECT_THROW(LossScaler(LossScalerOptions{1.0, 2.0, 0.5, 0}), std::logic_error);
}
