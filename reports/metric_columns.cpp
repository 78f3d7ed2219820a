#include "reports/metric_columns.hpp"

#include <stdexcept>

#include "reports/format.hpp"
#include "reports/names.hpp"

namespace iddl::reports {

namespace {

std::vector<std::string> metric_names() {
  std::vector<std::string> names;
  for (const Metric& metric : metrics()) names.push_back(metric.column);
  return names;
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
  };
  return all;
}

size_t metric_index(const Metric& metric) { return static_cast<size_t>(&metric - metrics().data()); }

std::vector<const Metric*> default_metrics() {
  std::vector<const Metric*> chosen;
  for (const char* name :
       {"epochs", "train_time_s", "test_accuracy", "params", "flops", "bytes_sent", "bandwidth_Bps"}) {
    chosen.push_back(find_metric(name));
  }
  return chosen;
}

const Metric* find_metric(const std::string& column) {
  for (const Metric& metric : metrics()) {
    if (column == metric.column) return &metric;
  }
  return nullptr;
}

std::vector<const Metric*> parse_metric_list(const std::string& names) {
  std::vector<const Metric*> chosen;
  for (const std::string& name : split_names(names)) {
    const Metric* metric = find_metric(name);
    if (metric == nullptr) throw std::invalid_argument(unknown_name_message("column", name, metric_names()));
    chosen.push_back(metric);
  }
  return chosen;
}

std::string difference_cell(const Metric& metric, double difference) {
  if (metric.fraction) return format_points(difference);
  return format_signed(difference, metric.format);
}

}  // namespace iddl::reports
