#include "runners/train/run_spec.hpp"

#include "matrix/axis_value.hpp"

namespace iddl::runners {

train::TrainOptions train_options(const nlohmann::json& c) {
  train::TrainOptions o;
  o.epochs = c.at("epochs").get<int64_t>();
  o.batch_size = c.at("batch_size").get<int64_t>();
  o.batch_scope = c.at("batch_scope").get<std::string>();
  o.augment = augment_options(c.at("augment"));
  o.lr = c.at("lr").get<double>();
  o.momentum = c.at("momentum").get<double>();
  o.nesterov = c.at("nesterov").get<bool>();
  o.weight_decay = c.at("weight_decay").get<double>();
  o.schedule = c.at("schedule").get<std::string>();
  o.lr_step_epochs = c.at("lr_step_epochs").get<int64_t>();
  o.lr_gamma = c.at("lr_gamma").get<double>();
  o.warmup_epochs = c.at("warmup_epochs").get<int64_t>();
  o.lr_epochs = c.at("lr_epochs").get<std::vector<double>>();
  o.lr_values = c.at("lr_values").get<std::vector<double>>();
  o.seed = c.at("seed").get<uint64_t>();
  o.precision = c.at("precision").get<std::string>();
  o.channels_last = c.at("channels_last").get<bool>();
  o.device_data_mb = c.at("device_data_mb").get<int64_t>();
  return o;
}

data::AugmentOptions augment_options(const nlohmann::json& augment) {
  data::AugmentOptions o;
  o.method = matrix::axis_method(augment);
  o.pad = augment.value("pad", o.pad);
  o.padding = augment.value("padding", o.padding);
  o.flip = augment.value("flip", o.flip);
  o.cutout = augment.value("cutout", o.cutout);
  return o;
}

data::DataOptions data_options(const nlohmann::json& c) {
  data::DataOptions o;
  o.name = c.at("dataset").get<std::string>();
  o.data_dir = c.at("data_dir").get<std::string>();
  o.train_samples = c.at("train_samples").get<int64_t>();
  o.test_samples = c.at("test_samples").get<int64_t>();
  o.standardize = c.at("normalize").get<std::string>() == "standard";
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
  o.sparsity.shortcuts = sparsification.value("shortcuts", o.sparsity.shortcuts);
  o.sparsity.design_over = sparsification.value("design_over", o.sparsity.design_over);
  o.sparsity.seed = c.at("seed").get<uint64_t>();
  o.activation.function = c.at("activation").get<std::string>();
  o.activation.leaky_slope = c.at("leaky_slope").get<double>();
  o.activation.dropout = c.at("dropout").get<double>();
  o.activation.dropout_kind = c.at("dropout_kind").get<std::string>();
  return o;
}

models::TrainingLoss training_loss(const nlohmann::json& c) {
  return models::TrainingLoss(c.at("loss").get<std::string>(), c.at("loss_reduction").get<std::string>(),
                              c.at("label_smoothing").get<double>());
}

parallel::StrategyOptions strategy_options(const nlohmann::json& c) {
  const nlohmann::json& parallelism = c.at("parallelism");  // {"method": ..., its parameters}
  return {matrix::axis_method(parallelism), parallelism, compression_options(c.at("compression"))};
}

vertical::VerticalOptions vertical_options(const nlohmann::json& c) {
  const nlohmann::json& vertical = c.at("vertical");
  vertical::VerticalOptions o;
  o.method = matrix::axis_method(vertical);
  o.combine = vertical.value("combine", o.combine);
  o.combiner_lr = vertical.value("combiner_lr", o.combiner_lr);
  o.training = vertical.value("training", o.training);
  o.members = vertical.value("members", o.members);
  o.update = vertical.value("update", o.update);
  o.sample_weighting = vertical.value("sample_weighting", o.sample_weighting);
  return o;
}

std::optional<horizontal::EarlyExitOptions> early_exit_options(const nlohmann::json& c) {
  const nlohmann::json& horizontal = c.at("horizontal");
  if (matrix::axis_method(horizontal) == "none") return std::nullopt;
  horizontal::EarlyExitOptions o;
  o.exits = horizontal.at("exits").get<std::vector<int64_t>>();
  o.branch_weight = horizontal.at("branch_weight").get<double>();
  o.threshold = horizontal.at("threshold").get<double>();
  o.branch = horizontal.at("branch").get<std::string>();
  o.branch_training = horizontal.at("branch_training").get<std::string>();
  return o;
}

compress::CompressionOptions compression_options(const nlohmann::json& compression) {
  compress::CompressionOptions o;
  o.method = matrix::axis_method(compression);
  o.granularity = compression.value("granularity", o.granularity);
  o.error_feedback = compression.value("error_feedback", o.error_feedback);
  o.params = compression;
  return o;
}

}  // namespace iddl::runners
