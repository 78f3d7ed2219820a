#include "core/parallel/gossip_strategy.hpp"

#include <cmath>
#include <stdexcept>

#include "core/train/flat_tensors.hpp"
#include "core/parallel/model_state.hpp"

namespace iddl::parallel {

GossipStrategy::GossipStrategy(comm::Communicator& comm, int64_t period, double share_fraction)
    : LocalReplicasStrategy(comm), period_(period), share_fraction_(share_fraction) {
  if (period_ < 1) throw std::invalid_argument("gossip period must be at least 1");
  if (!(share_fraction_ > 0.0 && share_fraction_ <= 1.0))
    throw std::invalid_argument("gossip share_fraction must be in (0, 1]");
}

int64_t GossipStrategy::slice_length(int64_t entries, double share_fraction) {
  const auto length = static_cast<int64_t>(std::ceil(share_fraction * static_cast<double>(entries)));
  return std::min(entries, std::max<int64_t>(1, length));
}

void GossipStrategy::after_step(torch::nn::Module& model) {
  if (comm_.size() > 1 && ++steps_ % period_ == 0) exchange(model);
}

void GossipStrategy::exchange(torch::nn::Module& model) {
  const std::vector<torch::Tensor> state = float_state(model);
  torch::Tensor flat = train::flatten_values(state);
  const int64_t entries = flat.numel();
  const int64_t length = slice_length(entries, share_fraction_);
  const torch::Tensor rows =
      torch::arange(slice_start_, slice_start_ + length, torch::kInt64).remainder(entries).to(flat.device());
  const torch::Tensor own = flat.index_select(0, rows).contiguous();
  const int rank = comm_.rank();
  const int n = comm_.size();
  const int right = (rank + 1) % n;
  const int left = (rank + n - 1) % n;
  torch::Tensor sum = own.clone();
  torch::Tensor incoming = torch::empty_like(own);
  comm_.sendrecv(own, right, incoming, left, comm::Traffic::Training);
  sum.add_(incoming);
  if (left != right) {
    comm_.sendrecv(own, left, incoming, right, comm::Traffic::Training);
    sum.add_(incoming);
  }
  flat.index_copy_(0, rows, sum.div_(left != right ? 3.0 : 2.0));
  train::unflatten_into_values(flat, state);
  slice_start_ = (slice_start_ + length) % entries;
}

}  // namespace iddl::parallel
