#pragma once
#include <torch/torch.h>

#include <map>
#include <string>
#include <vector>

#include "core/comm/communicator.hpp"
#include "core/models/model.hpp"

namespace iddl::vertical {

// `vertical = "ensemble"` (docs/structure.md): one narrower network (member) per rank. With training
// "separate" each member trains alone on its own data order and at test time the members' logits are
// combined by their mean or by a linear layer over all of them (`combine = "linear"`, fitted after each
// epoch by fit_combiner). With training "end_to_end" (combine "linear", seed 000's
// resnet_vertical_ensemble.py) every rank trains on the same batches: the members' logits are
// gathered, the combiner applied on every rank, and one loss on its output trains members and combiner.
class EnsembleModelImpl : public models::ModelImpl {
 public:
  // `member` is this rank's network; `combine` is "mean" or "linear", `training` "separate" or
  // "end_to_end" (which needs "linear"); else std::invalid_argument.
  EnsembleModelImpl(models::StagedModel member, comm::Communicator& comm, std::string combine, int64_t classes,
                    std::string training = "separate");

  // Training mode: this member's logits (separate), or the combined logits with gradients to this
  // member and the combiner (end_to_end, a collective call). Eval mode (a collective call): the combined logits.
  torch::Tensor forward(torch::Tensor x) override;
  // Combined loss and accuracy, and each member's accuracy as "member_accuracy.<rank>".
  void score(const torch::Tensor& x, const torch::Tensor& y, models::TestSums& sums) override;
  bool collective() const override { return true; }
  // separate: the member's parameters (the combiner is fitted by fit_combiner); end_to_end: the
  // member's and the combiner's.
  std::vector<torch::Tensor> sgd_parameters() override;
  // Whether members and combiner train together on one loss (training = "end_to_end").
  bool end_to_end() const { return end_to_end_; }

  // For combine = "linear" with training "separate": one pass of SGD on loss() (learning rate `lr`, momentum 0.9) of the combiner over
  // `images` in batches of `batch_size`, in the same order on every rank, the members frozen in eval
  // mode; its traffic counts as training. Does nothing for "mean" or "end_to_end".
  void fit_combiner(const torch::Tensor& images, const torch::Tensor& labels, int64_t batch_size, double lr,
                    uint64_t seed);

  // The combiner's SGD momentum buffers ("combiner_momentum_<i>", by parameter), for a checkpoint (the combiner's
  // weights are the module's).
  std::map<std::string, torch::Tensor> combiner_state() const;
  // Puts back what combiner_state() returned.
  void restore_combiner_state(const std::map<std::string, torch::Tensor>& state);

  models::StagedModelImpl& member() { return *member_; }
  // Trainable parameters of the combiner (0 for "mean").
  int64_t combiner_parameters() const;
  // Multiply-accumulates of the combiner per sample (0 for "mean").
  int64_t combiner_flops() const;

 private:
  // The members' logits of `x` from every rank: [ranks, N, classes] (no gradient).
  torch::Tensor gather_logits(const torch::Tensor& x, comm::Traffic traffic);
  // The combined logits of the members' logits [ranks, N, classes].
  torch::Tensor combine(const torch::Tensor& all);
  // end_to_end training: the combiner over the gathered logits, this rank's slice its member's own output.
  torch::Tensor joint_logits(const torch::Tensor& x);

  models::StagedModel member_;
  comm::Communicator& comm_;
  std::string combine_;
  bool end_to_end_ = false;
  torch::nn::Linear combiner_{nullptr};  // linear: [N, ranks * classes] -> [N, classes]
  std::unique_ptr<torch::optim::SGD> combiner_sgd_;
};

}  // namespace iddl::vertical
