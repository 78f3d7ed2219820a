#include "core/compress/compressor_registry.hpp"

#include <stdexcept>

#include "core/compress/adaptive_threshold.hpp"
#include "core/compress/compressors.hpp"
#include "core/registry_row.hpp"

namespace iddl::compress {
namespace {

using nlohmann::json;

std::unique_ptr<Compressor> topk(const json& p, torch::Generator) {
  const TopK::Ties ties = p.at("ties").get<std::string>() == "keep" ? TopK::Ties::Keep : TopK::Ties::ExactK;
  return std::make_unique<TopK>(p.at("ratio").get<double>(), ties);
}

std::unique_ptr<Compressor> randomk(const json& p, torch::Generator generator) {
  const RandomK::Indices indices =
      p.at("indices").get<std::string>() == "shared_seed" ? RandomK::Indices::SharedSeed : RandomK::Indices::Sent;
  return std::make_unique<RandomK>(p.at("ratio").get<double>(), p.at("scaled").get<bool>(), std::move(generator),
                                   indices);
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

std::unique_ptr<PowerSgd> powersgd(const CompressionOptions& o, uint64_t shared_seed) {
  return std::make_unique<PowerSgd>(o.params.at("rank").get<int>(), o.params.at("warm_start").get<bool>(),
                                    o.error_feedback, shared_seed);
}

}  // namespace

const std::vector<CompressorMethod>& compressor_registry() {
  static const std::vector<CompressorMethod> rows = {
      {"none"},
      {"topk", topk},
      {"randomk", randomk},
      {"threshold", threshold},
      {"adaptive_threshold", adaptive_threshold},
      {"terngrad", terngrad},
      {"qsgd", qsgd},
      {"fp16", fp16},
      {"signsgd", signsgd},
      {"powersgd", nullptr, powersgd},
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

}  // namespace iddl::compress
