#include "runners/train/run_spec.hpp"

namespace iddl::runners {

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
