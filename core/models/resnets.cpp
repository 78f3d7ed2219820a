#include "core/models/resnets.hpp"

#include <utility>

#include "core/models/layers.hpp"
#include "core/models/sparsification.hpp"

namespace iddl::models {

namespace {

// A bias-free convolution (3x3 padded by 1, or 1x1 unpadded) followed by batch normalisation.
class ConvBnImpl : public torch::nn::Module {
 public:
  ConvBnImpl(int64_t in, int64_t out, int64_t kernel, int64_t stride, LayerFactory& layers, bool hidden = true)
      : conv(register_module("conv", layers.conv(torch::nn::Conv2dOptions(in, out, kernel)
                                                     .stride(stride)
                                                     .padding(kernel / 2)
                                                     .bias(false),
                                                 hidden))),
        bn(register_module("bn", BatchNorm2d(out))) {}
  // A convolution built by the caller (a shortcut), then batch normalisation of its `out` channels.
  ConvBnImpl(Conv2d conv, int64_t out)
      : conv(register_module("conv", std::move(conv))), bn(register_module("bn", BatchNorm2d(out))) {}

  torch::Tensor forward(const torch::Tensor& x) { return bn(conv(x)); }

  Conv2d conv;
  BatchNorm2d bn;
};
TORCH_MODULE(ConvBn);

// ResNet-9's stage: conv-BN-ReLU to `out` channels, max pool 2 when `pool`, and when `residual`
// x + two further conv-BN-ReLU of x.
class Res9StageImpl : public torch::nn::Module {
 public:
  Res9StageImpl(int64_t in, int64_t out, bool pool, bool residual, LayerFactory& layers, bool hidden = true)
      : conv(register_module("conv", ConvBn(in, out, 3, 1, layers, hidden))) {
    if (pool) this->pool = register_module("pool", MaxPool2d(torch::nn::MaxPool2dOptions(2)));
    if (residual) {
      res1 = register_module("res1", ConvBn(out, out, 3, 1, layers));
      res2 = register_module("res2", ConvBn(out, out, 3, 1, layers));
    }
  }

  torch::Tensor forward(const torch::Tensor& input) {
    torch::Tensor x = torch::relu(conv(input));
    if (pool) x = pool(x);
    if (res1) x = x + torch::relu(res2(torch::relu(res1(x))));
    return x;
  }

  ConvBn conv;
  MaxPool2d pool{nullptr};
  ConvBn res1{nullptr}, res2{nullptr};
};
TORCH_MODULE(Res9Stage);

class ResNet9Impl : public StagedModelImpl {
 public:
  ResNet9Impl(const InputShape& shape, LayerFactory layers)
      : prep_(register_module("prep", Res9Stage(shape.channels, layers.width(64), false, false, layers, false))),
        layer1_(register_module("layer1", Res9Stage(layers.width(64), layers.width(128), true, true, layers))),
        layer2_(register_module("layer2", Res9Stage(layers.width(128), layers.width(256), true, false, layers))),
        layer3_(register_module("layer3", Res9Stage(layers.width(256), layers.width(512), true, true, layers))),
        pool_(register_module("pool", AdaptiveMaxPool2d(torch::nn::AdaptiveMaxPool2dOptions(1)))),
        fc_(register_module("fc", layers.output(layers.width(512), shape.classes, false))) {}

  int64_t stage_count() const override { return 4; }
  torch::Tensor stage(int64_t i, torch::Tensor x) override {
    switch (i) {
      case 0: return prep_(x);
      case 1: return layer1_(x);
      case 2: return layer2_(x);
      default: return layer3_(x);
    }
  }
  torch::Tensor features(torch::Tensor x) override { return pool_(x).flatten(1) * 0.125; }
  torch::Tensor output(torch::Tensor features) override { return fc_(features); }

 private:
  Res9Stage prep_, layer1_, layer2_, layer3_;
  AdaptiveMaxPool2d pool_;
  Linear fc_;
};

// ResNet-18's BasicBlock: relu(bn(conv(relu(bn(conv(x))))) + shortcut(x)), the shortcut a 1x1
// conv-BN when the stride or the channel count changes, else the identity.
class BasicBlockImpl : public torch::nn::Module {
 public:
  BasicBlockImpl(int64_t in, int64_t out, int64_t stride, LayerFactory& layers)
      : conv1(register_module("conv1", ConvBn(in, out, 3, stride, layers))),
        conv2(register_module("conv2", ConvBn(out, out, 3, 1, layers))) {
    if (stride != 1 || in != out)
      shortcut = register_module(
          "shortcut", ConvBn(layers.shortcut(torch::nn::Conv2dOptions(in, out, 1).stride(stride).bias(false)), out));
  }

  torch::Tensor forward(const torch::Tensor& x) {
    torch::Tensor y = conv2(torch::relu(conv1(x)));
    return torch::relu(y + (shortcut ? shortcut(x) : x));
  }

  ConvBn conv1, conv2;
  ConvBn shortcut{nullptr};
};
TORCH_MODULE(BasicBlock);

// Two BasicBlocks, the first with `stride`.
torch::nn::Sequential resnet18_stage(int64_t in, int64_t out, int64_t stride, LayerFactory& layers) {
  BasicBlock first(in, out, stride, layers);  // built before the second: the layer order is fixed
  return torch::nn::Sequential(first, BasicBlock(out, out, 1, layers));
}

class ResNet18Impl : public StagedModelImpl {
 public:
  ResNet18Impl(const InputShape& shape, LayerFactory layers)
      : stem_(register_module("stem", ConvBn(shape.channels, layers.width(64), 3, 1, layers, false))),
        layer1_(register_module("layer1", resnet18_stage(layers.width(64), layers.width(64), 1, layers))),
        layer2_(register_module("layer2", resnet18_stage(layers.width(64), layers.width(128), 2, layers))),
        layer3_(register_module("layer3", resnet18_stage(layers.width(128), layers.width(256), 2, layers))),
        layer4_(register_module("layer4", resnet18_stage(layers.width(256), layers.width(512), 2, layers))),
        pool_(register_module("pool", AdaptiveAvgPool2d(torch::nn::AdaptiveAvgPool2dOptions(1)))),
        fc_(register_module("fc", layers.output(layers.width(512), shape.classes))) {}

  int64_t stage_count() const override { return 5; }
  torch::Tensor stage(int64_t i, torch::Tensor x) override {
    switch (i) {
      case 0: return torch::relu(stem_(x));
      case 1: return layer1_->forward(x);
      case 2: return layer2_->forward(x);
      case 3: return layer3_->forward(x);
      default: return layer4_->forward(x);
    }
  }
  torch::Tensor features(torch::Tensor x) override { return pool_(x).flatten(1); }
  torch::Tensor output(torch::Tensor features) override { return fc_(features); }

 private:
  ConvBn stem_;
  torch::nn::Sequential layer1_, layer2_, layer3_, layer4_;
  AdaptiveAvgPool2d pool_;
  Linear fc_;
};

}  // namespace

StagedModel make_resnet9(const InputShape& shape, LayerFactory layers) {
  return std::make_shared<ResNet9Impl>(shape, std::move(layers));
}

StagedModel make_resnet18(const InputShape& shape, LayerFactory layers) {
  return std::make_shared<ResNet18Impl>(shape, std::move(layers));
}

}  // namespace iddl::models
