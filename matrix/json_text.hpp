#pragma once
// JSON text from outside the process (run specs, event lines, journals), parsed with a bound on
// nesting: copying, dumping or comparing a JSON value recurses once per level, so a value nested
// tens of thousands deep would overflow the stack long after parsing accepted it.
#include <stdexcept>
#include <string_view>

#include <nlohmann/json.hpp>

namespace iddl::matrix {

// The deepest nesting of arrays and objects accepted: IDDL's own documents nest 4 levels at most.
inline constexpr int kMaxJsonDepth = 64;

// JSON text that cannot be used: not JSON, or nested deeper than allowed.
struct JsonTextError : std::invalid_argument {
  using std::invalid_argument::invalid_argument;
};

// Parses `text`; throws JsonTextError saying where it is not JSON or where it nests deeper than `max_depth`.
nlohmann::json parse_json(std::string_view text, int max_depth = kMaxJsonDepth);

// Parses `text`; a discarded value (is_discarded()) where parse_json would throw.
nlohmann::json parse_json_or_discarded(std::string_view text, int max_depth = kMaxJsonDepth);

}  // namespace iddl::matrix
