#include "core/train/flat_sgd.hpp"

#include <c10/util/string_utils.h>

#include <stdexcept>

namespace iddl::train {
namespace {

// torch::optim::SGD's key of a parameter's state.
std::string state_key(const torch::Tensor& p) { return c10::guts::to_string(p.unsafeGetTensorImpl()); }

}  // namespace

FlatSgd::FlatSgd(const FlatParameters& flat, const torch::optim::SGDOptions& options)
    : flat_(flat), options_(options) {
  if (options.dampening() != 0.0) throw std::invalid_argument("flat SGD: dampening is not supported");
  if (!flat.values().device().is_cpu()) throw std::invalid_argument("flat SGD: the parameters must be on the CPU");
}

void FlatSgd::zero_grad() { flat_.gradients().zero_(); }

void FlatSgd::step() {
  flat_.check_in_place();
  switch (flat_.values().scalar_type()) {
    case torch::kFloat32: return update<float>();
    case torch::kFloat64: return update<double>();
    default: throw std::invalid_argument("flat SGD: parameters must be float32 or float64");
  }
}

// As torch::optim::SGD: d = g + wd·p; b = d on the first step, else m·b + d; d = d + m·b (Nesterov) or b;
// p = p − lr·d; in one pass.
template <typename T>
void FlatSgd::update() {
  const int64_t n = flat_.values().numel();
  const bool with_momentum = options_.momentum() != 0.0;
  const bool first = with_momentum && !momentum_.defined();
  if (first) momentum_ = torch::empty_like(flat_.values());
  T* p = flat_.values().data_ptr<T>();
  const T* g = flat_.gradients().data_ptr<T>();
  T* b = with_momentum ? momentum_.data_ptr<T>() : nullptr;
  const auto wd = static_cast<T>(options_.weight_decay());
  const auto m = static_cast<T>(options_.momentum());
  const auto rate = static_cast<T>(-options_.lr());
  const bool nesterov = options_.nesterov();
  for (int64_t i = 0; i < n; ++i) {
    T d = g[i];
    if (wd != 0) d += wd * p[i];
    if (with_momentum) {
      b[i] = first ? d : b[i] * m + d;
      d = nesterov ? d + m * b[i] : b[i];
    }
    p[i] += rate * d;
  }
}

void FlatSgd::export_state(torch::optim::SGD& per_tensor) const {
  if (!momentum_.defined()) return;
  for (size_t k = 0; k < flat_.parameters().size(); ++k) {
    auto state = std::make_unique<torch::optim::SGDParamState>();
    state->momentum_buffer(flat_.slice(momentum_, k).clone());
    per_tensor.state()[state_key(flat_.parameters()[k])] = std::move(state);
  }
}

void FlatSgd::import_state(const torch::optim::SGD& per_tensor) {
  const auto& states = per_tensor.state();
  if (states.empty()) {
    momentum_ = torch::Tensor();
    return;
  }
  momentum_ = torch::empty_like(flat_.values());
  torch::NoGradGuard no_grad;
  for (size_t k = 0; k < flat_.parameters().size(); ++k) {
    const auto found = states.find(state_key(flat_.parameters()[k]));
    if (found == states.end())
      throw std::invalid_argument("flat SGD: the checkpoint has no momentum for parameter " + std::to_string(k));
    flat_.slice(momentum_, k).copy_(static_cast<const torch::optim::SGDParamState&>(*found->second).momentum_buffer());
  }
}

}  // namespace iddl::train
