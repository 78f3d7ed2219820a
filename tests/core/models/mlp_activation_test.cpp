// The MLP's hidden activation and dropout (models::HiddenActivation): seed 001's LeakyReLU and its
// Gaussian dropout (DistDNNs layers/dropout.h), and torch's Bernoulli dropout.
#include <gtest/gtest.h>

#include <cmath>

#include "core/models/model.hpp"

namespace {

using iddl::models::HiddenActivation;
using iddl::models::InputShape;
using iddl::models::ModelOptions;

const InputShape kShape{1, 8, 8, 10};

iddl::models::StagedModel mlp(HiddenActivation activation) {
  ModelOptions options("mlp", {256});
  options.activation = activation;
  torch::manual_seed(11);
  return iddl::models::make_model(options, kShape);
}

// The first hidden layer before its activation.
torch::Tensor pre_activation(iddl::models::StagedModelImpl& model, const torch::Tensor& x) {
  const auto params = model.named_parameters();
  return torch::nn::functional::linear(x.flatten(1), params["fc1.linear.weight"], params["fc1.linear.bias"]);
}

}  // namespace

TEST(MlpActivation, LeakyReluDiffersFromReluOnlyOnNegatives) {
  auto relu = mlp({});
  auto leaky = mlp({"leaky_relu", 0.1, 0.0});
  torch::NoGradGuard no_grad;
  const torch::Tensor x = torch::randn({32, 1, 8, 8});
  const torch::Tensor pre = pre_activation(*relu, x);
  const torch::Tensor r = relu->stage(0, x), l = leaky->stage(0, x);
  const torch::Tensor negative = pre < 0;
  ASSERT_GT(negative.sum().item<int64_t>(), 0);
  EXPECT_TRUE(torch::equal(r, pre.clamp_min(0)));
  EXPECT_TRUE(torch::equal(l.masked_select(negative.logical_not()), r.masked_select(negative.logical_not())));
  EXPECT_TRUE(torch::allclose(l.masked_select(negative), 0.1 * pre.masked_select(negative)));
  EXPECT_FALSE(torch::equal(relu->forward(x), leaky->forward(x)));
}

TEST(MlpActivation, ActivationAndDropoutAddNoParameters) {
  auto plain = mlp({});
  auto seeded = mlp({"leaky_relu", 0.01, 0.2});
  EXPECT_EQ(iddl::models::count_parameters(*plain), iddl::models::count_parameters(*seeded));
  const auto a = plain->parameters(), b = seeded->parameters();
  ASSERT_EQ(a.size(), b.size());
  for (size_t i = 0; i < a.size(); ++i) EXPECT_TRUE(torch::equal(a[i], b[i])) << "parameter " << i;
  EXPECT_EQ(iddl::models::count_flops(*plain, kShape), iddl::models::count_flops(*seeded, kShape));
}

TEST(MlpActivation, DropoutIsOffInEvalMode) {
  auto plain = mlp({"leaky_relu", 0.01, 0.0});
  auto dropped = mlp({"leaky_relu", 0.01, 0.5});
  torch::NoGradGuard no_grad;
  plain->eval();
  dropped->eval();
  const torch::Tensor x = torch::randn({16, 1, 8, 8});
  EXPECT_TRUE(torch::equal(dropped->forward(x), plain->forward(x)));
  EXPECT_TRUE(torch::equal(dropped->forward(x), dropped->forward(x)));
}

TEST(MlpActivation, DropoutZeroesAboutPOfTheActivationsInTrainModeAndScalesTheRest) {
  auto plain = mlp({"leaky_relu", 0.01, 0.0});
  auto dropped = mlp({"leaky_relu", 0.01, 0.5});
  torch::NoGradGuard no_grad;
  plain->train();
  dropped->train();
  const torch::Tensor x = torch::randn({64, 1, 8, 8});
  const torch::Tensor kept = plain->stage(0, x), out = dropped->stage(0, x);
  ASSERT_EQ(kept.eq(0).sum().item<int64_t>(), 0);  // leaky_relu leaves no exact zero
  const torch::Tensor zero = out.eq(0);
  const double fraction = zero.to(torch::kFloat64).mean().item<double>();
  EXPECT_GT(fraction, 0.45);  // 16384 draws of p = 0.5: the standard deviation is 0.004
  EXPECT_LT(fraction, 0.55);
  EXPECT_TRUE(torch::allclose(out.masked_select(zero.logical_not()), 2.0 * kept.masked_select(zero.logical_not())));
}

TEST(MlpActivation, GaussianDropoutMultipliesByNoiseOfMeanOneAndSeed001sDeviationInTrainMode) {
  auto plain = mlp({"leaky_relu", 0.01, 0.0});
  auto noisy = mlp({"leaky_relu", 0.01, 0.2, "gaussian"});
  plain->train();
  noisy->train();
  const torch::Tensor x = torch::randn({64, 1, 8, 8});
  torch::Tensor kept;
  {
    torch::NoGradGuard no_grad;
    kept = plain->stage(0, x);
  }
  ASSERT_EQ(kept.eq(0).sum().item<int64_t>(), 0);  // leaky_relu leaves no exact zero
  const torch::Tensor out = noisy->stage(0, x);
  const torch::Tensor noise = (out / kept).detach().to(torch::kFloat64);
  // 16384 draws of N(1, 0.2 * 0.8): the mean's standard error is 0.003, the deviation's 0.0022
  EXPECT_NEAR(noise.mean().item<double>(), 1.0, 0.03);
  EXPECT_NEAR(noise.std().item<double>(), std::sqrt(0.2 * 0.8), 0.03);
  EXPECT_EQ(noise.eq(0).sum().item<int64_t>(), 0);  // nothing zeroed, unlike Bernoulli dropout
  // The gradient goes through the same noise: d sum(out) / d fc1.bias = sum over the batch of noise * slope.
  out.sum().backward();
  const torch::Tensor pre = pre_activation(*plain, x).detach().to(torch::kFloat64);
  const torch::Tensor slope = torch::where(pre > 0, torch::ones_like(pre), torch::full_like(pre, 0.01));
  EXPECT_TRUE(torch::allclose(noisy->named_parameters()["fc1.linear.bias"].grad().to(torch::kFloat64),
                              (noise * slope).sum(0), 1e-4, 1e-4));
}

TEST(MlpActivation, GaussianDropoutIsTheIdentityInEvalModeAndAddsNoParameters) {
  auto plain = mlp({"leaky_relu", 0.01, 0.0});
  auto noisy = mlp({"leaky_relu", 0.01, 0.2, "gaussian"});
  EXPECT_EQ(iddl::models::count_parameters(*plain), iddl::models::count_parameters(*noisy));
  EXPECT_EQ(plain->parameters().size(), noisy->parameters().size());
  EXPECT_EQ(iddl::models::count_flops(*plain, kShape), iddl::models::count_flops(*noisy, kShape));
  torch::NoGradGuard no_grad;
  plain->eval();
  noisy->eval();
  const torch::Tensor x = torch::randn({16, 1, 8, 8});
  EXPECT_TRUE(torch::equal(noisy->forward(x), plain->forward(x)));
}

TEST(MlpActivation, RefusesAnUnknownActivationOrDropoutKindOrADropoutOutOfRange) {
  EXPECT_THROW(mlp({"gelu", 0.01, 0.0}), std::invalid_argument);
  EXPECT_THROW(mlp({"relu", 0.01, 1.0}), std::invalid_argument);
  EXPECT_THROW(mlp({"relu", 0.01, 0.2, "uniform"}), std::invalid_argument);
}
