#include "reports/metric_columns.hpp"

#include <algorithm>
#include <cctype>
#include <stdexcept>

#include "reports/format.hpp"
#include "reports/names.hpp"

namespace iddl::reports {

namespace {

const char kPatternEnd = '*';

bool contains(const std::string& text, const char* part) { return text.find(part) != std::string::npos; }

bool ends_with(const std::string& text, const std::string& end) {
  return text.size() >= end.size() && text.compare(text.size() - end.size(), end.size(), end) == 0;
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
  static const std::vector<Metric> all = {
      {"test_accuracy", "test accuracy", format_percent, true},
      {"train_time_s", "training time", format_duration, false},
      {"params", "params", format_count, false},
      {"flops", "FLOPs", format_count, false},
      {"bytes_sent", "bytes sent", format_bytes, false},
      {"bandwidth_Bps", "bandwidth", format_rate, false},
      {"inference_time_s", "inference time", format_duration, false},
      {"latency_ms", "latency", format_milliseconds, false},
      {"test_loss", "test loss", format_decimal, false},
      {"train_loss", "train loss", format_decimal, false},
      {"comm_time_s", "comm time", format_duration, false},
      {"bytes_received", "bytes received", format_bytes, false},
      {"epochs", "epochs", format_count, false},
      {"compression_ratio", "compression ratio", format_decimal, false},
  };
  return all;
}

size_t metric_index(const Metric& metric) {
  const std::vector<Metric>& all = metrics();
  const auto found = std::find_if(all.begin(), all.end(), [&](const Metric& m) { return m.column == metric.column; });
  return static_cast<size_t>(found - all.begin());
}

std::vector<Metric> default_metrics() {
  std::vector<Metric> chosen;
  for (const char* name :
       {"epochs", "train_time_s", "test_accuracy", "params", "flops", "bytes_sent", "bandwidth_Bps"}) {
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

Metric named_metric(const std::string& name) {
  if (contains(name, "accuracy") || contains(name, "fraction") || contains(name, "efficiency"))
    return {name, name, format_percent, true, true};
  if (contains(name, "flops")) return {name, name, format_count, false, true};
  if (ends_with(name, "_per_s")) return {name, name, format_per_second, false, true};
  if (ends_with(name, "_Bps")) return {name, name, format_rate, false, true};
  if (ends_with(name, "_bytes")) return {name, name, format_bytes, false, true};
  if (ends_with(name, "_s")) return {name, name, format_duration, false, true};
  if (ends_with(name, "_ms")) return {name, name, format_milliseconds, false, true};
  return {name, name, format_decimal, false, true};
}

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
  if (metric.fraction) return format_points(difference);
  return format_signed(difference, metric.format);
}

}  // namespace iddl::reports
