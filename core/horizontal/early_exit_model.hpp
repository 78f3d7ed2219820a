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
  std::string branch = "pool_linear";     // what a branch is: "pool_linear" or "conv_linear" (see Branch)
  std::string branch_training = "joint";  // "joint": the branches' losses train the trunk too; "detached": not
};

// A classifier branch after a stage whose output, for one sample, has shape `features` ([C, H, W] maps
// or [F]). "pool_linear": global average pooling for maps, then a Linear layer to the classes.
// "conv_linear" (seed 000, resnet/main_manual.py e1_Net): a 3x3 convolution to 32 channels (stride 1,
// padding 1, bias) and ReLU, flattened into a Linear layer to the classes; weights drawn as the seed's
// random_weight (normal, std sqrt(2 / fan_in)), biases 0. Throws std::invalid_argument for an unknown
// kind, or conv_linear on a stage that gives no maps.
class BranchImpl : public torch::nn::Module {
 public:
  BranchImpl(const std::vector<int64_t>& features, int64_t classes, const std::string& kind);
  torch::Tensor forward(const torch::Tensor& x);

 private:
  models::AdaptiveAvgPool2d pool_{nullptr};
  models::Conv2d conv_{nullptr};
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
  // outside (0, 1], a negative branch weight, an unknown branch or branch training (or one the
  // stage's output cannot take).
  EarlyExitModelImpl(models::StagedModel backbone, const EarlyExitOptions& options, const models::InputShape& shape);

  // Training mode: the final logits. Eval mode: each sample's logits at the exit it leaves by (or the
  // backbone alone, branches skipped, when exiting is off; or exit k's, when a single exit is set).
  torch::Tensor forward(torch::Tensor x) override;
  // The weighted sum of the exits' losses; with branch_training "detached" the branches read the
  // stages' outputs detached, so their losses move only the branches.
  torch::Tensor training_loss(const torch::Tensor& x, const torch::Tensor& y) override;
  // Loss and accuracy of the early-exit decision, and per exit k: "exit_accuracy.k" (of every sample
  // at that exit), "exit_fraction.k" (of the samples that leave there), plus "mean_inference_flops" (the FLOPs each sample used).
  void score(const torch::Tensor& x, const torch::Tensor& y, models::TestSums& sums) override;

  // Turns early exiting at inference on (default) or off (the backbone alone: the no-exit baseline).
  void set_exiting(bool on) { exiting_ = on; }
  // Makes eval forward give every sample's logits at exit k (1-based; E+1 the network's own output),
  // computing only what exit k needs: the stages before it and its branch (for E+1 the backbone
  // alone). 0 goes back to the early-exit decision. Throws std::invalid_argument outside [0, E+1].
  void set_single_exit(int64_t k);
  // FLOPs of one sample leaving at exit k (1-based; E+1 the final output): the stages it crosses and
  // every branch it meets.
  const std::vector<int64_t>& exit_flops() const { return exit_flops_; }
  // FLOPs of one sample through the backbone without branches.
  int64_t baseline_flops() const { return baseline_flops_; }
  models::StagedModelImpl& backbone() { return *backbone_; }

 private:
  // The logits of every exit for every sample of `x`, in exit order; the branches read the stages'
  // outputs detached when `detach` is set.
  std::vector<torch::Tensor> all_exits(torch::Tensor x, bool detach = false);
  // Every sample's logits at branch `b` (0-based), computing only the stages before it.
  torch::Tensor branch_only(torch::Tensor x, size_t b);
  // Measures exit_flops_ and baseline_flops_ on one zero sample of `shape`.
  void count_exit_flops(const models::InputShape& shape);

  models::StagedModel backbone_;
  std::vector<int64_t> exit_after_;  // 0-based stage index each branch follows, ascending
  std::vector<Branch> branches_;
  double branch_weight_;
  double threshold_;
  bool detached_;
  bool exiting_ = true;
  int64_t single_exit_ = 0;
  std::vector<int64_t> exit_flops_;
  int64_t baseline_flops_ = 0;
};

}  // namespace iddl::horizontal
