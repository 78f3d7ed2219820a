#include "core/models/alexnet_vgg.hpp"

#include <array>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "core/models/layers.hpp"

namespace iddl::models {
namespace {

// torch.nn.Dropout()'s default probability, the seed's.
constexpr double kDropout = 0.5;

// Zeroes each element with probability kDropout and scales the rest by 1/(1 - kDropout) when
// `training`; the identity in eval mode.
torch::Tensor dropout(const torch::Tensor& x, bool training) {
  return torch::nn::functional::dropout(x, torch::nn::functional::DropoutFuncOptions().p(kDropout).training(training));
}

// A 3x3 convolution padded by 1 (keeps the side at stride 1), with bias.
torch::nn::Conv2dOptions conv3x3(int64_t in, int64_t out, int64_t stride = 1) {
  return torch::nn::Conv2dOptions(in, out, 3).stride(stride).padding(1);
}

// The side `side` becomes through the first 3x3 conv padded by 1 (at stride 2 when `stride2_first`) and
// `pools` 2x2 max pools; throws std::invalid_argument naming `model` and `least`, the least side that
// works, when it reaches 0.
int64_t last_side(const std::string& model, int64_t side, bool stride2_first, int pools, int64_t least) {
  int64_t s = stride2_first ? (side - 1) / 2 + 1 : side;
  for (int p = 0; p < pools && s > 0; ++p) s /= 2;
  if (s < 1)
    throw std::invalid_argument(model + ": an input side of " + std::to_string(side) +
                                " pixels shrinks to nothing through its poolings; it needs sides of at least " +
                                std::to_string(least) + " (e.g. cifar10, synthetic-cifar)");
  return s;
}

class AlexNetImpl : public StagedModelImpl {
 public:
  AlexNetImpl(const InputShape& shape, LayerFactory layers)
      : side_h_(last_side("alexnet", shape.height, true, 3, 15)),
        side_w_(last_side("alexnet", shape.width, true, 3, 15)),
        conv1_(register_module("conv1", layers.conv(conv3x3(shape.channels, layers.width(64), 2), false))),
        conv2_(register_module("conv2", layers.conv(conv3x3(layers.width(64), layers.width(192)), true))),
        conv3_(register_module("conv3", layers.conv(conv3x3(layers.width(192), layers.width(384)), true))),
        conv4_(register_module("conv4", layers.conv(conv3x3(layers.width(384), layers.width(256)), true))),
        conv5_(register_module("conv5", layers.conv(conv3x3(layers.width(256), layers.width(256)), true))),
        pool_(register_module("pool", MaxPool2d(torch::nn::MaxPool2dOptions(2)))),
        fc1_(register_module("fc1", layers.linear(torch::nn::LinearOptions(layers.width(256) * side_h_ * side_w_,
                                                                            layers.width(4096)),
                                                  false))),
        fc2_(register_module(
            "fc2", layers.linear(torch::nn::LinearOptions(layers.width(4096), layers.width(4096)), false))),
        out_(register_module("out", layers.output(layers.width(4096), shape.classes))) {}

  int64_t stage_count() const override { return 7; }
  torch::Tensor stage(int64_t i, torch::Tensor x) override {
    switch (i) {
      case 0: return pool_(torch::relu(conv1_(x)));
      case 1: return pool_(torch::relu(conv2_(x)));
      case 2: return torch::relu(conv3_(x));
      case 3: return torch::relu(conv4_(x));
      case 4: return pool_(torch::relu(conv5_(x)));
      case 5: return torch::relu(fc1_(dropout(x.flatten(1), is_training())));
      default: return torch::relu(fc2_(dropout(x, is_training())));
    }
  }
  torch::Tensor features(torch::Tensor x) override { return x; }
  torch::Tensor output(torch::Tensor features) override { return out_(features); }

 private:
  int64_t side_h_, side_w_;
  Conv2d conv1_, conv2_, conv3_, conv4_, conv5_;
  MaxPool2d pool_;
  Linear fc1_, fc2_, out_;
};

// A VGG block: 3x3 conv + ReLU for each width, then max pool 2.
class VggBlockImpl : public torch::nn::Module {
 public:
  VggBlockImpl(int64_t in, const std::vector<int64_t>& widths, LayerFactory& layers, bool first_block)
      : pool(register_module("pool", MaxPool2d(torch::nn::MaxPool2dOptions(2)))) {
    for (size_t c = 0; c < widths.size(); ++c) {
      const bool hidden = !(first_block && c == 0);
      convs.push_back(register_module("conv" + std::to_string(c + 1), layers.conv(conv3x3(in, widths[c]), hidden)));
      in = widths[c];
    }
  }

