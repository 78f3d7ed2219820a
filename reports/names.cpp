#include "reports/names.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <stdexcept>

#include "matrix/closest_name.hpp"
#include "matrix/settings.hpp"

namespace iddl::reports {

namespace {

constexpr size_t kMostSuggested = 5;

std::string trimmed(const std::string& text) {
  const auto first = text.find_first_not_of(" \t");
  if (first == std::string::npos) return "";
  return text.substr(first, text.find_last_not_of(" \t") - first + 1);
}

}  // namespace

std::vector<std::string> split_names(const std::string& list) {
  std::vector<std::string> names;
  size_t start = 0;
  while (true) {
    const size_t comma = list.find(',', start);
    const std::string name =
        trimmed(list.substr(start, comma == std::string::npos ? std::string::npos : comma - start));
    if (name.empty()) throw std::invalid_argument("empty name in the list '" + list + "'");
    names.push_back(name);
    if (comma == std::string::npos) return names;
    start = comma + 1;
  }
}

std::string unknown_name_message(const std::string& what, const std::string& name,
                                 const std::vector<std::string>& candidates) {
  std::vector<std::string> close;
  for (const std::string& candidate : matrix::close_names(name, candidates)) {
    if (close.size() < kMostSuggested && std::find(close.begin(), close.end(), candidate) == close.end())
      close.push_back(candidate);
  }
  if (!close.empty()) {
    std::string suggested;
    for (size_t i = 0; i < close.size(); ++i)
      suggested += (i == 0 ? "" : i + 1 == close.size() ? " or " : ", ") + ("'" + close[i] + "'");
    return "unknown " + what + " '" + name + "' (did you mean " + suggested + "?)";
  }
  return fmt::format("unknown {} '{}' (known: {})", what, name, fmt::join(candidates, ", "));
}

}  // namespace iddl::reports
