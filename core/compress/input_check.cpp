#include "core/compress/input_check.hpp"

#include <stdexcept>

namespace iddl::compress {
namespace {

// "a non-contiguous Half tensor on cuda:0", as an error message names what it got.
std::string described(const torch::Tensor& tensor) {
  if (!tensor.defined()) return "an undefined tensor";
  return std::string(tensor.is_contiguous() ? "a " : "a non-contiguous ") + c10::toString(tensor.scalar_type()) +
         " tensor on " + tensor.device().str();
}

}  // namespace

void check_input(const torch::Tensor& values, const std::string& method, bool cpu_only) {
  if (values.defined() && values.is_contiguous() && values.scalar_type() == torch::kFloat32 &&
      (!cpu_only || values.device().is_cpu()))
    return;
  throw std::invalid_argument(method + ": expected a contiguous float32 " + (cpu_only ? "CPU " : "") +
                              "tensor, got " + described(values));
}

void check_sum(const torch::Tensor& sum, const std::string& method, const torch::Device& device) {
  if (sum.defined() && sum.is_contiguous() && sum.scalar_type() == torch::kFloat32 && sum.device() == device) return;
  throw std::invalid_argument(method + " decode: the sum must be a contiguous float32 tensor on " + device.str() +
                              ", got " + described(sum));
}

}  // namespace iddl::compress
