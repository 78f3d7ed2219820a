#include "core/models/layers.hpp"

namespace iddl::models {

namespace {
thread_local FlopMeter* active_meter = nullptr;

// Product of a pooling or convolution kernel's sides.
int64_t kernel_area(const torch::ExpandingArray<2>& kernel) { return (*kernel)[0] * (*kernel)[1]; }
}  // namespace

FlopMeter::FlopMeter() : previous_(active_meter) { active_meter = this; }

FlopMeter::~FlopMeter() { active_meter = previous_; }

void FlopMeter::report(int64_t flops) {
  if (active_meter != nullptr) active_meter->total_ += flops;
}

LinearImpl::LinearImpl(const torch::nn::LinearOptions& options)
    : linear(register_module("linear", torch::nn::Linear(options))) {}

torch::Tensor LinearImpl::forward(const torch::Tensor& x) {
  torch::Tensor y = linear(x);
  const auto& o = linear->options;
  const int64_t rows = y.numel() / o.out_features();
  FlopMeter::report(rows * (o.in_features() * o.out_features() + (o.bias() ? o.out_features() : 0)));
  return y;
}

Conv2dImpl::Conv2dImpl(const torch::nn::Conv2dOptions& options)
    : conv(register_module("conv", torch::nn::Conv2d(options))) {}

torch::Tensor Conv2dImpl::forward(const torch::Tensor& x) {
  torch::Tensor y = conv(x);
  const auto& o = conv->options;
  const int64_t per_output = o.in_channels() / o.groups() * kernel_area(o.kernel_size()) + (o.bias() ? 1 : 0);
  FlopMeter::report(y.numel() * per_output);
  return y;
}

BatchNorm2dImpl::BatchNorm2dImpl(int64_t channels)
    : bn(register_module("bn", torch::nn::BatchNorm2d(channels))) {}

torch::Tensor BatchNorm2dImpl::forward(const torch::Tensor& x) {
  FlopMeter::report(2 * x.numel());
  return bn(x);
}

MaxPool2dImpl::MaxPool2dImpl(const torch::nn::MaxPool2dOptions& options)
    : pool(register_module("pool", torch::nn::MaxPool2d(options))) {}

torch::Tensor MaxPool2dImpl::forward(const torch::Tensor& x) {
  torch::Tensor y = pool(x);
  FlopMeter::report(y.numel() * kernel_area(pool->options.kernel_size()));
  return y;
}

AdaptiveAvgPool2dImpl::AdaptiveAvgPool2dImpl(const torch::nn::AdaptiveAvgPool2dOptions& options)
    : pool(register_module("pool", torch::nn::AdaptiveAvgPool2d(options))) {}

torch::Tensor AdaptiveAvgPool2dImpl::forward(const torch::Tensor& x) {
  FlopMeter::report(x.numel());
  return pool(x);
}

AdaptiveMaxPool2dImpl::AdaptiveMaxPool2dImpl(const torch::nn::AdaptiveMaxPool2dOptions& options)
    : pool(register_module("pool", torch::nn::AdaptiveMaxPool2d(options))) {}

torch::Tensor AdaptiveMaxPool2dImpl::forward(const torch::Tensor& x) {
  FlopMeter::report(x.numel());
  return pool(x);
}

int64_t multiplicative_weights(const torch::nn::Module& module) {
  if (const auto* layer = dynamic_cast<const LinearImpl*>(&module)) return layer->linear->weight.numel();
  if (const auto* layer = dynamic_cast<const Conv2dImpl*>(&module)) return layer->conv->weight.numel();
  return 0;
}

}  // namespace iddl::models
