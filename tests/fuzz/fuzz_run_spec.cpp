// Fuzz target: the run spec JSON iddl-train reads (matrix/run_spec.hpp). Any text either gives a resolved spec or
// throws std::invalid_argument; a parsed spec's config resolves to itself.
#include <cstdint>
#include <stdexcept>
#include <string_view>

#include "matrix/config.hpp"
#include "matrix/run_spec.hpp"
#include "matrix/settings.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  try {
    const auto spec = iddl::matrix::parse_run_spec(std::string_view(reinterpret_cast<const char*>(data), size));
    if (iddl::matrix::resolve_config(spec.config) != spec.config || spec.repeat < 0) __builtin_trap();
  } catch (const std::invalid_argument&) {
  }
  return 0;
}
