#include "reports/baseline.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <set>
#include <stdexcept>

#include "reports/fold.hpp"
#include "reports/format.hpp"
#include "reports/metric_columns.hpp"
#include "results/fields.hpp"

namespace iddl::reports {

namespace {

std::string trimmed(const std::string& text) {
  const auto first = text.find_first_not_of(" \t");
  if (first == std::string::npos) return "";
  return text.substr(first, text.find_last_not_of(" \t") - first + 1);
}

// Whether a canonical setting value is the one given: by its short label, full label or JSON text.
bool holds(const std::string& setting, const nlohmann::json& value, const std::string& given) {
  if (value.is_null()) return false;
  return setting_value_cell(setting, value) == given || value_cell(value) == given || value.dump() == given;
}

// The mean of a runs-column metric over the runs; nullopt when none recorded it.
std::optional<double> mean_over(const std::vector<const StoredRun*>& runs, const char* column) {
  const size_t index = metric_index(*find_metric(column));
  std::vector<double> values;
  for (const StoredRun* run : runs) {
    if (run->metrics[index].is_number()) values.push_back(run->metrics[index].get<double>());
  }
  if (values.empty()) return std::nullopt;
  return spread(values).mean;
}

std::string ratio_cell(std::optional<double> value, std::optional<double> base, bool numeric) {
  if (!value || !base || *base == 0) return "";
  return numeric ? format_raw(*value / *base) : format_decimal(*value / *base) + "×";
}

}  // namespace

Baseline parse_baseline(const std::string& text) {
  const auto equals = text.find('=');
  const Baseline baseline{trimmed(text.substr(0, equals)),
                          equals == std::string::npos ? "" : trimmed(text.substr(equals + 1))};
  if (equals == std::string::npos || baseline.setting.empty() || baseline.value.empty())
    throw std::invalid_argument("bad --baseline '" + text + "': give SETTING=VALUE, e.g. \"compression=none\"");
  return baseline;
}

std::vector<std::string> baseline_metric_columns() {
  namespace field = results::field;
  return {field::test_accuracy, field::bytes_sent, field::train_time_s};
}

BaselineRuns::BaselineRuns(results::Database& db, const Selection& selection, const Baseline& baseline)
    : baseline_(baseline),
      runs_(load_runs(db, {selection.sweep, std::nullopt, selection.stale}, {}, baseline_metric_columns())) {
  std::set<std::string> values;
  for (const StoredRun* run : with_status(runs_, results::RunStatus::Done)) {
    const nlohmann::json value = canonical_setting(runs_.settings[run->settings], baseline_.setting);
    if (!value.is_null()) values.insert(setting_value_cell(baseline_.setting, value));
    if (holds(baseline_.setting, value, baseline_.value))
      by_key_[key_of(runs_.sweeps[run->sweep], runs_.settings[run->settings])].push_back(run);
  }
  if (values.empty())
    throw std::invalid_argument("--baseline: no done run has a setting '" + baseline_.setting + "'");
  if (by_key_.empty())
    throw std::invalid_argument(fmt::format("--baseline: no done run has {} = {} (its values: {})", baseline_.setting,
                                            baseline_.value, fmt::join(values, ", ")));
}

std::string BaselineRuns::key_of(const std::string& sweep, const nlohmann::json& settings) const {
  nlohmann::json others = settings;
  others.erase(baseline_.setting);
  return sweep + '\x1e' + others.dump();
}

std::vector<Column> BaselineRuns::columns(bool numeric) const {
  if (numeric) {
    return {{"test_accuracy_minus_baseline", Align::Right}, {"bytes_sent_over_baseline", Align::Right},
            {"train_time_s_over_baseline", Align::Right}};
  }
  return {{"test accuracy (Δ baseline)", Align::Right}, {"bytes sent (× baseline)", Align::Right},
          {"training time (× baseline)", Align::Right}};
}

std::vector<std::string> BaselineRuns::cells(const RunSet& set, const Group& group, bool numeric) const {
  std::vector<const StoredRun*> base;
  for (const StoredRun* run : group.runs) {
    const auto found = by_key_.find(key_of(set.sweeps[run->sweep], set.settings[run->settings]));
    if (found == by_key_.end()) continue;
    for (const StoredRun* candidate : found->second)
      if (std::find(base.begin(), base.end(), candidate) == base.end()) base.push_back(candidate);
  }
  if (base.empty()) return {"", "", ""};
  namespace field = results::field;
  const auto accuracy = mean_over(group.runs, field::test_accuracy);
  const auto base_accuracy = mean_over(base, field::test_accuracy);
  std::string difference;
  if (accuracy && base_accuracy)
    difference = numeric ? format_raw(*accuracy - *base_accuracy) : format_points(*accuracy - *base_accuracy);
  return {difference, ratio_cell(mean_over(group.runs, field::bytes_sent), mean_over(base, field::bytes_sent), numeric),
          ratio_cell(mean_over(group.runs, field::train_time_s), mean_over(base, field::train_time_s), numeric)};
}

}  // namespace iddl::reports
