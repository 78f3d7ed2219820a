#include "reports/fold.hpp"

#include <algorithm>
#include <cmath>
#include <set>

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

nlohmann::json value_of(const nlohmann::json& config, const std::string& setting) {
  const auto found = config.find(setting);
  return found == config.end() ? nlohmann::json() : *found;
}

}  // namespace

std::vector<std::string> varying_settings(const std::vector<nlohmann::json>& configs) {
  std::set<std::string> names;
  for (const nlohmann::json& config : configs) {
    for (const auto& item : config.items()) names.insert(item.key());
  }
  names.erase(kSeed);
  std::vector<std::string> varying;
  for (const std::string& name : names) {
    const nlohmann::json first = value_of(configs.front(), name);
    const bool differs = std::any_of(configs.begin(), configs.end(),
                                     [&](const nlohmann::json& config) { return value_of(config, name) != first; });
    if (differs) varying.push_back(name);
  }
  std::stable_sort(varying.begin(), varying.end(), [](const std::string& a, const std::string& b) {
    return leading_rank(a) < leading_rank(b);
  });
  return varying;
}

std::string fold_key(const nlohmann::json& config) {
  nlohmann::json without_seed = config;
  without_seed.erase(kSeed);
  return without_seed.dump();
}

std::string setting_cell(const nlohmann::json& config, const std::string& setting) {
  const nlohmann::json value = value_of(config, setting);
  if (value.is_null()) return "";
  if (value.is_string()) return value.get<std::string>();
  return value.dump();
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
