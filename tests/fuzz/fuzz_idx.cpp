// Fuzz target: the IDX reader (core/data/, raw or gzip). Any file either reads or throws std::runtime_error naming
// it; a read array always holds as many bytes as its dimensions say.
#include <cstdint>
#include <functional>
#include <numeric>
#include <stdexcept>

#include "core/data/idx_reader.hpp"
#include "tests/fuzz/fuzz_support.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string path = iddl::fuzz::write_scratch_file("input.idx", data, size);
  try {
    const auto array = iddl::data::read_idx(path);
    const auto count = std::accumulate(array.dims.begin(), array.dims.end(), int64_t{1}, std::multiplies<>());
    if (array.dims.empty() || static_cast<size_t>(count) != array.data.size()) __builtin_trap();
  } catch (const std::runtime_error& e) {
    if (std::string(e.what()).rfind(path, 0) != 0) __builtin_trap();  // the error names the file
  }
  return 0;
}
