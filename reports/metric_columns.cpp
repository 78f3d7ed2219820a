#include "reports/metric_columns.hpp"

#include <algorithm>
#include <cctype>
#include <stdexcept>

#include "reports/format.hpp"
#include "reports/names.hpp"
#include "results/fields.hpp"

namespace iddl::reports {

namespace {

const char kPatternEnd = '*';

// The named metric `name` written in the unit: its header is its name.
Metric unit_metric(const std::string& name, results::Unit unit) {
  using results::Unit;
  Metric metric{name, name, format_decimal, unit == Unit::Fraction, true};
  switch (unit) {
    case Unit::Fraction: metric.format = format_percent; break;
    case Unit::Count: metric.format = format_count; break;
    case Unit::Integer: metric.format = format_integer; break;
    case Unit::Seconds: metric.format = format_duration; break;
    case Unit::Milliseconds: metric.format = format_milliseconds; break;
    case Unit::Bytes: metric.format = format_bytes; break;
    case Unit::BytesPerSecond: metric.format = format_rate; break;
    case Unit::PerSecond: metric.format = format_per_second; break;
    case Unit::Text: metric.text = true; break;
    case Unit::None:
    case Unit::Decimal: break;
  }
  return metric;
}

bool is_digit(char c) { return std::isdigit(static_cast<unsigned char>(c)) != 0; }

// The end of the run of digits starting at start.
size_t digits_end(const std::string& text, size_t start) {
  while (start < text.size() && is_digit(text[start])) ++start;
  return start;
}

// A run of digits without its leading zeros ("" for zero).
std::string significant(const std::string& text, size_t begin, size_t end) {
  while (begin < end && text[begin] == '0') ++begin;
  return text.substr(begin, end - begin);
}

// Every name a metric column can have: the metrics with a runs column, then the present names.
std::vector<std::string> metric_names(const std::vector<std::string>& present) {
  std::vector<std::string> names;
  for (const Metric& metric : metrics()) names.push_back(metric.column);
  names.insert(names.end(), present.begin(), present.end());
  return names;
}

// The present names a "prefix*" pattern matches, in natural order; none throws naming the pattern.
std::vector<std::string> matching(const std::string& pattern, const std::vector<std::string>& present) {
  const std::string prefix = pattern.substr(0, pattern.size() - 1);
  std::vector<std::string> names;
  std::copy_if(present.begin(), present.end(), std::back_inserter(names),
               [&](const std::string& name) { return name.compare(0, prefix.size(), prefix) == 0; });
  if (names.empty()) {
    throw std::invalid_argument(unknown_name_message("column pattern", pattern, metric_names(present)));
  }
  std::sort(names.begin(), names.end(), natural_less);
  return names;
}

// The metric of one name of a --columns list (not a pattern).
Metric metric_of_name(const std::string& name, const std::vector<std::string>& present) {
  if (const Metric* metric = find_metric(name)) return *metric;
  if (std::find(present.begin(), present.end(), name) != present.end()) return named_metric(name);
  throw std::invalid_argument(unknown_name_message("column", name, metric_names(present)));
}

}  // namespace

const std::vector<Metric>& metrics() {
  static const std::vector<Metric> all = [] {
    std::vector<Metric> list;
    for (const results::EventField& field : results::kEventFields) {
      if (field.unit == results::Unit::None) continue;
      Metric metric = unit_metric(field.name, field.unit);
      metric.header = field.header;
      metric.named = false;
      metric.per_epoch = (field.events & ~results::kEpoch) == 0;
      list.push_back(std::move(metric));
    }
    return list;
  }();
  return all;
}

std::string metric_sql(const Metric& metric) {
  if (metric.per_epoch) return "(SELECT AVG(e." + metric.column + ") FROM epochs AS e WHERE e.run_id = r.id)";
  return "r." + metric.column;
}

size_t metric_index(const Metric& metric) {
  const std::vector<Metric>& all = metrics();
  const auto found = std::find_if(all.begin(), all.end(), [&](const Metric& m) { return m.column == metric.column; });
  return static_cast<size_t>(found - all.begin());
}

std::vector<Metric> default_metrics() {
  std::vector<Metric> chosen;
  namespace field = results::field;
  for (const char* name : {field::epochs, field::train_time_s, field::test_accuracy, field::params, field::flops,
                           field::bytes_sent, field::bandwidth_Bps}) {
    chosen.push_back(*find_metric(name));
  }
  return chosen;
}

const Metric* find_metric(const std::string& column) {
  for (const Metric& metric : metrics()) {
    if (column == metric.column) return &metric;
  }
  return nullptr;
}

Metric named_metric(const std::string& name) { return unit_metric(name, results::named_metric_unit(name)); }

bool natural_less(const std::string& a, const std::string& b) {
  size_t i = 0;
  size_t j = 0;
  while (i < a.size() && j < b.size()) {
    if (is_digit(a[i]) && is_digit(b[j])) {
      const size_t a_end = digits_end(a, i);
      const size_t b_end = digits_end(b, j);
      const std::string x = significant(a, i, a_end);
      const std::string y = significant(b, j, b_end);
      if (x != y) return x.size() != y.size() ? x.size() < y.size() : x < y;
      i = a_end;
      j = b_end;
    } else if (a[i] != b[j]) {
      return a[i] < b[j];
    } else {
      ++i;
      ++j;
    }
  }
  if (i == a.size() && j == b.size()) return a < b;  // equal but for leading zeros
  return i == a.size();
}

std::vector<Metric> parse_metric_list(const std::string& names, const std::vector<std::string>& present) {
  std::vector<Metric> chosen;
  for (const std::string& name : split_names(names)) {
    if (name.back() != kPatternEnd) {
      chosen.push_back(metric_of_name(name, present));
      continue;
    }
    for (const std::string& match : matching(name, present)) chosen.push_back(named_metric(match));
  }
  return chosen;
}

std::string difference_cell(const Metric& metric, double difference) {
  if (metric.text) return "";
  if (metric.fraction) return format_points(difference);
  return format_signed(difference, metric.format);
}

}  // namespace iddl::reports
