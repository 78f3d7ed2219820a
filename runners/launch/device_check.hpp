// The devices of a sweep's runs, checked before anything runs (docs/gpu.md).
#pragma once
#include <ostream>

#include "hardware/device_rule.hpp"
#include "matrix/sweep_file.hpp"
#include "runners/launch/sweep_options.hpp"

namespace iddl::launch {

// Throws std::runtime_error naming the sweep file and the first run that cannot train on its device: device =
// "cuda" with a LibTorch without CUDA, or, with its ranks on this machine, a CUDA run without a visible GPU per
// rank (hardware::require_gpu_per_rank), or precision = "fp16" on a run the rule puts on the CPU. Writes hardware::cpu_fallback_warning to `log` once when a run with
// device = "auto" trains on the CPU although GPUs are visible.
void check_devices(const matrix::Sweep& sweep, const SweepOptions& options, const hardware::DeviceFacts& facts,
                   std::ostream& log);

}  // namespace iddl::launch
