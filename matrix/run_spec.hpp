#pragma once
// Contract 2 (docs/architecture.md): the run spec iddl-sweep hands iddl-train, read without LibTorch.
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

namespace iddl::matrix {

// One fully resolved run, as iddl-sweep hands it to iddl-train.
struct RunSpec {
  std::string sweep;
  std::string run_key;
  int repeat = 0;
  nlohmann::json config;  // every setting, defaults filled in
  std::string checkpoint_dir;  // the run's checkpoint folder (checkpoint_every > 0), "" for none
  std::string model_dir;       // where save_model = true writes the final weights, "" for nowhere
};

// Parses and checks a run spec; throws std::invalid_argument naming the problem (not JSON, nested too deep,
// a field of the wrong type, a config that does not resolve).
RunSpec parse_run_spec(std::string_view json_text);

}  // namespace iddl::matrix
