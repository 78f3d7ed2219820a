// Folding runs that differ only by seed into one report row: which settings vary, the fold
// key, and the mean and sample standard deviation of the folded values.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace iddl::reports {

// A setting's value in canonical form, so both spellings of an axis value compare equal: an IDDL
// axis given as a plain method name ("sync") becomes {"method": "sync"}; other values as they
// are; a missing setting as null.
nlohmann::json canonical_setting(const nlohmann::json& config, const std::string& setting);

// The config without its seed, every axis in canonical form.
nlohmann::json canonical_settings(const nlohmann::json& config);

// The settings whose canonical values differ among the configs (seed ignored), in report order.
std::vector<std::string> varying_settings(const std::vector<nlohmann::json>& configs);

// The settings in report order: the IDDL axes, then model, dataset, ranks, batch_size, lr, then
// the rest by name.
std::vector<std::string> in_report_order(std::vector<std::string> settings);

// The canonical settings as text: runs with equal fold keys share a row.
std::string fold_key(const nlohmann::json& config);

// A value as a table cell: an axis value by its label ("sync", "topk(ratio=0.01)"), strings
// bare, other values as JSON, null as "".
std::string value_cell(const nlohmann::json& value);

// A setting's value as a cell, an axis value by its method and only the parameters off their
// registry defaults ("topk(ratio=0.01)", "none"); other values as value_cell.
std::string setting_value_cell(const std::string& setting, const nlohmann::json& value);

// A setting's value as a table cell (setting_value_cell of its canonical value).
std::string setting_cell(const nlohmann::json& config, const std::string& setting);

// Mean and sample standard deviation (0 for fewer than two values) of some numbers.
struct Spread {
  double mean = 0;
  double std = 0;
};
Spread spread(const std::vector<double>& values);

// The cell of folded values: "" when there are none, "mean" when they all agree,
// "mean ± std" otherwise, each number written by format.
std::string spread_cell(const std::vector<double>& values, const std::function<std::string(double)>& format);

}  // namespace iddl::reports
