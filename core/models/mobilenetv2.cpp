#include "core/models/mobilenetv2.hpp"

#include <array>
#include <utility>

#include "core/models/layers.hpp"

namespace iddl::models {
namespace {

torch::Tensor clipped_relu(const torch::Tensor& x) { return torch::hardtanh(x, 0.0, 6.0); }

// Conv (bias-free, padded to keep the size at stride 1) then batch normalisation.
class ConvBnImpl : public torch::nn::Module {
 public:
  ConvBnImpl(Conv2d conv, int64_t out) : conv(register_module("conv", std::move(conv))), bn(register_module("bn", BatchNorm2d(out))) {}
  torch::Tensor forward(const torch::Tensor& x) { return bn(conv(x)); }
  Conv2d conv;
  BatchNorm2d bn;
};
TORCH_MODULE(ConvBn);

torch::nn::Conv2dOptions conv_options(int64_t in, int64_t out, int64_t kernel, int64_t stride, int64_t groups = 1) {
  return torch::nn::Conv2dOptions(in, out, kernel).stride(stride).padding(kernel / 2).groups(groups).bias(false);
}

// Inverted residual: 1x1 expansion to t*in (left out when t = 1), 3x3 depthwise at `stride`, 1x1
// linear projection to `out`; the input added when stride is 1 and in == out.
class InvertedResidualImpl : public torch::nn::Module {
 public:
  InvertedResidualImpl(int64_t in, int64_t out, int64_t expansion, int64_t stride, LayerFactory& layers)
      : residual_(stride == 1 && in == out) {
    const int64_t hidden = in * expansion;
    if (expansion != 1)
      expand = register_module("expand", ConvBn(layers.conv(conv_options(in, hidden, 1, 1), true), hidden));
    depthwise = register_module("depthwise", ConvBn(Conv2d(conv_options(hidden, hidden, 3, stride, hidden)), hidden));
    project = register_module("project", ConvBn(layers.conv(conv_options(hidden, out, 1, 1), true), out));
  }

  torch::Tensor forward(const torch::Tensor& x) {
    torch::Tensor y = expand ? clipped_relu(expand(x)) : x;
    y = project(clipped_relu(depthwise(y)));
    return residual_ ? x + y : y;
  }

  ConvBn expand{nullptr}, depthwise{nullptr}, project{nullptr};

 private:
  bool residual_;
};
TORCH_MODULE(InvertedResidual);

struct GroupSpec {
  int64_t expansion, width, blocks, stride;
};
constexpr std::array<GroupSpec, 7> kGroups{{{1, 16, 1, 1},
                                            {6, 24, 2, 1},
                                            {6, 32, 3, 2},
                                            {6, 64, 4, 2},
                                            {6, 96, 3, 1},
                                            {6, 160, 3, 2},
                                            {6, 320, 1, 1}}};

class MobileNetV2Impl : public StagedModelImpl {
 public:
  MobileNetV2Impl(const InputShape& shape, LayerFactory layers) {
    const int64_t stem_width = layers.width(32);
    stem_ = register_module("stem", ConvBn(layers.conv(conv_options(shape.channels, stem_width, 3, 1), false), stem_width));
    int64_t in = stem_width;
    for (size_t g = 0; g < kGroups.size(); ++g) {
      const GroupSpec& spec = kGroups[g];
      const int64_t out = layers.width(spec.width);
      torch::nn::Sequential group;
      for (int64_t b = 0; b < spec.blocks; ++b) {
        group->push_back(InvertedResidual(in, out, spec.expansion, b == 0 ? spec.stride : 1, layers));
        in = out;
      }
      groups_.push_back(register_module("group" + std::to_string(g + 1), group));
    }
    const int64_t last_width = layers.width(1280);
    last_ = register_module("last", ConvBn(layers.conv(conv_options(in, last_width, 1, 1), true), last_width));
    pool_ = register_module("pool", AdaptiveAvgPool2d(torch::nn::AdaptiveAvgPool2dOptions(1)));
    fc_ = register_module("fc", layers.output(last_width, shape.classes));
  }

  int64_t stage_count() const override { return static_cast<int64_t>(groups_.size()) + 2; }
  torch::Tensor stage(int64_t i, torch::Tensor x) override {
    if (i == 0) return clipped_relu(stem_(x));
    if (i <= static_cast<int64_t>(groups_.size())) return groups_[static_cast<size_t>(i - 1)]->forward(x);
    return clipped_relu(last_(x));
  }
  torch::Tensor features(torch::Tensor x) override { return pool_(x).flatten(1); }
  torch::Tensor output(torch::Tensor features) override { return fc_(features); }

 private:
  ConvBn stem_{nullptr};
  std::vector<torch::nn::Sequential> groups_;
  ConvBn last_{nullptr};
  AdaptiveAvgPool2d pool_{nullptr};
  Linear fc_{nullptr};
};

}  // namespace

StagedModel make_mobilenetv2(const InputShape& shape, LayerFactory layers) {
  return std::make_shared<MobileNetV2Impl>(shape, std::move(layers));
}

}  // namespace iddl::models
