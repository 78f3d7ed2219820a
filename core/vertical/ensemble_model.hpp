#pragma once
#include <torch/torch.h>

#include <string>
#include <vector>

#include "core/comm/communicator.hpp"
#include "core/models/model.hpp"

namespace iddl::vertical {

// `vertical = "ensemble"` (docs/structure.md): one narrower network (member) per rank, each trained
// alone on its own data order; at test time the members' logits are combined by their mean or by a
// linear layer over all of them (`combine = "linear"`, fitted after each epoch by fit_combiner).
class EnsembleModelImpl : public models::ModelImpl {
 public:
  // `member` is this rank's network; `combine` is "mean" or "linear" (else std::invalid_argument).
  EnsembleModelImpl(models::StagedModel member, comm::Communicator& comm, std::string combine, int64_t classes);

  // Training mode: this member's logits. Eval mode (a collective call): the combined logits.
  torch::Tensor forward(torch::Tensor x) override;
  // Combined loss and accuracy, and each member's accuracy as "member_accuracy.<rank>".
  void score(const torch::Tensor& x, const torch::Tensor& y, models::TestSums& sums) override;
  bool collective() const override { return true; }
  // The member's parameters: the combiner is fitted by fit_combiner.
  std::vector<torch::Tensor> sgd_parameters() override { return member_->parameters(); }

  // For combine = "linear": one pass of SGD on loss() (learning rate `lr`, momentum 0.9) of the combiner over
  // `images` in batches of `batch_size`, in the same order on every rank, the members frozen in eval
  // mode; its traffic counts as training. Does nothing for "mean".
  void fit_combiner(const torch::Tensor& images, const torch::Tensor& labels, int64_t batch_size, double lr,
                    uint64_t seed);

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

  models::StagedModel member_;
  comm::Communicator& comm_;
  std::string combine_;
  torch::nn::Linear combiner_{nullptr};  // linear: [N, ranks * classes] -> [N, classes]
  std::unique_ptr<torch::optim::SGD> combiner_sgd_;
};

}  // namespace iddl::vertical
