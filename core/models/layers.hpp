#pragma once
#include <torch/torch.h>

#include <cstdint>

// IDDL's layers: thin wrappers of the torch modules that report their FLOPs (multiply-accumulates,
// docs/models.md) to the FlopMeter active on the calling thread, computed from the real shapes.
namespace iddl::models {

// Sums the FLOPs that layers report on this thread while it lives; the newest live meter counts.
class FlopMeter {
 public:
  // Becomes this thread's active meter.
  FlopMeter();
  // Gives the thread back to the meter that was active before.
  ~FlopMeter();
  FlopMeter(const FlopMeter&) = delete;
  FlopMeter& operator=(const FlopMeter&) = delete;

  // FLOPs reported since construction.
  int64_t total() const { return total_; }
  // Adds `flops` to this thread's active meter, if there is one.
  static void report(int64_t flops);

 private:
  FlopMeter* previous_;
  int64_t total_ = 0;
};

// Fully connected layer over the last dimension: in*out (+ out with bias) per row. With a mask
// ([out, in] of 0/1, docs/sparsity.md) its masked weights are zeroed at construction and stay zero
// as long as the trainer applies mask_gradients before each step (the dense product then computes
// the masked layer: no per-step weight * mask), and it reports only connections (+ out with bias)
// per row.
class LinearImpl : public torch::nn::Module {
 public:
  explicit LinearImpl(const torch::nn::LinearOptions& options, torch::Tensor mask = {});
  torch::Tensor forward(const torch::Tensor& x);
  torch::nn::Linear linear{nullptr};
  torch::Tensor mask;  // undefined for a dense layer
  int64_t connections;  // weight entries that compute: in*out, or the mask's ones
};
TORCH_MODULE(Linear);

// 2-D convolution: (in/groups * kh * kw (+1 with bias)) per output element. With a channel mask
// ([out, in/groups] of 0/1, repeated over the kernel window) its masked weights are zeroed at
// construction and kept zero by mask_gradients, as Linear's, and it reports (ones in the mask's row * kh * kw
// (+1)) per output element.
class Conv2dImpl : public torch::nn::Module {
 public:
  explicit Conv2dImpl(const torch::nn::Conv2dOptions& options, torch::Tensor mask = {});
  torch::Tensor forward(const torch::Tensor& x);
  torch::nn::Conv2d conv{nullptr};
  torch::Tensor mask;  // [out, in/groups, 1, 1]; undefined for a dense layer
  int64_t connections;  // weight entries that compute: the weight's size, or the mask's ones * kh * kw
};
TORCH_MODULE(Conv2d);

// Batch normalisation over channels: 2 per element.
class BatchNorm2dImpl : public torch::nn::Module {
 public:
  explicit BatchNorm2dImpl(int64_t channels);
  torch::Tensor forward(const torch::Tensor& x);
  torch::nn::BatchNorm2d bn{nullptr};
};
TORCH_MODULE(BatchNorm2d);

// Max pooling: kh * kw per output element.
class MaxPool2dImpl : public torch::nn::Module {
 public:
  explicit MaxPool2dImpl(const torch::nn::MaxPool2dOptions& options);
  torch::Tensor forward(const torch::Tensor& x);
  torch::nn::MaxPool2d pool{nullptr};
};
TORCH_MODULE(MaxPool2d);

// Adaptive average pooling: 1 per input element.
class AdaptiveAvgPool2dImpl : public torch::nn::Module {
 public:
  explicit AdaptiveAvgPool2dImpl(const torch::nn::AdaptiveAvgPool2dOptions& options);
  torch::Tensor forward(const torch::Tensor& x);
  torch::nn::AdaptiveAvgPool2d pool{nullptr};
};
TORCH_MODULE(AdaptiveAvgPool2d);

// Adaptive max pooling: 1 per input element.
class AdaptiveMaxPool2dImpl : public torch::nn::Module {
 public:
  explicit AdaptiveMaxPool2dImpl(const torch::nn::AdaptiveMaxPool2dOptions& options);
  torch::Tensor forward(const torch::Tensor& x);
  torch::nn::AdaptiveMaxPool2d pool{nullptr};
};
TORCH_MODULE(AdaptiveMaxPool2d);

// The multiplicative weights of `module` that compute if it is a Linear or Conv2d layer (all of
// them, or those its mask keeps), else 0.
int64_t multiplicative_weights(const torch::nn::Module& module);

// Zeroes the masked entries of the gradients of every masked layer of `model` (in place). The
// trainer calls it after backward, so the masked weights never move and no exchange carries their
// entries; an exchange that may fill them in again (sign or low-rank compression) calls it after.
void mask_gradients(torch::nn::Module& model);

// Zeroes the masked weights of every masked layer of `model` (in place): after an exchange of weights
// that may fill them in.
void zero_masked_weights(torch::nn::Module& model);

// The weight entries the mask of `module` holds at zero (0 for a dense or non-weight layer).
int64_t masked_weights(const torch::nn::Module& module);

}  // namespace iddl::models
