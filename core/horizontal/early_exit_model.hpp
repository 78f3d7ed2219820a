#pragma once
#include <torch/torch.h>

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "core/models/layers.hpp"
#include "core/models/model.hpp"

namespace iddl::horizontal {

// Where the branches of an early-exit network sit and how they train and decide (docs/structure.md).
struct EarlyExitOptions {
  std::vector<int64_t> exits;   // stages (1-based) followed by a branch; empty: every stage but the last
  double branch_weight = 1.0;   // training loss = loss(final) + branch_weight * sum of the branches' losses
  double threshold = 0.9;       // a sample leaves at the first branch whose top softmax probability >= this
};

// A classifier branch after a stage: global average pooling for maps, then a Linear layer to the classes.
class BranchImpl : public torch::nn::Module {
 public:
  BranchImpl(int64_t features, int64_t classes, bool maps);
  torch::Tensor forward(const torch::Tensor& x);

 private:
  models::AdaptiveAvgPool2d pool_{nullptr};
  models::Linear linear_{nullptr};
};
TORCH_MODULE(Branch);

// `horizontal = "early_exit"` (BranchyNet): a staged network with classifier branches after chosen
// stages. Training minimizes the weighted sum of all exits' losses; in eval mode forward sends each
// sample through the stages until a branch is confident enough and computes nothing further for it.
// Exits are numbered 1..E for the branches and E+1 for the network's own output.
class EarlyExitModelImpl : public models::ModelImpl {
 public:
  // Throws std::invalid_argument for an exit outside [1, stages - 1], repeated exits, a threshold
  // outside (0, 1] or a negative branch weight.
  EarlyExitModelImpl(models::StagedModel backbone, const EarlyExitOptions& options, const models::InputShape& shape);

  // Training mode: the final logits. Eval mode: each sample's logits at the exit it leaves by (or the
  // backbone alone, branches skipped, when exiting is off).
  torch::Tensor forward(torch::Tensor x) override;
  torch::Tensor training_loss(const torch::Tensor& x, const torch::Tensor& y) override;
  // Loss and accuracy of the early-exit decision, and per exit k: "exit_accuracy.k" (of every sample
  // at that exit), "exit_fraction.k" (of the samples that leave there), plus "mean_inference_flops" (the FLOPs each sample used).
  void score(const torch::Tensor& x, const torch::Tensor& y, models::TestSums& sums) override;

  // Turns early exiting at inference on (default) or off (the backbone alone: the no-exit baseline).
  void set_exiting(bool on) { exiting_ = on; }
  // FLOPs of one sample leaving at exit k (1-based; E+1 the final output): the stages it crosses and
  // every branch it meets.
  const std::vector<int64_t>& exit_flops() const { return exit_flops_; }
  // FLOPs of one sample through the backbone without branches.
  int64_t baseline_flops() const { return baseline_flops_; }
  models::StagedModelImpl& backbone() { return *backbone_; }

 private:
  // The logits of every exit for every sample of `x`, in exit order.
  std::vector<torch::Tensor> all_exits(torch::Tensor x);
  // Measures exit_flops_ and baseline_flops_ on one zero sample of `shape`.
  void count_exit_flops(const models::InputShape& shape);

  models::StagedModel backbone_;
  std::vector<int64_t> exit_after_;  // 0-based stage index each branch follows, ascending
  std::vector<Branch> branches_;
  double branch_weight_;
  double threshold_;
  bool exiting_ = true;
  std::vector<int64_t> exit_flops_;
  int64_t baseline_flops_ = 0;
};

}  // namespace iddl::horizontal
