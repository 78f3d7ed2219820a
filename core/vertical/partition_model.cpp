#include "core/vertical/partition_model.hpp"

namespace iddl::vertical {

PartitionModelImpl::PartitionModelImpl(models::StagedModel part, comm::Communicator& comm)
    : part_(register_module("part", std::move(part))), comm_(comm) {}

torch::Tensor PartitionModelImpl::forward(torch::Tensor x) {
  const torch::Tensor own = part_->forward(std::move(x));
  torch::Tensor total = own.detach().contiguous().clone();
  comm_.allreduce_sum(total, is_training() ? comm::Traffic::Training : comm::Traffic::Bookkeeping);
  return total + (own - own.detach());  // the sum's value, this part's gradient path
}

}  // namespace iddl::vertical
