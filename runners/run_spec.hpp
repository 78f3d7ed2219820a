#pragma once
#include <nlohmann/json.hpp>

#include <string>

#include "core/data/dataset.hpp"
#include "core/models/model.hpp"
#include "core/train/train_options.hpp"

namespace iddl::runners {

// One fully resolved run, as iddl-sweep hands it to iddl-train (docs/architecture.md, contract 2).
struct RunSpec {
  std::string sweep;
  std::string run_key;
  int repeat = 0;
  nlohmann::json config;  // every setting, defaults filled in
};

// Parses and checks a run spec; throws std::invalid_argument naming the problem.
RunSpec parse_run_spec(const std::string& json_text);

// The training core's views of a resolved config.
train::TrainOptions train_options(const nlohmann::json& config);
data::DataOptions data_options(const nlohmann::json& config);
models::ModelOptions model_options(const nlohmann::json& config);

}  // namespace iddl::runners
