#pragma once
#include <torch/torch.h>

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/compress/compression_options.hpp"
#include "core/compress/compressor.hpp"
#include "core/compress/device_compressor.hpp"
#include "core/compress/powersgd.hpp"

namespace iddl::compress {

// One method of the compression axis and how the averager builds it; its parameters, their defaults and ranges are
// its spec in matrix/axis_methods.cpp. A row has an encode/decode compressor (with its device flavour), a low-rank
// reducer, or neither (none: values are sent as they are).
struct CompressorMethod {
  std::string name;
  // The encode/decode compressor of the method's parameters (random ones draw from `generator`); null otherwise.
  std::unique_ptr<Compressor> (*compressor)(const nlohmann::json& params, torch::Generator generator) = nullptr;
  // The same compressor in torch operations on the tensor's device (the same payload layout); null with `compressor`.
  std::unique_ptr<DeviceCompressor> (*device_compressor)(const nlohmann::json& params,
                                                         torch::Generator generator) = nullptr;
  // The low-rank reducer (PowerSGD) of the options; `shared_seed` is the same on every rank. Null otherwise.
  std::unique_ptr<PowerSgd> (*low_rank)(const CompressionOptions& options, uint64_t shared_seed) = nullptr;
};

// Every compression method, in the order of matrix's spec.
const std::vector<CompressorMethod>& compressor_registry();

// The row of `method`; throws std::logic_error when it has none (the matrix only resolves known methods).
const CompressorMethod& compressor_method(std::string_view method);

// The compressor of an encode/decode method; random ones draw from `generator`. Throws std::logic_error for a method
// without one (none, powersgd).
std::unique_ptr<Compressor> make_compressor(const CompressionOptions& options, torch::Generator generator);

// The device flavour of that compressor (torch operations on any device, a CPU `generator` for its seeds); throws
// std::logic_error for a method without one.
std::unique_ptr<DeviceCompressor> make_device_compressor(const CompressionOptions& options, torch::Generator generator);

}  // namespace iddl::compress
