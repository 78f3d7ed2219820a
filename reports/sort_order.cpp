#include "reports/sort_order.hpp"

#include <stdexcept>

#include "reports/fold.hpp"

namespace iddl::reports {

namespace {

// Numbers, then text; anything else (an axis object, a list) by its cell text.
nlohmann::json comparable(const nlohmann::json& value) {
  if (value.is_number() || value.is_string() || value.is_null()) return value;
  return value_cell(value);
}

}  // namespace

SortOrder parse_sort(const std::string& text) {
  SortOrder order;
  order.descending = !text.empty() && text.front() == '-';
  order.column = order.descending ? text.substr(1) : text;
  if (order.column.empty()) throw std::invalid_argument("--sort needs a column name, got '" + text + "'");
  return order;
}

bool sorts_before(const nlohmann::json& a, const nlohmann::json& b, bool descending) {
  const nlohmann::json x = comparable(a);
  const nlohmann::json y = comparable(b);
  if (x.is_null() || y.is_null()) return !x.is_null() && y.is_null();
  if (x.is_number() != y.is_number()) return x.is_number();
  if (x.is_number()) return descending ? x.get<double>() > y.get<double>() : x.get<double>() < y.get<double>();
  return descending ? x.get<std::string>() > y.get<std::string>() : x.get<std::string>() < y.get<std::string>();
}

}  // namespace iddl::reports
