#pragma once
#include <torch/torch.h>

#include <cstdint>
#include <vector>

namespace iddl::train {

// A model's parameters and their gradients as views into two flat buffers of one layout, last parameter first (the
// order backward produces the gradients), so that a sum or an optimizer update runs over one buffer and nothing is
// copied. The values keep what they held; the gradients start at zero.
class FlatParameters {
 public:
  // Every parameter needs the first one's type and device (std::invalid_argument otherwise). The gradients live in
  // `gradient_storage` when it is given (1-D, as many values as the parameters, of their type and device; e.g. memory
  // other ranks read), else in a buffer of their own.
  explicit FlatParameters(const std::vector<torch::Tensor>& parameters, torch::Tensor gradient_storage = {});

  const std::vector<torch::Tensor>& parameters() const { return parameters_; }
  // All values / all gradients, in the layout.
  const torch::Tensor& values() const { return values_; }
  const torch::Tensor& gradients() const { return gradients_; }
  // Where parameter `index` (of the constructor's list) starts in the layout, in elements.
  int64_t offset(size_t index) const { return offsets_[index]; }
  // Parameter `index`'s slice of a buffer of the layout, shaped as the parameter.
  torch::Tensor slice(const torch::Tensor& flat, size_t index) const;
  // Throws std::logic_error naming the parameter when a value or a gradient no longer lives in the buffers (set to
  // none, replaced, or loaded into).
  void check_in_place() const;
  // Copies values that were replaced (e.g. loaded from a checkpoint) back into the buffer and makes them views again.
  void relink();
  // Whether `parameters` are exactly this layout's (the same tensors, in any order).
  bool covers(const std::vector<torch::Tensor>& parameters) const;

 private:
  std::vector<torch::Tensor> parameters_;
  std::vector<int64_t> offsets_;
  torch::Tensor values_;
  torch::Tensor gradients_;
};

}  // namespace iddl::train
