#include "hardware/slot_scheduler.hpp"

#include <algorithm>
#include <string>
#include <utility>

namespace iddl::hardware {
namespace {

// Indices of the first `count` free entries, or nothing when fewer are free.
std::optional<std::vector<int>> take_free(const std::vector<bool>& busy, int count) {
  std::vector<int> taken;
  for (int i = 0; i < static_cast<int>(busy.size()) && static_cast<int>(taken.size()) < count; ++i)
    if (!busy[static_cast<size_t>(i)]) taken.push_back(i);
  if (static_cast<int>(taken.size()) < count) return std::nullopt;
  return taken;
}

void mark(std::vector<bool>& busy, const std::vector<int>& indices, bool value) {
  for (int i : indices) busy[static_cast<size_t>(i)] = value;
}

// The GPUs the policy picks, none for a request of none, or nothing when they are not free.
std::optional<std::vector<int>> take_gpus(GpuPolicy policy, const MachineGpus& machine, int count) {
  if (count == 0) return std::vector<int>{};
  const auto placement = place_gpus(policy, {machine}, count);
  if (!placement) return std::nullopt;
  return placement->gpus;
}

}  // namespace

SlotScheduler::SlotScheduler(int cores, int gpus, GpuPolicy policy, GpuTopology topology)
    : core_busy_(static_cast<size_t>(std::max(1, cores)), false),
      policy_(policy),
      gpus_{std::move(topology), std::vector<bool>(static_cast<size_t>(std::max(0, gpus)), false)} {}

std::optional<Slot> SlotScheduler::acquire(const SlotRequest& request) {
  const int cores = std::clamp(request.cores, 1, static_cast<int>(core_busy_.size()));
  const int gpus = std::clamp(request.gpus, 0, static_cast<int>(gpus_.busy.size()));
  const bool oversized = request.cores > static_cast<int>(core_busy_.size()) ||
                         request.gpus > static_cast<int>(gpus_.busy.size());
  if (oversized && !idle()) return std::nullopt;
  auto free_cores = take_free(core_busy_, cores);
  auto free_gpus = take_gpus(policy_, gpus_, gpus);
  if (!free_cores || !free_gpus) return std::nullopt;
  mark(core_busy_, *free_cores, true);
  mark(gpus_.busy, *free_gpus, true);
  return Slot{*free_cores, *free_gpus};
}

void SlotScheduler::release(const Slot& slot) {
  mark(core_busy_, slot.cores, false);
  mark(gpus_.busy, slot.gpus, false);
}

bool SlotScheduler::idle() const {
  return std::none_of(core_busy_.begin(), core_busy_.end(), [](bool b) { return b; }) &&
         std::none_of(gpus_.busy.begin(), gpus_.busy.end(), [](bool b) { return b; });
}

}  // namespace iddl::hardware
