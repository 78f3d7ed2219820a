#include "runners/run_spec.hpp"

#include <stdexcept>

#include "matrix/run_key.hpp"
#include "matrix/settings.hpp"

namespace iddl::runners {

RunSpec parse_run_spec(const std::string& json_text) {
  nlohmann::json document;
  try {
    document = nlohmann::json::parse(json_text);
  } catch (const nlohmann::json::parse_error& e) {
    throw std::invalid_argument(std::string("run spec is not valid JSON: ") + e.what());
  }
  if (!document.is_object() || !document.contains("config") || !document["config"].is_object())
    throw std::invalid_argument("run spec must be a JSON object with a \"config\" object");
  RunSpec spec;
  spec.sweep = document.value("sweep", "");
  spec.repeat = document.value("repeat", 0);
  try {
    spec.config = matrix::resolve_config(document["config"]);
  } catch (const matrix::ConfigError& e) {
    throw std::invalid_argument(std::string("run spec config: ") + e.what());
  }
  spec.run_key = document.value("run_key", matrix::run_key(spec.config));
  return spec;
}

train::TrainOptions train_options(const nlohmann::json& c) {
  train::TrainOptions o;
  o.epochs = c.at("epochs").get<int64_t>();
  o.batch_size = c.at("batch_size").get<int64_t>();
  o.lr = c.at("lr").get<double>();
  o.momentum = c.at("momentum").get<double>();
  o.nesterov = c.at("nesterov").get<bool>();
  o.weight_decay = c.at("weight_decay").get<double>();
  o.schedule = c.at("schedule").get<std::string>();
  o.lr_step_epochs = c.at("lr_step_epochs").get<int64_t>();
  o.lr_gamma = c.at("lr_gamma").get<double>();
  o.warmup_epochs = c.at("warmup_epochs").get<int64_t>();
  o.seed = c.at("seed").get<uint64_t>();
  return o;
}

data::DataOptions data_options(const nlohmann::json& c) {
  data::DataOptions o;
  o.name = c.at("dataset").get<std::string>();
  o.data_dir = c.at("data_dir").get<std::string>();
  o.train_samples = c.at("train_samples").get<int64_t>();
  o.test_samples = c.at("test_samples").get<int64_t>();
  o.seed = c.at("seed").get<uint64_t>();
  return o;
}

models::ModelOptions model_options(const nlohmann::json& c) {
  models::ModelOptions o(c.at("model").get<std::string>(), c.at("hidden").get<std::vector<int64_t>>());
  const nlohmann::json& sparsification = c.at("sparsification");  // {"method": ..., its parameters}
  o.sparsity.method = sparsification.at("method").get<std::string>();
  o.sparsity.design = sparsification.value("design", o.sparsity.design);
  o.sparsity.layers = sparsification.value("layers", o.sparsity.layers);
  o.sparsity.groups = sparsification.value("groups", o.sparsity.groups);
  o.sparsity.seed = c.at("seed").get<uint64_t>();
  return o;
}

}  // namespace iddl::runners
