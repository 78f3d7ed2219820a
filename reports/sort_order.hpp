// Row order of a report: a column name, ascending, or descending with a leading '-'.
#pragma once

#include <string>

#include <nlohmann/json.hpp>

namespace iddl::reports {

// The column to sort by and the direction.
struct SortOrder {
  std::string column;
  bool descending = false;
};

// "-test_accuracy" -> {test_accuracy, descending}; an empty column throws std::invalid_argument.
SortOrder parse_sort(const std::string& text);

// Whether sort value a comes before b: numbers by value, text by bytes (after numbers), null last in
// either direction; an axis object sorts by its label.
bool sorts_before(const nlohmann::json& a, const nlohmann::json& b, bool descending);

}  // namespace iddl::reports
