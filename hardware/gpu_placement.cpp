#include "hardware/gpu_placement.hpp"

#include <algorithm>
#include <stdexcept>
#include <string>
#include <tuple>

namespace iddl::hardware {
namespace {

std::vector<int> free_gpus(const MachineGpus& machine) {
  std::vector<int> free;
  for (size_t i = 0; i < machine.busy.size(); ++i)
    if (!machine.busy[i]) free.push_back(static_cast<int>(i));
  return free;
}

// The link between two GPUs of a machine; unknown when its matrix does not cover them.
Link link_between(const MachineGpus& machine, int a, int b) {
  const auto& links = machine.topology.links;
  if (static_cast<size_t>(a) >= links.size() || static_cast<size_t>(b) >= links[static_cast<size_t>(a)].size())
    return {};
  return links[static_cast<size_t>(a)][static_cast<size_t>(b)];
}

// How well a set of GPUs is connected: its worst link's score, then the sum of its links' scores.
std::pair<int, int> connectivity(const MachineGpus& machine, const std::vector<int>& gpus) {
  int worst = link_score(Link{LinkKind::Self, 0});
  int sum = 0;
  for (size_t i = 0; i < gpus.size(); ++i) {
    for (size_t j = i + 1; j < gpus.size(); ++j) {
      const int score = link_score(link_between(machine, gpus[i], gpus[j]));
      worst = std::min(worst, score);
      sum += score;
    }
  }
  return {worst, sum};
}

// The best-connected `count` of the candidates, trying every combination (lowest indices win ties);
// the lowest ones when the matrix does not cover the machine's GPUs (every set would tie).
std::vector<int> best_subset(const MachineGpus& machine, const std::vector<int>& candidates, int count) {
  if (machine.topology.links.size() < machine.busy.size())
    return std::vector<int>(candidates.begin(), candidates.begin() + count);
  std::vector<bool> pick(candidates.size(), false);
  std::fill(pick.begin(), pick.begin() + count, true);
  std::vector<int> best;
  std::pair<int, int> best_score{-1, -1};
  do {
    std::vector<int> gpus;
    for (size_t i = 0; i < pick.size(); ++i)
      if (pick[i]) gpus.push_back(candidates[i]);
    const auto score = connectivity(machine, gpus);
    if (score > best_score) {
      best_score = score;
      best = gpus;
    }
  } while (std::prev_permutation(pick.begin(), pick.end()));
  return best;
}

// Throws unless a request asks for at least one GPU.
void require_positive(int count) {
  if (count < 1) throw std::invalid_argument("a GPU placement needs at least 1 GPU, got " + std::to_string(count));
}

}  // namespace

GpuPolicy parse_gpu_policy(std::string_view name) {
  for (const auto& [policy, policy_name] : kGpuPolicyNames)
    if (policy_name == name) return policy;
  throw std::invalid_argument("unknown GPU policy '" + std::string(name) + "' (expected binpack or topology)");
}

std::string gpu_policy_name(GpuPolicy policy) {
  const auto found = std::find_if(kGpuPolicyNames.begin(), kGpuPolicyNames.end(),
                                  [policy](const auto& entry) { return entry.first == policy; });
  return std::string(found->second);
}

std::optional<Placement> place_binpack(const std::vector<MachineGpus>& machines, int count) {
  require_positive(count);
  std::optional<Placement> chosen;
  size_t chosen_free = 0;
  for (size_t m = 0; m < machines.size(); ++m) {
    const std::vector<int> free = free_gpus(machines[m]);
    if (static_cast<int>(free.size()) < count || (chosen && free.size() >= chosen_free)) continue;
    chosen = Placement{static_cast<int>(m), std::vector<int>(free.begin(), free.begin() + count)};
    chosen_free = free.size();
  }
  return chosen;
}

std::optional<Placement> place_topology(const std::vector<MachineGpus>& machines, int count) {
  require_positive(count);
  std::optional<Placement> chosen;
  std::tuple<int, int, size_t> chosen_rank;  // worst link, link sum, GPUs in use: bigger is better
  for (size_t m = 0; m < machines.size(); ++m) {
    const std::vector<int> free = free_gpus(machines[m]);
    if (static_cast<int>(free.size()) < count) continue;
    std::vector<int> gpus = best_subset(machines[m], free, count);
    const auto [worst, sum] = connectivity(machines[m], gpus);
    const std::tuple<int, int, size_t> rank{worst, sum, machines[m].busy.size() - free.size()};
    if (chosen && rank <= chosen_rank) continue;
    chosen = Placement{static_cast<int>(m), std::move(gpus)};
    chosen_rank = rank;
  }
  return chosen;
}

std::optional<Placement> place_gpus(GpuPolicy policy, const std::vector<MachineGpus>& machines, int count) {
  return policy == GpuPolicy::Binpack ? place_binpack(machines, count) : place_topology(machines, count);
}

}  // namespace iddl::hardware
