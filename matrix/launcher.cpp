#include "matrix/launcher.hpp"

#include <algorithm>
#include <stdexcept>

namespace iddl::matrix {

std::string to_string(Launcher launcher) {
  const auto found = std::find_if(kLauncherNames.begin(), kLauncherNames.end(),
                                  [launcher](const auto& entry) { return entry.first == launcher; });
  return std::string(found->second);
}

Launcher parse_launcher(std::string_view name) {
  for (const auto& [launcher, launcher_name] : kLauncherNames)
    if (launcher_name == name) return launcher;
  throw std::invalid_argument("unknown launcher '" + std::string(name) + "' (expected mpirun, srun or sbatch)");
}

}  // namespace iddl::matrix
