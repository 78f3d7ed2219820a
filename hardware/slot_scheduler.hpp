#pragma once
#include <optional>
#include <vector>

#include "hardware/gpu_placement.hpp"

namespace iddl::hardware {

// What one run needs at once: cores (ranks x threads per rank) and GPUs.
struct SlotRequest {
  int cores = 1;
  int gpus = 0;
};

// The cores and GPUs (by index) lent to one run.
struct Slot {
  std::vector<int> cores;
  std::vector<int> gpus;
};

// Lends this machine's cores and GPUs to concurrent runs so that no core or GPU is used twice.
// A request larger than the machine gets the whole machine, but only when it is idle.
class SlotScheduler {
 public:
  // `topology`: how the GPUs are linked (empty: unknown), which the topology policy uses.
  SlotScheduler(int cores, int gpus, GpuPolicy policy = GpuPolicy::Topology, GpuTopology topology = {});

  // The lowest-numbered free cores and the GPUs `policy` picks for `request`, or nothing if they are not free now.
  std::optional<Slot> acquire(const SlotRequest& request);
  // Gives a slot's cores and GPUs back.
  void release(const Slot& slot);
  // Whether nothing is lent.
  bool idle() const;

 private:
  std::vector<bool> core_busy_;
  GpuPolicy policy_;
  MachineGpus gpus_;
};

}  // namespace iddl::hardware
