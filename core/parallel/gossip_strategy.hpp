#pragma once
#include "core/parallel/param_avg_strategy.hpp"

namespace iddl::parallel {

// `parallelism = "gossip"` (decentralized, seed 002): every `period` steps each rank averages with its
// ring neighbours (r-1 and r+1; the one other rank on 2 ranks) a contiguous slice of ceil(share_fraction x N)
// entries of its N-entry flattened state, the slice moving on by its length (wrapping) at every exchange.
class GossipStrategy : public LocalReplicasStrategy {
 public:
  GossipStrategy(comm::Communicator& comm, int64_t period, double share_fraction);

  void after_step(torch::nn::Module& model) override;

  // Entries exchanged per neighbour out of a state of `entries`: ceil(share_fraction x entries).
  static int64_t slice_length(int64_t entries, double share_fraction);

 private:
  // Averages this exchange's slice with the neighbours' and moves the slice on.
  void exchange(torch::nn::Module& model);

  int64_t period_;
  double share_fraction_;
  int64_t steps_ = 0;
  int64_t slice_start_ = 0;
};

}  // namespace iddl::parallel
