#include "core/parallel/gossip_strategy.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <stdexcept>

#include "core/comm/stopwatch.hpp"
#include "core/train/flat_tensors.hpp"
#include "core/parallel/model_state.hpp"

namespace iddl::parallel {

GossipStrategy::GossipStrategy(comm::Communicator& comm, int64_t period, double share_fraction,
                               GossipAdaptation adaptation)
    : LocalReplicasStrategy(comm), period_(period), share_fraction_(share_fraction), adaptation_(adaptation) {
  if (period_ < 1) throw std::invalid_argument("gossip period must be at least 1");
  if (!(share_fraction_ > 0.0 && share_fraction_ <= 1.0))
    throw std::invalid_argument("gossip share_fraction must be in (0, 1]");
  if (!(adaptation_.comm_budget > 0.0)) throw std::invalid_argument("gossip comm_budget must be > 0");
}

void GossipStrategy::on_start(torch::nn::Module& model) {
  LocalReplicasStrategy::on_start(model);
  computing_since_ = std::chrono::steady_clock::now();
}

int64_t GossipStrategy::slice_length(int64_t entries, double share_fraction) {
  const auto length = static_cast<int64_t>(std::ceil(share_fraction * static_cast<double>(entries)));
  return std::min(entries, std::max<int64_t>(1, length));
}

int64_t GossipStrategy::bandwidth_slice_length(int64_t entries, double share_fraction, double bandwidth_Bps,
                                               double compute_s, double budget, int neighbours) {
  const int64_t most = slice_length(entries, share_fraction);
  const double fitting = std::floor(budget * compute_s * bandwidth_Bps / (4.0 * neighbours));
  if (!(fitting < static_cast<double>(most))) return most;  // also an unmeasurably fast link
  return std::max<int64_t>(1, static_cast<int64_t>(fitting));
}

void GossipStrategy::after_step(torch::nn::Module& model) {
  if (comm_.size() > 1 && ++steps_ % period_ == 0) exchange(model);
}

std::optional<train::StrategyState> GossipStrategy::checkpoint_state() const {
  return train::StrategyState{
      {"counts", torch::tensor({steps_, slice_start_, exchanges_, samples_, last_length_}, torch::kInt64)},
      {"measured", torch::tensor({bandwidth_Bps_, last_throughput_}, torch::kFloat64)}};
}

void GossipStrategy::restore_state(const train::StrategyState& state) {
  const torch::Tensor counts = state.at("counts"), measured = state.at("measured");
  steps_ = counts[0].item<int64_t>();
  slice_start_ = counts[1].item<int64_t>();
  exchanges_ = counts[2].item<int64_t>();
  samples_ = counts[3].item<int64_t>();
  last_length_ = counts[4].item<int64_t>();
  bandwidth_Bps_ = measured[0].item<double>();
  last_throughput_ = measured[1].item<double>();
}

int64_t GossipStrategy::agreed_length(int64_t proposal) {
  torch::Tensor proposals = torch::zeros({comm_.size()}, torch::kFloat64);
  proposals[comm_.rank()] = static_cast<double>(proposal);
  comm_.allreduce_sum(proposals, comm::Traffic::Training);
  return static_cast<int64_t>(proposals.min().item<double>());
}

void GossipStrategy::exchange(torch::nn::Module& model) {
  const double compute_s = comm::seconds_since(computing_since_);
  const std::vector<torch::Tensor> state = float_state(model);
  torch::Tensor flat = train::flatten_values(state);
  const int64_t entries = flat.numel();
  const int rank = comm_.rank();
  const int n = comm_.size();
  const int right = (rank + 1) % n;
  const int left = (rank + n - 1) % n;
  const int neighbours = left != right ? 2 : 1;
  int64_t length = slice_length(entries, share_fraction_);
  if (adaptation_.bandwidth_share && exchanges_ > 0)  // the first exchange measures the link
    length = agreed_length(bandwidth_slice_length(entries, share_fraction_, bandwidth_Bps_, compute_s,
                                                  adaptation_.comm_budget, neighbours));
  const torch::Tensor rows =
      torch::arange(slice_start_, slice_start_ + length, torch::kInt64).remainder(entries).to(flat.device());
  torch::Tensor own = flat.index_select(0, rows).contiguous();
  last_throughput_ = compute_s > 0.0 ? static_cast<double>(samples_) / compute_s : 0.0;
  if (adaptation_.throughput_weights)  // the weight travels after the slice
    own = torch::cat({own, torch::full({1}, last_throughput_, own.options())});
  torch::Tensor incoming = torch::empty_like(own);
  std::vector<torch::Tensor> slices = {own};
  const auto transfers = std::chrono::steady_clock::now();
  comm_.sendrecv(own, right, incoming, left, comm::Traffic::Training);
  slices.push_back(incoming.clone());
  if (neighbours == 2) {
    comm_.sendrecv(own, left, incoming, right, comm::Traffic::Training);
    slices.push_back(incoming.clone());
  }
  const double transfer_s = comm::seconds_since(transfers);
  bandwidth_Bps_ = transfer_s > 0.0 ? static_cast<double>(own.numel() * 4 * neighbours) / transfer_s
                                    : std::numeric_limits<double>::infinity();
  torch::Tensor sum = torch::zeros({length}, flat.options());
  double total = 0.0;
  for (const auto& slice : slices) {
    const double weight = adaptation_.throughput_weights ? slice[length].item<double>() : 1.0;
    sum.add_(slice.narrow(0, 0, length), weight);
    total += weight;
  }
  if (total > 0.0) {
    sum.div_(total);
  } else {  // no rank trained since the last exchange: the plain mean
    sum.zero_();
    for (const auto& slice : slices) sum.add_(slice.narrow(0, 0, length));
    sum.div_(static_cast<double>(slices.size()));
  }
  flat.index_copy_(0, rows, sum);
  train::unflatten_into_values(flat, state);
  slice_start_ = (slice_start_ + length) % entries;
  last_length_ = length;
  ++exchanges_;
  samples_ = 0;
  computing_since_ = std::chrono::steady_clock::now();
}

}  // namespace iddl::parallel
