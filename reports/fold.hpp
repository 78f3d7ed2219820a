// Folding runs that differ only by seed into one report row: which settings vary, the fold
// key, and the mean and sample standard deviation of the folded values.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace iddl::reports {

// The settings whose values differ among the configs (seed ignored): the IDDL axes first
// (sparsification, vertical, horizontal, compression, parallelism), then model, dataset,
// ranks, batch_size, lr, then the rest by name.
std::vector<std::string> varying_settings(const std::vector<nlohmann::json>& configs);

// The config without its seed as canonical text: runs with equal fold keys share a row.
std::string fold_key(const nlohmann::json& config);

// A setting's value as a table cell: strings bare, other values as JSON, missing as "".
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
