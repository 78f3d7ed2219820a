#include "core/compress/compressor_registry.hpp"

#include <stdexcept>

#include "core/compress/adaptive_threshold.hpp"
#include "core/compress/compressors.hpp"
#include "core/compress/device_compressors.hpp"
#include "core/registry_row.hpp"

namespace iddl::compress {
namespace {

using nlohmann::json;

// The tie rule and the index format of topk's and randomk's parameters.
TopK::Ties ties_of(const json& p) {
  return p.at("ties").get<std::string>() == "keep" ? TopK::Ties::Keep : TopK::Ties::ExactK;
}

RandomK::Indices indices_of(const json& p) {
  return p.at("indices").get<std::string>() == "shared_seed" ? RandomK::Indices::SharedSeed : RandomK::Indices::Sent;
}

std::unique_ptr<Compressor> topk(const json& p, torch::Generator) {
  return std::make_unique<TopK>(p.at("ratio").get<double>(), ties_of(p));
}

std::unique_ptr<Compressor> randomk(const json& p, torch::Generator generator) {
  return std::make_unique<RandomK>(p.at("ratio").get<double>(), p.at("scaled").get<bool>(), std::move(generator),
                                   indices_of(p));
}

std::unique_ptr<Compressor> threshold(const json& p, torch::Generator) {
  return std::make_unique<Threshold>(p.at("v").get<double>());
}

std::unique_ptr<Compressor> adaptive_threshold(const json&, torch::Generator) {
  return std::make_unique<AdaptiveThreshold>();
}

std::unique_ptr<Compressor> terngrad(const json&, torch::Generator generator) {
  return std::make_unique<TernGrad>(std::move(generator));
}

std::unique_ptr<Compressor> qsgd(const json& p, torch::Generator generator) {
  return std::make_unique<Qsgd>(p.at("levels").get<int>(), std::move(generator));
}

std::unique_ptr<Compressor> fp16(const json&, torch::Generator) { return std::make_unique<Fp16>(); }

std::unique_ptr<Compressor> signsgd(const json&, torch::Generator) { return std::make_unique<SignSgd>(); }

// The device flavours, reading the same parameters.
std::unique_ptr<DeviceCompressor> device_topk(const json& p, torch::Generator) {
  return std::make_unique<DeviceTopK>(p.at("ratio").get<double>(), ties_of(p));
}

std::unique_ptr<DeviceCompressor> device_randomk(const json& p, torch::Generator generator) {
  return std::make_unique<DeviceRandomK>(p.at("ratio").get<double>(), p.at("scaled").get<bool>(), std::move(generator),
                                         indices_of(p));
}

std::unique_ptr<DeviceCompressor> device_threshold(const json& p, torch::Generator) {
  return std::make_unique<DeviceThreshold>(p.at("v").get<double>());
}

std::unique_ptr<DeviceCompressor> device_adaptive_threshold(const json&, torch::Generator) {
  return std::make_unique<DeviceAdaptiveThreshold>();
}

std::unique_ptr<DeviceCompressor> device_terngrad(const json&, torch::Generator generator) {
  return std::make_unique<DeviceTernGrad>(std::move(generator));
}

std::unique_ptr<DeviceCompressor> device_qsgd(const json& p, torch::Generator generator) {
  return std::make_unique<DeviceQsgd>(p.at("levels").get<int>(), std::move(generator));
}

std::unique_ptr<DeviceCompressor> device_fp16(const json&, torch::Generator) { return std::make_unique<DeviceFp16>(); }

std::unique_ptr<DeviceCompressor> device_signsgd(const json&, torch::Generator) {
  return std::make_unique<DeviceSignSgd>();
}

std::unique_ptr<PowerSgd> powersgd(const CompressionOptions& o, uint64_t shared_seed) {
  return std::make_unique<PowerSgd>(o.params.at("rank").get<int>(), o.params.at("warm_start").get<bool>(),
                                    o.error_feedback, shared_seed);
}

}  // namespace

const std::vector<CompressorMethod>& compressor_registry() {
  static const std::vector<CompressorMethod> rows = {
      {"none"},
      {"topk", topk, device_topk},
      {"randomk", randomk, device_randomk},
      {"threshold", threshold, device_threshold},
      {"adaptive_threshold", adaptive_threshold, device_adaptive_threshold},
      {"terngrad", terngrad, device_terngrad},
      {"qsgd", qsgd, device_qsgd},
      {"fp16", fp16, device_fp16},
      {"signsgd", signsgd, device_signsgd},
      {"powersgd", nullptr, nullptr, powersgd},
  };
  return rows;
}

const CompressorMethod& compressor_method(std::string_view method) {
  return registry_row(compressor_registry(), method, "the compressor registry");
}

std::unique_ptr<Compressor> make_compressor(const CompressionOptions& options, torch::Generator generator) {
  const CompressorMethod& method = compressor_method(options.method);
  if (method.compressor == nullptr)
    throw std::logic_error("compression " + options.method + " has no encode/decode compressor");
  return method.compressor(options.params, std::move(generator));
}

std::unique_ptr<DeviceCompressor> make_device_compressor(const CompressionOptions& options,
                                                         torch::Generator generator) {
  const CompressorMethod& method = compressor_method(options.method);
  if (method.device_compressor == nullptr)
    throw std::logic_error("compression " + options.method + " has no device compressor");
  return method.device_compressor(options.params, std::move(generator));
}

}  // namespace iddl::compress
