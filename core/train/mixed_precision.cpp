#include "core/train/mixed_precision.hpp"

#include <ATen/autocast_mode.h>

#include <stdexcept>

namespace iddl::train {

std::optional<at::ScalarType> autocast_type(const std::string& precision, torch::Device device) {
  if (precision == "fp32") return std::nullopt;
  if (precision == "bf16") return at::kBFloat16;
  if (precision != "fp16") throw std::invalid_argument("unknown precision \"" + precision + "\" (fp32, bf16, fp16)");
  if (!device.is_cuda())
    throw std::invalid_argument("precision = \"fp16\" needs CUDA (LibTorch autocasts to float16 on GPUs only), but "
                                "this run trains on the " + device.str() + "; use precision = \"bf16\" there");
  return at::kHalf;
}

AutocastGuard::AutocastGuard(std::optional<at::ScalarType> type, torch::Device device)
    : type_(type), cuda_(device.is_cuda()) {
  if (!type_) return;
  if (cuda_) {
    was_enabled_ = at::autocast::is_enabled();
    was_type_ = at::autocast::get_autocast_gpu_dtype();
    at::autocast::set_autocast_gpu_dtype(*type_);
    at::autocast::set_enabled(true);
  } else {
    was_enabled_ = at::autocast::is_cpu_enabled();
    was_type_ = at::autocast::get_autocast_cpu_dtype();
    at::autocast::set_autocast_cpu_dtype(*type_);
    at::autocast::set_cpu_enabled(true);
  }
  at::autocast::increment_nesting();
}

AutocastGuard::~AutocastGuard() {
  if (!type_) return;
  if (at::autocast::decrement_nesting() == 0) at::autocast::clear_cache();  // the weights cast in this scope
  if (cuda_) {
    at::autocast::set_enabled(was_enabled_);
    at::autocast::set_autocast_gpu_dtype(was_type_);
  } else {
    at::autocast::set_cpu_enabled(was_enabled_);
    at::autocast::set_autocast_cpu_dtype(was_type_);
  }
}

}  // namespace iddl::train
