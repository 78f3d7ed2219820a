// Which free GPUs a run gets, over one or more machines: the binpack and topology policies.
#pragma once

#include <array>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "hardware/gpu_topology.hpp"

namespace iddl::hardware {

// binpack: the fullest machine that fits, its lowest free GPUs (keeps whole machines free for large runs).
// topology: the free GPUs with the best links between them (best worst link, then best links overall).
enum class GpuPolicy { Binpack, Topology };

// Every policy with its name in sweep files ([launch] gpu_policy) and on the command line (--gpu-policy).
inline constexpr std::array<std::pair<GpuPolicy, std::string_view>, 2> kGpuPolicyNames{
    {{GpuPolicy::Binpack, "binpack"}, {GpuPolicy::Topology, "topology"}}};

// "binpack" or "topology"; throws naming any other value.
GpuPolicy parse_gpu_policy(std::string_view name);

// The policy's name.
std::string gpu_policy_name(GpuPolicy policy);

// One machine's GPUs: how they are linked (an empty matrix: links unknown) and which are in use.
struct MachineGpus {
  GpuTopology topology;
  std::vector<bool> busy;  // by GPU index; its size is the machine's GPU count
};

// Where a request goes: a machine (index into the list) and its GPUs, ascending.
struct Placement {
  int machine = 0;
  std::vector<int> gpus;
};

// The binpack choice for `count` (>= 1) GPUs on one machine, or nothing when no machine has that many free.
std::optional<Placement> place_binpack(const std::vector<MachineGpus>& machines, int count);

// The topology choice for `count` (>= 1) GPUs on one machine, or nothing when no machine has that many free:
// the set whose worst link is best, then whose links sum best, then on the fullest machine, then lowest.
std::optional<Placement> place_topology(const std::vector<MachineGpus>& machines, int count);

// The choice of `policy`.
std::optional<Placement> place_gpus(GpuPolicy policy, const std::vector<MachineGpus>& machines, int count);

}  // namespace iddl::hardware
