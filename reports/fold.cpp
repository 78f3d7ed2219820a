#include "reports/fold.hpp"

#include <algorithm>
#include <cmath>
#include <set>

#include "matrix/axis_value.hpp"
#include "matrix/run_key.hpp"
#include "matrix/settings.hpp"

namespace iddl::reports {

namespace {

// Settings listed first, in this order, when they vary; the rest follow by name.
const std::vector<std::string> kLeadingSettings = {"sparsification", "vertical", "horizontal", "compression",
                                                   "parallelism",    "model",    "dataset",    "ranks",
                                                   "batch_size",     "lr"};

// The seed is what repeats vary; it never makes runs different settings.
const char* const kSeed = "seed";

size_t leading_rank(const std::string& setting) {
  const auto found = std::find(kLeadingSettings.begin(), kLeadingSettings.end(), setting);
  return static_cast<size_t>(found - kLeadingSettings.begin());
}

// A setting whose value is a method: an IDDL axis or augment.
bool is_method_setting(const std::string& setting) {
  static const std::vector<std::string> names = matrix::method_setting_names();
  return std::find(names.begin(), names.end(), setting) != names.end();
}

bool is_axis_object(const nlohmann::json& value) {
  return value.is_object() && value.contains("method") && value["method"].is_string();
}

}  // namespace

nlohmann::json canonical_setting(const nlohmann::json& config, const std::string& setting) {
  const auto found = config.find(setting);
  if (found == config.end()) return nullptr;
  if (found->is_string() && is_method_setting(setting)) return {{"method", *found}};
  return *found;
}

nlohmann::json canonical_settings(const nlohmann::json& config) {
  nlohmann::json canonical = nlohmann::json::object();
  for (const auto& item : config.items()) {
    if (item.key() != kSeed) canonical[item.key()] = canonical_setting(config, item.key());
  }
  return canonical;
}

std::vector<std::string> varying_settings(const std::vector<nlohmann::json>& configs) {
  std::set<std::string> names;
  for (const nlohmann::json& config : configs) {
    for (const auto& item : config.items()) names.insert(item.key());
  }
  names.erase(kSeed);
  std::vector<std::string> varying;
  for (const std::string& name : names) {
    const nlohmann::json first = canonical_setting(configs.front(), name);
    const bool differs = std::any_of(configs.begin(), configs.end(), [&](const nlohmann::json& config) {
      return canonical_setting(config, name) != first;
    });
    if (differs) varying.push_back(name);
  }
  return in_report_order(varying);
}

std::vector<std::string> in_report_order(std::vector<std::string> settings) {
  std::sort(settings.begin(), settings.end());
  std::stable_sort(settings.begin(), settings.end(), [](const std::string& a, const std::string& b) {
    return leading_rank(a) < leading_rank(b);
  });
  return settings;
}

std::string fold_key(const nlohmann::json& config) { return canonical_settings(config).dump(); }

std::string value_cell(const nlohmann::json& value) {
  if (value.is_null()) return "";
  if (is_axis_object(value)) return matrix::axis_label(value);
  if (value.is_string()) return value.get<std::string>();
  return value.dump();
}

std::string setting_value_cell(const std::string& setting, const nlohmann::json& value) {
  if (!is_axis_object(value)) return value_cell(value);
  return matrix::setting_label(setting, value);
}

std::string setting_cell(const nlohmann::json& config, const std::string& setting) {
  return setting_value_cell(setting, canonical_setting(config, setting));
}

Spread spread(const std::vector<double>& values) {
  Spread result;
  if (values.empty()) return result;
  double sum = 0;
  for (const double value : values) sum += value;
  result.mean = sum / static_cast<double>(values.size());
  if (values.size() < 2) return result;
  double squares = 0;
  for (const double value : values) squares += (value - result.mean) * (value - result.mean);
  result.std = std::sqrt(squares / static_cast<double>(values.size() - 1));
  return result;
}

std::string spread_cell(const std::vector<double>& values, const std::function<std::string(double)>& format) {
  if (values.empty()) return "";
  const Spread folded = spread(values);
  const bool all_equal = std::all_of(values.begin(), values.end(), [&](double v) { return v == values.front(); });
  if (all_equal) return format(values.front());
  return format(folded.mean) + " ± " + format(folded.std);
}

}  // namespace iddl::reports
