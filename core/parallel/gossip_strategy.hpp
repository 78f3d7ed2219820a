#pragma once
#include <chrono>

#include "core/parallel/param_avg_strategy.hpp"

namespace iddl::parallel {

// Seed 002's decentralized-training options of gossip (docs/strategies.md, "gossip"): the slice adapted to the
// measured bandwidth, the neighbours' contributions weighted by their training throughput.
struct GossipAdaptation {
  bool bandwidth_share = false;     // share = "bandwidth": the slice fits comm_budget at the measured bandwidth
  double comm_budget = 0.1;         // exchange seconds allowed per second of computation since the last exchange
  bool throughput_weights = false;  // weighting = "throughput": each slice weighted by its rank's samples per second
};

// `parallelism = "gossip"` (decentralized, seed 002): every `period` steps each rank averages with its
// ring neighbours (r-1 and r+1; the one other rank on 2 ranks) a contiguous slice of ceil(share_fraction x N)
// entries of its N-entry flattened state, the slice moving on by its length (wrapping) at every exchange.
class GossipStrategy : public LocalReplicasStrategy {
 public:
  GossipStrategy(comm::Communicator& comm, int64_t period, double share_fraction, GossipAdaptation adaptation = {});

  void on_start(torch::nn::Module& model) override;
  // Counts the samples this rank trains between two exchanges.
  void after_backward(torch::nn::Module&, int64_t local_samples, int64_t) override { samples_ += local_samples; }
  void after_step(torch::nn::Module& model) override;
  // Steps, exchanges, the slice's position, the samples and measurements since the last exchange.
  std::optional<train::StrategyState> checkpoint_state() const override;
  void restore_state(const train::StrategyState& state) override;

  // Entries exchanged per neighbour out of a state of `entries`: ceil(share_fraction x entries).
  static int64_t slice_length(int64_t entries, double share_fraction);
  // share = "bandwidth": the most entries (4 bytes each, to each of `neighbours`) sent in `budget` x `compute_s`
  // seconds at `bandwidth_Bps`, between 1 and slice_length(entries, share_fraction).
  static int64_t bandwidth_slice_length(int64_t entries, double share_fraction, double bandwidth_Bps,
                                        double compute_s, double budget, int neighbours);

  // The entries of the last exchange's slice.
  int64_t last_length() const { return last_length_; }
  // This rank's samples per second of computation before the last exchange (its weight with weighting = "throughput").
  double last_throughput() const { return last_throughput_; }

 private:
  // Averages this exchange's slice with the neighbours' and moves the slice on.
  void exchange(torch::nn::Module& model);
  // The slice length every rank uses in this exchange: the smallest of the ranks' proposals.
  int64_t agreed_length(int64_t proposal);

  int64_t period_;
  double share_fraction_;
  GossipAdaptation adaptation_;
  int64_t steps_ = 0;
  int64_t slice_start_ = 0;
  int64_t exchanges_ = 0;
  int64_t samples_ = 0;              // trained since the last exchange
  double bandwidth_Bps_ = 0.0;       // bytes sent per second of the last exchange's transfers
  int64_t last_length_ = 0;
  double last_throughput_ = 0.0;
  std::chrono::steady_clock::time_point computing_since_;  // the end of the last exchange
};

}  // namespace iddl::parallel
