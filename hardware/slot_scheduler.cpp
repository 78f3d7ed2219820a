#include "hardware/slot_scheduler.hpp"

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <string>

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

}  // namespace

SlotScheduler::SlotScheduler(int cores, int gpus)
    : core_busy_(static_cast<size_t>(std::max(1, cores)), false), gpu_busy_(static_cast<size_t>(std::max(0, gpus)), false) {}

std::optional<Slot> SlotScheduler::acquire(const SlotRequest& request) {
  const int cores = std::clamp(request.cores, 1, static_cast<int>(core_busy_.size()));
  const int gpus = std::clamp(request.gpus, 0, static_cast<int>(gpu_busy_.size()));
  const bool oversized = request.cores > static_cast<int>(core_busy_.size()) ||
                         request.gpus > static_cast<int>(gpu_busy_.size());
  if (oversized && !idle()) return std::nullopt;
  auto free_cores = take_free(core_busy_, cores);
  auto free_gpus = take_free(gpu_busy_, gpus);
  if (!free_cores || !free_gpus) return std::nullopt;
  mark(core_busy_, *free_cores, true);
  mark(gpu_busy_, *free_gpus, true);
  return Slot{*free_cores, *free_gpus};
}

void SlotScheduler::release(const Slot& slot) {
  mark(core_busy_, slot.cores, false);
  mark(gpu_busy_, slot.gpus, false);
}

bool SlotScheduler::idle() const {
  return std::none_of(core_busy_.begin(), core_busy_.end(), [](bool b) { return b; }) &&
         std::none_of(gpu_busy_.begin(), gpu_busy_.end(), [](bool b) { return b; });
}

int nvidia_gpu_count() {
  int count = 0;
  std::error_code error;
  for (const auto& entry : std::filesystem::directory_iterator("/dev", error)) {
    const std::string name = entry.path().filename().string();
    if (name.size() > 6 && name.rfind("nvidia", 0) == 0 &&
        std::all_of(name.begin() + 6, name.end(), [](unsigned char c) { return std::isdigit(c); }))
      ++count;
  }
  return count;
}

}  // namespace iddl::hardware
