#pragma once
#include <nlohmann/json.hpp>
#include <string>

namespace iddl::compress {

// One value of the compression axis: the method and every parameter (docs/compression.md).
struct CompressionOptions {
  std::string method = "none";            // none, topk, randomk, threshold, terngrad, qsgd, fp16, signsgd, powersgd
  std::string granularity = "layerwise";  // "layerwise": each tensor on its own; "model": all as one vector
  bool error_feedback = false;            // keep what compression dropped and add it the next step
  double ratio = 0.01;                    // topk, randomk: fraction of entries sent
  bool scaled = true;                     // randomk: values scaled by n/k (unbiased)
  double v = 0.001;                       // threshold: entries with |x| >= v are sent
  int levels = 256;                       // qsgd: magnitude levels 0..levels-1
  int rank = 2;                           // powersgd: rank of the approximation
  bool warm_start = true;                 // powersgd: Q starts from the previous step's
};

// The options of a compression axis value: a method name or {"method": …, parameters}; parameters left out take
// their method's defaults; throws std::invalid_argument naming an unknown method, an unknown parameter or a bad value.
CompressionOptions parse_compression(const nlohmann::json& value);

}  // namespace iddl::compress
