#pragma once
// Compression options as iddl-train reads them from a sweep's axis value, for the tests of the averager and the
// strategies that exchange through it.
#include <nlohmann/json.hpp>

#include <stdexcept>
#include <string>

#include "core/compress/compression_options.hpp"
#include "matrix/setting_values.hpp"
#include "matrix/settings.hpp"
#include "runners/train/run_spec.hpp"

namespace iddl::testing {

// The options of the compression axis value `value` (a method name or {"method": NAME, params}), the parameters
// left out at the matrix spec's defaults; throws std::invalid_argument with the matrix's message for a bad value.
inline compress::CompressionOptions compression(const nlohmann::json& value) {
  const matrix::Setting& axis = *matrix::find_setting("compression");
  if (const std::string problem = matrix::check_value(axis, value); !problem.empty())
    throw std::invalid_argument(problem);
  return runners::compression_options(matrix::normalized_value(axis, value));
}

}  // namespace iddl::testing
