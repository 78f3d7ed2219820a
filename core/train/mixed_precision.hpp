#pragma once
#include <torch/torch.h>

#include <optional>
#include <string>

namespace iddl::train {

// The type autocast casts to for the setting `precision` on `device`: nullopt for "fp32", bfloat16 for "bf16",
// float16 for "fp16". Throws std::invalid_argument for another name, or "fp16" on a device other than CUDA.
std::optional<at::ScalarType> autocast_type(const std::string& precision, torch::Device device);

// Autocast to `type` on `device`'s kind (CPU or CUDA) while it lives, the previous autocast state restored
// after; nothing for nullopt.
class AutocastGuard {
 public:
  AutocastGuard(std::optional<at::ScalarType> type, torch::Device device);
  ~AutocastGuard();
  AutocastGuard(const AutocastGuard&) = delete;
  AutocastGuard& operator=(const AutocastGuard&) = delete;

 private:
  std::optional<at::ScalarType> type_;
  bool cuda_;
  bool was_enabled_ = false;
  at::ScalarType was_type_ = at::kFloat;
};

}  // namespace iddl::train
