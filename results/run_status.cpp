#include "results/run_status.hpp"

#include <algorithm>
#include <stdexcept>

namespace iddl::results {

std::string to_string(RunStatus status) {
  const auto found = std::find_if(kRunStatusNames.begin(), kRunStatusNames.end(),
                                  [status](const auto& entry) { return entry.first == status; });
  return std::string(found->second);
}

RunStatus parse_run_status(std::string_view text) {
  for (const auto& [status, name] : kRunStatusNames)
    if (name == text) return status;
  throw std::invalid_argument("unknown run status '" + std::string(text) + "'");
}

bool is_failure(RunStatus status) {
  return status == RunStatus::Failed || status == RunStatus::Timeout || status == RunStatus::Interrupted;
}

}  // namespace iddl::results
