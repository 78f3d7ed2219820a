// Fuzz target: the CIFAR-10 batch reader (core/data/). Any file either reads or throws std::runtime_error naming
// it; a read batch has one label (0-9) per 3072 pixels.
#include <cstdint>
#include <stdexcept>

#include "core/data/cifar_reader.hpp"
#include "tests/fuzz/fuzz_support.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string path = iddl::fuzz::write_scratch_file("data_batch.bin", data, size);
  try {
    const auto batch = iddl::data::read_cifar_batch(path);
    if (batch.labels.empty() || batch.pixels.size() != batch.labels.size() * iddl::data::kCifarImageBytes)
      __builtin_trap();
    for (const uint8_t label : batch.labels)
      if (label > 9) __builtin_trap();
  } catch (const std::runtime_error& e) {
    if (std::string(e.what()).rfind(path, 0) != 0) __builtin_trap();  // the error names the file
  }
  return 0;
}
