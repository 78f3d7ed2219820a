#include "core/models/layers.hpp"

namespace iddl::models {

namespace {
thread_local FlopMeter* active_meter = nullptr;

// Product of a pooling kernel's sides.
int64_t kernel_area(const torch::ExpandingArray<2>& kernel) { return (*kernel)[0] * (*kernel)[1]; }

// Sets the entries of `weight` where `mask` (broadcast to its shape) is 0 to 0.
void zero_masked(torch::Tensor& weight, const torch::Tensor& mask) {
  torch::NoGradGuard no_grad;
  weight.mul_(mask);
}

// Zeroes the entries of `weight`'s gradient where `mask` is 0.
void mask_gradient(torch::Tensor& weight, const torch::Tensor& mask) {
  if (weight.grad().defined()) weight.mutable_grad().mul_(mask);
}
}  // namespace

FlopMeter::FlopMeter() : previous_(active_meter) { active_meter = this; }

FlopMeter::~FlopMeter() { active_meter = previous_; }

void FlopMeter::report(int64_t flops) {
  if (active_meter != nullptr) active_meter->total_ += flops;
}

LinearImpl::LinearImpl(const torch::nn::LinearOptions& options, torch::Tensor mask)
    : linear(register_module("linear", torch::nn::Linear(options))), connections(linear->weight.numel()) {
  if (!mask.defined()) return;
  TORCH_CHECK(mask.sizes() == linear->weight.sizes(), "Linear mask shape ", mask.sizes(), " is not the weight's ",
              linear->weight.sizes());
  this->mask = register_buffer("mask", mask.to(linear->weight.options()));
  zero_masked(linear->weight, this->mask);
  connections = this->mask.count_nonzero().item<int64_t>();
}

torch::Tensor LinearImpl::forward(const torch::Tensor& x) {
  torch::Tensor y = linear(x);
  const auto& o = linear->options;
  const int64_t rows = y.numel() / o.out_features();
  FlopMeter::report(rows * (connections + (o.bias() ? o.out_features() : 0)));
  return y;
}

Conv2dImpl::Conv2dImpl(const torch::nn::Conv2dOptions& options, torch::Tensor mask)
    : conv(register_module("conv", torch::nn::Conv2d(options))), connections(conv->weight.numel()) {
  if (!mask.defined()) return;
  const auto& w = conv->weight;
  TORCH_CHECK(mask.dim() == 2 && mask.size(0) == w.size(0) && mask.size(1) == w.size(1), "Conv2d channel mask shape ",
              mask.sizes(), " is not [out, in/groups] of the weight ", w.sizes());
  this->mask = register_buffer("mask", mask.to(w.options()).view({w.size(0), w.size(1), 1, 1}));
  zero_masked(conv->weight, this->mask);
  connections = this->mask.count_nonzero().item<int64_t>() * w.size(2) * w.size(3);
}

torch::Tensor Conv2dImpl::forward(const torch::Tensor& x) {
  const auto& o = conv->options;
  torch::Tensor y = conv(x);
  const int64_t per_position = connections + (o.bias() ? o.out_channels() : 0);
  FlopMeter::report(y.numel() / o.out_channels() * per_position);
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
  if (const auto* layer = dynamic_cast<const LinearImpl*>(&module)) return layer->connections;
  if (const auto* layer = dynamic_cast<const Conv2dImpl*>(&module)) return layer->connections;
  return 0;
}

void mask_gradients(torch::nn::Module& model) {
  for (const auto& module : model.modules()) {
    if (auto* layer = dynamic_cast<LinearImpl*>(module.get()); layer && layer->mask.defined())
      mask_gradient(layer->linear->weight, layer->mask);
    if (auto* layer = dynamic_cast<Conv2dImpl*>(module.get()); layer && layer->mask.defined())
      mask_gradient(layer->conv->weight, layer->mask);
  }
}

void zero_masked_weights(torch::nn::Module& model) {
  for (const auto& module : model.modules()) {
    if (auto* layer = dynamic_cast<LinearImpl*>(module.get()); layer && layer->mask.defined())
      zero_masked(layer->linear->weight, layer->mask);
    if (auto* layer = dynamic_cast<Conv2dImpl*>(module.get()); layer && layer->mask.defined())
      zero_masked(layer->conv->weight, layer->mask);
  }
}

int64_t masked_weights(const torch::nn::Module& module) {
  if (const auto* layer = dynamic_cast<const LinearImpl*>(&module)) return layer->linear->weight.numel() - layer->connections;
  if (const auto* layer = dynamic_cast<const Conv2dImpl*>(&module)) return layer->conv->weight.numel() - layer->connections;
  return 0;
}

}  // namespace iddl::models
