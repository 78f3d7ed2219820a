// The metric columns of the reports: each metric by its runs column name, its table header and
// how its values (and differences of values) are written.
#pragma once

#include <string>
#include <vector>

namespace iddl::reports {

// One metric of a run.
struct Metric {
  const char* column;             // the runs column, e.g. "test_accuracy"
  const char* header;             // the table header, e.g. "test accuracy"
  std::string (*format)(double);  // a value as a cell
  bool fraction;                  // a fraction printed as a percentage: differences in percentage points
};

// Every metric, in the order of docs/reports.md.
const std::vector<Metric>& metrics();

// The position of a metric in metrics().
size_t metric_index(const Metric& metric);

// The columns of a report when none are named: epochs, training time, test accuracy, params,
// FLOPs, bytes sent, bandwidth.
std::vector<const Metric*> default_metrics();

// The metrics named in a comma-separated list, in its order; an unknown name throws
// std::invalid_argument naming it and the closest metric.
std::vector<const Metric*> parse_metric_list(const std::string& names);

// The metric of a runs column name; nullptr when it is not a metric.
const Metric* find_metric(const std::string& column);

// A difference b - a of the metric: "+1.25 pp" for fractions, else signed in the metric's unit.
std::string difference_cell(const Metric& metric, double difference);

}  // namespace iddl::reports
