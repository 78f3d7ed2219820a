#include "hardware/blas_kernel_flags.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <strings.h>

#include <algorithm>
#include <stdexcept>
#include <utility>

#include "hardware/blas_kernel.hpp"

namespace iddl::hardware {
namespace {

// Each kernel with the flags that tell a CPU able to run its code (OpenBLAS's Makefile.x86_64 and its
// kernel/x86_64 sources): the newest instruction sets it uses, since a CPU with those has the older ones.
const std::vector<std::pair<std::string, std::vector<std::string>>>& kernel_table() {
  static const std::vector<std::pair<std::string, std::vector<std::string>>> table = {
      {"Prescott", {"pni"}},
      {"Core2", {"ssse3"}},
      {"Atom", {"ssse3"}},
      {"Penryn", {"sse4_1"}},
      {"Dunnington", {"sse4_1"}},
      {"Nehalem", {"sse4_2"}},
      {"Sandybridge", {"avx"}},
      {"Bulldozer", {"avx", "fma4"}},
      {"Piledriver", {"avx", "fma"}},
      {"Steamroller", {"avx", "fma"}},
      {"Excavator", {"avx", "fma"}},
      {"Haswell", {"avx2", "fma"}},
      {"Zen", {"avx2", "fma"}},
      {"SkylakeX", {"avx2", "fma", "avx512f", "avx512bw", "avx512dq", "avx512vl"}},
      {"Cooperlake", {"avx2", "fma", "avx512f", "avx512bw", "avx512dq", "avx512vl", "avx512_bf16"}},
      {"SapphireRapids",
       {"avx2", "fma", "avx512f", "avx512bw", "avx512dq", "avx512vl", "avx512_bf16", "amx_tile", "amx_bf16"}},
  };
  return table;
}

}  // namespace

std::vector<std::string> kernel_required_flags(const std::string& corename) {
  for (const auto& [name, flags] : kernel_table())
    if (strcasecmp(name.c_str(), corename.c_str()) == 0) return flags;
  return {};
}

std::vector<std::string> missing_kernel_flags(const std::string& corename, const std::set<std::string>& flags) {
  std::vector<std::string> missing;
  for (const auto& flag : kernel_required_flags(corename))
    if (flags.count(flag) == 0) missing.push_back(flag);
  return missing;
}

void require_kernel_runs_on(const std::string& corename, const std::set<std::string>& flags, const std::string& source) {
  const auto missing = missing_kernel_flags(corename, flags);
  if (missing.empty()) return;
  const std::string best = kernel_for_flags(flags);
  throw std::runtime_error(fmt::format(
      "OpenBLAS kernel '{}' from {} needs the instruction set{} {} that this CPU lacks (flags of /proc/cpuinfo), "
      "so every run would die with SIGILL (illegal instruction); use {}, or leave the kernel to IDDL",
      corename, source, missing.size() == 1 ? "" : "s", fmt::join(missing, ", "),
      best.empty() ? "a kernel for an older CPU such as Prescott" : "at most '" + best + "'"));
}

}  // namespace iddl::hardware
