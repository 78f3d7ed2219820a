#pragma once
#include <algorithm>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace iddl {

// The row called `name` of a core factory table (rows with a `name`); throws std::logic_error naming both when the
// table `table` has none: the matrix resolves only the methods of its spec, and every one has a row.
template <typename Row>
const Row& registry_row(const std::vector<Row>& rows, std::string_view name, std::string_view table) {
  const auto it = std::find_if(rows.begin(), rows.end(), [&](const Row& row) { return row.name == name; });
  if (it == rows.end())
    throw std::logic_error(std::string(table) + " has no row '" + std::string(name) +
                           "' (the matrix resolves only the methods of its spec, each with a row)");
  return *it;
}

}  // namespace iddl