  torch::Tensor forward(torch::Tensor x) {
    for (auto& conv : convs) x = torch::relu(conv(x));
    return pool(x);
  }

  std::vector<Conv2d> convs;
  MaxPool2d pool;
};
TORCH_MODULE(VggBlock);

// VGG-16's ("D") conv widths per block.
const std::array<std::vector<int64_t>, 5> kVgg16Blocks{
    {{64, 64}, {128, 128}, {256, 256, 256}, {512, 512, 512}, {512, 512, 512}}};

class Vgg16Impl : public StagedModelImpl {
 public:
  Vgg16Impl(const InputShape& shape, LayerFactory layers) {
    last_side("vgg16", shape.height, false, 5, 32);
    last_side("vgg16", shape.width, false, 5, 32);
    int64_t in = shape.channels;
    for (size_t b = 0; b < kVgg16Blocks.size(); ++b) {
      std::vector<int64_t> widths;
      for (const int64_t w : kVgg16Blocks[b]) widths.push_back(layers.width(w));
      blocks_.push_back(register_module("block" + std::to_string(b + 1), VggBlock(in, widths, layers, b == 0)));
      in = widths.back();
    }
    avgpool_ = register_module("avgpool", AdaptiveAvgPool2d(torch::nn::AdaptiveAvgPool2dOptions(7)));
    fc1_ = register_module("fc1", layers.linear(torch::nn::LinearOptions(in * 7 * 7, layers.width(4096)), false));
    fc2_ = register_module("fc2",
                           layers.linear(torch::nn::LinearOptions(layers.width(4096), layers.width(4096)), false));
    out_ = register_module("out", layers.output(layers.width(4096), shape.classes));
    initialise();
  }

  int64_t stage_count() const override { return static_cast<int64_t>(blocks_.size()) + 2; }
  torch::Tensor stage(int64_t i, torch::Tensor x) override {
    if (i < static_cast<int64_t>(blocks_.size())) return blocks_[static_cast<size_t>(i)]->forward(x);
    if (i == static_cast<int64_t>(blocks_.size()))
      return dropout(torch::relu(fc1_(avgpool_(x).flatten(1))), is_training());
    return dropout(torch::relu(fc2_(x)), is_training());
  }
  torch::Tensor features(torch::Tensor x) override { return x; }
  torch::Tensor output(torch::Tensor features) override { return out_(features); }

 private:
  // The seed's _initialize_weights: convs Kaiming normal (fan-out, ReLU), Linear N(0, 0.01), biases 0;
  // masked weights zeroed again.
  void initialise() {
    torch::NoGradGuard no_grad;
    for (const auto& module : modules(/*include_self=*/false)) {
      if (auto* c = dynamic_cast<Conv2dImpl*>(module.get())) {
        torch::nn::init::kaiming_normal_(c->conv->weight, 0.0, torch::kFanOut, torch::kReLU);
        if (c->conv->bias.defined()) torch::nn::init::zeros_(c->conv->bias);
      } else if (auto* l = dynamic_cast<LinearImpl*>(module.get())) {
        torch::nn::init::normal_(l->linear->weight, 0.0, 0.01);
        if (l->linear->bias.defined()) torch::nn::init::zeros_(l->linear->bias);
      }
    }
    for (const auto& child : children()) zero_masked_weights(*child);
  }

  std::vector<VggBlock> blocks_;
  AdaptiveAvgPool2d avgpool_{nullptr};
  Linear fc1_{nullptr}, fc2_{nullptr}, out_{nullptr};
};

}  // namespace

StagedModel make_alexnet(const InputShape& shape, LayerFactory layers) {
  return std::make_shared<AlexNetImpl>(shape, std::move(layers));
}

StagedModel make_vgg16(const InputShape& shape, LayerFactory layers) {
  return std::make_shared<Vgg16Impl>(shape, std::move(layers));
}

}  // namespace iddl::models
