// The metric columns of the reports: each field of the contract (results/fields.hpp) that reports
// show, by its column name, or a named metric by its run_metrics name; its table header and how
// its values (and differences of values) are written.
#pragma once

#include <string>
#include <vector>

namespace iddl::reports {

// One metric of a run.
struct Metric {
  std::string column;             // the runs column ("test_accuracy") or the run_metrics name ("exit_fraction.1")
  std::string header;             // the table header, e.g. "test accuracy"
  std::string (*format)(double);  // a value as a cell
  bool fraction;                  // a fraction printed as a percentage: differences in percentage points
  bool named = false;             // a run_metrics name, not a runs column
  bool text = false;              // text values (host, model): a cell lists the distinct ones
  bool per_epoch = false;         // an epochs column: a run's value is the mean over its epochs
};

// Every field of results/fields.hpp with a report unit, in the table's order.
const std::vector<Metric>& metrics();

// The SQL expression of a metric's value for the run aliased r: its runs column, or the mean of
// its epochs column.
std::string metric_sql(const Metric& metric);

// The position in metrics() of a metric with a runs column.
size_t metric_index(const Metric& metric);

// The columns of a report when none are named: epochs, training time, test accuracy, params,
// FLOPs, bytes sent, bandwidth.
std::vector<Metric> default_metrics();

// The metrics named in a comma-separated list, in its order: a metric with a runs column, one of
// the named metrics present (run_metrics names), or "prefix*", every present name starting with
// prefix in natural order (exit_accuracy.2 before exit_accuracy.10). An unknown name, or a
// pattern matching none, throws std::invalid_argument naming it and the close known names.
std::vector<Metric> parse_metric_list(const std::string& names, const std::vector<std::string>& present = {});

// The metric of a runs column name; nullptr when it is not a metric.
const Metric* find_metric(const std::string& column);

// The metric of a run_metrics name, written as results::named_metric_unit says: "accuracy",
// "fraction" or "efficiency" in it as a percentage, "flops" as the FLOPs, ending in "_per_s" as a
// rate ("228.57/s"), in "_Bps" as bytes per second, in "_bytes" as bytes, in "_s" as a time, in
// "_ms" as the latency, else a plain number.
Metric named_metric(const std::string& name);

// Whether a comes before b with the digit runs compared as numbers: "a.2" before "a.10".
bool natural_less(const std::string& a, const std::string& b);

// A difference b - a of the metric: "+1.25 pp" for fractions, else signed in the metric's unit.
std::string difference_cell(const Metric& metric, double difference);

}  // namespace iddl::reports
