#include "runners/launch/checkpoint_guard.hpp"

#include <algorithm>
#include <cctype>
#include <filesystem>

namespace iddl::launch {

std::vector<int64_t> drop_checkpoints_after(const std::string& folder, int64_t stored) {
  namespace fs = std::filesystem;
  std::vector<int64_t> dropped;
  std::error_code error;
  for (const auto& entry : fs::directory_iterator(folder, error)) {
    const std::string name = entry.path().filename().string();
    const std::string digits = name.substr(std::min<size_t>(name.size(), 5));
    if (name.rfind("epoch", 0) != 0 || digits.empty() || digits.size() > 18 ||
        !std::all_of(digits.begin(), digits.end(), [](unsigned char c) { return std::isdigit(c) != 0; }))
      continue;
    const int64_t epoch = std::stoll(digits);
    if (epoch <= stored) continue;
    std::error_code ignored;
    fs::remove_all(entry.path(), ignored);
    dropped.push_back(epoch);
  }
  std::sort(dropped.begin(), dropped.end());
  return dropped;
}

}  // namespace iddl::launch
