#include "runners/launch/device_check.hpp"

#include <fmt/format.h>

#include <stdexcept>
#include <string>

#include "runners/launch/run_commands.hpp"

namespace iddl::launch {

void check_devices(const matrix::Sweep& sweep, const SweepOptions& options, const hardware::DeviceFacts& facts,
                   std::ostream& log) {
  const bool here = ranks_stay_here(sweep, options);
  bool cpu_fallback = false;
  for (const auto& run : sweep.runs) {
    const std::string device = run.config.at("device").get<std::string>();
    try {
      const bool cuda = hardware::uses_cuda(device, facts);
      if (cuda && here) hardware::require_gpu_per_rank(run.config.at("ranks").get<int>(), facts);
      if (!cuda && run.config.at("precision") == "fp16")
        throw std::invalid_argument("precision = \"fp16\" needs CUDA, but device = \"" + device +
                                    "\" trains on the CPU here; use precision = \"bf16\" or device = \"cuda\"");
      cpu_fallback = cpu_fallback || (device == "auto" && !cuda);
    } catch (const std::invalid_argument& e) {
      throw std::runtime_error(
          fmt::format("{}: run {} ({}): {}", sweep.file, run.key, describe(sweep, run.config), e.what()));
    }
  }
  const std::string warning = hardware::cpu_fallback_warning(facts);
  if (cpu_fallback && !warning.empty()) log << warning << std::endl;
}

}  // namespace iddl::launch
