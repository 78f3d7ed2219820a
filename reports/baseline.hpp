// Rows against a baseline: the run of the same sweep with the same settings but one setting at the
// baseline's value (--baseline "compression=none"), and each row's difference and ratios to it.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "reports/grouping.hpp"
#include "reports/run_set.hpp"
#include "reports/table.hpp"
#include "results/sqlite.hpp"

namespace iddl::reports {

// A baseline: a setting and the value its baseline runs hold, as given ("compression=none").
struct Baseline {
  std::string setting;
  std::string value;
};

// "setting=value", blanks around each trimmed; anything else throws std::invalid_argument quoting it.
Baseline parse_baseline(const std::string& text);

// The runs columns a baseline comparison reads: test_accuracy, bytes_sent, train_time_s.
std::vector<std::string> baseline_metric_columns();

// The done baseline runs of the selected sweeps (the where expression aside: a row's baseline may be
// outside it), found by sweep and settings.
class BaselineRuns {
 public:
  // Loads the baseline runs. Throws std::invalid_argument when no run of the sweeps has the setting,
  // or none holds the value (listing the values there are).
  BaselineRuns(results::Database& db, const Selection& selection, const Baseline& baseline);

  // The columns per row: "test accuracy (Δ baseline)", "bytes sent (× baseline)", "training time
  // (× baseline)"; numeric: test_accuracy_minus_baseline, bytes_sent_over_baseline,
  // train_time_s_over_baseline.
  std::vector<Column> columns(bool numeric) const;

  // The group's cells of columns(numeric): its mean accuracy minus its baseline's (percentage points,
  // or a fraction when numeric), its mean bytes sent and training time over its baseline's; empty
  // when the group's runs have no baseline run or a value is missing (or the baseline's is 0).
  std::vector<std::string> cells(const RunSet& set, const Group& group, bool numeric) const;

 private:
  std::string key_of(const std::string& sweep, const nlohmann::json& settings) const;

  Baseline baseline_;
  RunSet runs_;
  std::map<std::string, std::vector<const StoredRun*>> by_key_;  // sweep and settings but the baseline's
};

}  // namespace iddl::reports
