#pragma once
#include <torch/torch.h>

#include "core/comm/communicator.hpp"
#include "core/models/model.hpp"

namespace iddl::vertical {

// `vertical = "partition"` (docs/structure.md): the network cut by width into one part per rank, the
// parts joined only at the classifier. The classifier over the concatenated features of all parts is
// the sum of each part's block of it, so each rank applies its own block (its part's output layer,
// the bias on part 0 only) and one allreduce of the partial logits ([N, classes]) stands for gathering
// the features; backward needs no communication. Every rank calls forward on the same samples.
class PartitionModelImpl : public models::ModelImpl {
 public:
  // `part` is this rank's part (built with ModelPart{rank, ranks, rank == 0}).
  PartitionModelImpl(models::StagedModel part, comm::Communicator& comm);

  // The logits of the whole partitioned network, the same on every rank; gradients reach this part only.
  torch::Tensor forward(torch::Tensor x) override;
  bool collective() const override { return true; }

  models::StagedModelImpl& part() { return *part_; }

 private:
  models::StagedModel part_;
  comm::Communicator& comm_;
};

}  // namespace iddl::vertical
