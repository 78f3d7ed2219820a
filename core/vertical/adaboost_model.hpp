#pragma once
#include <torch/torch.h>

#include <cstdint>
#include <vector>

#include "core/models/model.hpp"

namespace iddl::vertical {

// `vertical = "adaboost"` (docs/structure.md): K whole networks (members) trained in turn on one rank
// (AdaBoostTrainer), predicting by their vote weighted by each member's hypothesis weight (SAMME, seed
// 000's resnet/ensemble.py). Members after the current one are not trained yet and do not vote.
class AdaBoostModelImpl : public models::ModelImpl {
 public:
  // `members` in training order, for `classes` classes; member 0 is the current one, every weight 0.
  AdaBoostModelImpl(std::vector<models::StagedModel> members, int64_t classes);

  // Training mode: the current member's logits. Eval mode: the vote of members 0..current, the sum of
  // weight(k) * one_hot(argmax of member k's logits) [N, classes] (argmax: the ensemble's prediction).
  torch::Tensor forward(torch::Tensor x) override;
  // Accuracy of the vote; loss: the current member's loss() (the vote has none); each member's own
  // accuracy as "member_accuracy.<k>" (k 0-based) for members 0..current.
  void score(const torch::Tensor& x, const torch::Tensor& y, models::TestSums& sums) override;
  // The current member's parameters.
  std::vector<torch::Tensor> sgd_parameters() override { return members_[current_]->parameters(); }

  int64_t members() const { return static_cast<int64_t>(members_.size()); }
  int64_t current() const { return current_; }
  models::StagedModelImpl& member(int64_t k) { return *members_[k]; }
  double weight(int64_t k) const { return weights_[k]; }
  void set_weight(int64_t k, double weight) { weights_[k] = weight; }
  int64_t member_classes() const { return classes_; }
  // Makes the next member the current one (std::logic_error past the last).
  void advance();

 private:
  std::vector<models::StagedModel> members_;
  std::vector<double> weights_;
  int64_t classes_;
  int64_t current_ = 0;
};

}  // namespace iddl::vertical
