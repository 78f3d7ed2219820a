#include "core/models/mlp_lenet.hpp"

#include <cmath>
#include <stdexcept>
#include <string>
#include <utility>

#include "core/models/layers.hpp"
#include "core/models/sparsification.hpp"

namespace iddl::models {

namespace {

// Seed 001's dropout (DistDNNs layers/dropout.h): x times fresh Gaussian noise of mean 1 and standard
// deviation sqrt(p (1 - p)); the gradient is multiplied by the same noise.
torch::Tensor gaussian_dropout(const torch::Tensor& x, double p) {
  return x * torch::empty_like(x).normal_(1.0, std::sqrt(p * (1.0 - p)));
}

// Stages: the hidden layers (Linear, activation, dropout).
class MlpImpl : public StagedModelImpl {
 public:
  MlpImpl(const std::vector<int64_t>& hidden, const HiddenActivation& activation, const InputShape& shape,
          LayerFactory layers)
      : activation_(activation) {
    if (activation_.function != "relu" && activation_.function != "leaky_relu")
      throw std::invalid_argument("mlp: unknown activation '" + activation_.function + "' (known: relu, leaky_relu)");
    if (!(activation_.dropout >= 0.0 && activation_.dropout < 1.0))
      throw std::invalid_argument("mlp: dropout " + std::to_string(activation_.dropout) + " is not in [0, 1)");
    if (activation_.dropout_kind != "bernoulli" && activation_.dropout_kind != "gaussian")
      throw std::invalid_argument("mlp: unknown dropout_kind '" + activation_.dropout_kind +
                                  "' (known: bernoulli, gaussian)");
    int64_t width = shape.channels * shape.height * shape.width;
    for (size_t i = 0; i < hidden.size(); ++i) {
      const int64_t out = layers.width(hidden[i]);
      hidden_.push_back(
          register_module("fc" + std::to_string(i + 1), layers.linear(torch::nn::LinearOptions(width, out), true)));
      width = out;
    }
    out_ = register_module("out", layers.output(width, shape.classes));
  }

  int64_t stage_count() const override { return static_cast<int64_t>(hidden_.size()); }
  torch::Tensor stage(int64_t i, torch::Tensor x) override {
    x = hidden_.at(i)(x.flatten(1));
    x = activation_.function == "relu" ? torch::relu(x) : torch::leaky_relu(x, activation_.leaky_slope);
    if (activation_.dropout == 0.0 || !is_training()) return x;
    return activation_.dropout_kind == "gaussian" ? gaussian_dropout(x, activation_.dropout)
                                                  : torch::dropout(x, activation_.dropout, true);
  }
  torch::Tensor features(torch::Tensor x) override { return x.flatten(1); }
  torch::Tensor output(torch::Tensor features) override { return out_(features); }

 private:
  HiddenActivation activation_;
  std::vector<Linear> hidden_;
  Linear out_{nullptr};
};

// The padding that turns a side of `side` pixels into a 28-pixel output of a 5x5 convolution.
int64_t lenet_padding(int64_t side) {
  const int64_t gap = 32 - side;
  if (gap < 0 || gap % 2 != 0) {
    throw std::invalid_argument("lenet: cannot pad a side of " + std::to_string(side) +
                                " pixels to a 28x28 first convolution output");
  }
  return gap / 2;
}

// Stages: conv1 + pool, conv2 + pool, fc1, fc2.
class LeNetImpl : public StagedModelImpl {
 public:
  LeNetImpl(const InputShape& shape, LayerFactory layers)
      : conv1_(register_module(
            "conv1", layers.conv(torch::nn::Conv2dOptions(shape.channels, layers.width(6), 5)
                                     .padding(torch::ExpandingArray<2>(
                                         {lenet_padding(shape.height), lenet_padding(shape.width)})),
                                 false))),
        pool1_(register_module("pool1", MaxPool2d(torch::nn::MaxPool2dOptions(2)))),
        conv2_(register_module("conv2",
                               layers.conv(torch::nn::Conv2dOptions(layers.width(6), layers.width(16), 5), true))),
        pool2_(register_module("pool2", MaxPool2d(torch::nn::MaxPool2dOptions(2)))),
        fc1_(register_module(
            "fc1", layers.linear(torch::nn::LinearOptions(layers.width(16) * 5 * 5, layers.width(120)), false))),
        fc2_(register_module("fc2",
                             layers.linear(torch::nn::LinearOptions(layers.width(120), layers.width(84)), false))),
        out_(register_module("out", layers.output(layers.width(84), shape.classes))) {}

  int64_t stage_count() const override { return 4; }
  torch::Tensor stage(int64_t i, torch::Tensor x) override {
    switch (i) {
      case 0: return pool1_(torch::relu(conv1_(x)));
      case 1: return pool2_(torch::relu(conv2_(x)));
      case 2: return torch::relu(fc1_(x.flatten(1)));
      default: return torch::relu(fc2_(x));
    }
  }
  torch::Tensor features(torch::Tensor x) override { return x; }
  torch::Tensor output(torch::Tensor features) override { return out_(features); }

 private:
  Conv2d conv1_;
  MaxPool2d pool1_;
  Conv2d conv2_;
  MaxPool2d pool2_;
  Linear fc1_, fc2_, out_;
};

}  // namespace

StagedModel make_mlp(const std::vector<int64_t>& hidden, const HiddenActivation& activation, const InputShape& shape,
                     LayerFactory layers) {
  return std::make_shared<MlpImpl>(hidden, activation, shape, std::move(layers));
}

StagedModel make_lenet(const InputShape& shape, LayerFactory layers) {
  return std::make_shared<LeNetImpl>(shape, std::move(layers));
}

}  // namespace iddl::models
