#pragma once
#include <nlohmann/json.hpp>
#include <string>

namespace iddl::compress {

// One value of the compression axis (docs/compression.md), as the matrix resolved it: the method, the two
// parameters every method takes, and the method's own parameters, read by its row of the compressor registry.
struct CompressionOptions {
  std::string method = "none";                        // a row of compressor_registry()
  std::string granularity = "layerwise";              // "layerwise": each tensor on its own; "model": all as one
  bool error_feedback = false;                        // keep what compression dropped and add it the next step
  nlohmann::json params = nlohmann::json::object();   // every parameter of the method (matrix/axis_methods.cpp)
};

}  // namespace iddl::compress
