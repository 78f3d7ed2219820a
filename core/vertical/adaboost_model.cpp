#include "core/vertical/adaboost_model.hpp"

#include <stdexcept>
#include <string>

namespace iddl::vertical {

AdaBoostModelImpl::AdaBoostModelImpl(std::vector<models::StagedModel> members, int64_t classes)
    : weights_(members.size(), 0.0), classes_(classes) {
  if (members.empty()) throw std::invalid_argument("adaboost: no members");
  for (size_t k = 0; k < members.size(); ++k)
    members_.push_back(register_module("member" + std::to_string(k), std::move(members[k])));
}

torch::Tensor AdaBoostModelImpl::forward(torch::Tensor x) {
  if (is_training()) return members_[current_]->forward(std::move(x));
  torch::Tensor votes = torch::zeros({x.size(0), classes_}, x.options().dtype(torch::kFloat32));
  for (int64_t k = 0; k <= current_; ++k) {
    const torch::Tensor predicted = members_[k]->forward(x).argmax(1);
    votes.scatter_add_(1, predicted.unsqueeze(1),
                       torch::full({x.size(0), 1}, static_cast<float>(weights_[k]), votes.options()));
  }
  return votes;
}

void AdaBoostModelImpl::score(const torch::Tensor& x, const torch::Tensor& y, models::TestSums& sums) {
  sums.samples += static_cast<double>(x.size(0));
  torch::Tensor votes = torch::zeros({x.size(0), classes_}, torch::TensorOptions().device(x.device()));
  for (int64_t k = 0; k <= current_; ++k) {
    const torch::Tensor logits = members_[k]->forward(x);
    const torch::Tensor predicted = logits.argmax(1);
    sums.extra["member_accuracy." + std::to_string(k)] += predicted.eq(y).sum().item<double>();
    votes.scatter_add_(1, predicted.unsqueeze(1),
                       torch::full({x.size(0), 1}, static_cast<float>(weights_[k]), votes.options()));
    if (k == current_) sums.loss += loss().summed(logits, y).item<double>();
  }
  sums.correct += votes.argmax(1).eq(y).sum().item<double>();
}

void AdaBoostModelImpl::advance() {
  if (current_ + 1 >= members()) throw std::logic_error("adaboost: no member after the last");
  ++current_;
}

}  // namespace iddl::vertical
