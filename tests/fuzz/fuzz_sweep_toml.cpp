// Fuzz target: a sweep file parsed, checked and expanded (matrix/). Any input either expands or throws a
// SweepError; anything else (another exception, a crash, a sanitizer report) is a finding.
#include <cstdint>
#include <string_view>

#include "matrix/sweep_file.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  try {
    const auto sweep = iddl::matrix::parse_sweep(std::string_view(reinterpret_cast<const char*>(data), size), "fuzz.toml");
    for (const auto& run : sweep.runs)
      if (run.key.empty() || !run.config.is_object()) __builtin_trap();  // every planned run is resolved and keyed
  } catch (const iddl::matrix::SweepError&) {
  }
  return 0;
}
