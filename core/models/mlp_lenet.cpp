#include "core/models/mlp_lenet.hpp"

#include <stdexcept>
#include <string>

#include "core/models/layers.hpp"
#include "core/models/sparsification.hpp"

namespace iddl::models {

namespace {

class MlpImpl : public ModelImpl {
 public:
  MlpImpl(const std::vector<int64_t>& hidden, const InputShape& shape, LayerFactory layers) {
    int64_t width = shape.channels * shape.height * shape.width;
    for (size_t i = 0; i < hidden.size(); ++i) {
      hidden_.push_back(register_module("fc" + std::to_string(i + 1),
                                        layers.linear(torch::nn::LinearOptions(width, hidden[i]), true)));
      width = hidden[i];
    }
    out_ = register_module("out", layers.linear(torch::nn::LinearOptions(width, shape.classes), false));
  }

  torch::Tensor forward(torch::Tensor x) override {
    x = x.flatten(1);
    for (auto& layer : hidden_) x = torch::relu(layer(x));
    return out_(x);
  }

 private:
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

class LeNetImpl : public ModelImpl {
 public:
  LeNetImpl(const InputShape& shape, LayerFactory layers)
      : conv1_(register_module(
            "conv1", layers.conv(torch::nn::Conv2dOptions(shape.channels, 6, 5)
                                     .padding(torch::ExpandingArray<2>(
                                         {lenet_padding(shape.height), lenet_padding(shape.width)})),
                                 false))),
        pool1_(register_module("pool1", MaxPool2d(torch::nn::MaxPool2dOptions(2)))),
        conv2_(register_module("conv2", layers.conv(torch::nn::Conv2dOptions(6, 16, 5), true))),
        pool2_(register_module("pool2", MaxPool2d(torch::nn::MaxPool2dOptions(2)))),
        fc1_(register_module("fc1", layers.linear(torch::nn::LinearOptions(16 * 5 * 5, 120), false))),
        fc2_(register_module("fc2", layers.linear(torch::nn::LinearOptions(120, 84), false))),
        out_(register_module("out", layers.linear(torch::nn::LinearOptions(84, shape.classes), false))) {}

  torch::Tensor forward(torch::Tensor x) override {
    x = pool1_(torch::relu(conv1_(x)));
    x = pool2_(torch::relu(conv2_(x)));
    x = torch::relu(fc1_(x.flatten(1)));
    x = torch::relu(fc2_(x));
    return out_(x);
  }

 private:
  Conv2d conv1_;
  MaxPool2d pool1_;
  Conv2d conv2_;
  MaxPool2d pool2_;
  Linear fc1_, fc2_, out_;
};

}  // namespace

Model make_mlp(const std::vector<int64_t>& hidden, const InputShape& shape, const SparsityOptions& sparsity) {
  return std::make_shared<MlpImpl>(hidden, shape, LayerFactory(sparsity));
}

Model make_lenet(const InputShape& shape, const SparsityOptions& sparsity) {
  return std::make_shared<LeNetImpl>(shape, LayerFactory(sparsity));
}

}  // namespace iddl::models
