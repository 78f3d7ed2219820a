#include "core/models/model.hpp"

#include "core/models/layers.hpp"
#include "core/models/model_registry.hpp"

namespace iddl::models {

StagedModel make_model(const ModelOptions& options, const InputShape& shape) {
  return model_method(options.name).make(options, shape, LayerFactory(options.sparsity, options.part));
}

torch::Tensor ModelImpl::training_loss(const torch::Tensor& x, const torch::Tensor& y) { return loss_(forward(x), y); }

void ModelImpl::score(const torch::Tensor& x, const torch::Tensor& y, TestSums& sums) {
  const torch::Tensor logits = forward(x);
  sums.samples += static_cast<double>(x.size(0));
  sums.loss += loss_.summed(logits, y).item<double>();
  sums.correct += logits.argmax(1).eq(y).sum().item<double>();
}

torch::Tensor StagedModelImpl::forward(torch::Tensor x) {
  for (int64_t i = 0; i < stage_count(); ++i) x = stage(i, x);
  return output(features(x));
}

int64_t count_parameters(ModelImpl& model) {
  int64_t total = 0;
  for (const auto& p : model.parameters()) {
    if (p.requires_grad()) total += p.numel();
  }
  for (const auto& module : model.modules(/*include_self=*/false)) total -= masked_weights(*module);
  return total;
}

int64_t count_weights(ModelImpl& model) {
  int64_t total = 0;
  for (const auto& module : model.modules(/*include_self=*/false)) total += multiplicative_weights(*module);
  return total;
}

namespace {
// Restores a module's train/eval mode when it goes out of scope.
class TrainingModeGuard {
 public:
  explicit TrainingModeGuard(torch::nn::Module& module) : module_(module), training_(module.is_training()) {}
  ~TrainingModeGuard() { module_.train(training_); }
  TrainingModeGuard(const TrainingModeGuard&) = delete;
  TrainingModeGuard& operator=(const TrainingModeGuard&) = delete;

 private:
  torch::nn::Module& module_;
  bool training_;
};
}  // namespace

int64_t count_flops(ModelImpl& model, const InputShape& shape) {
  TrainingModeGuard mode(model);
  torch::NoGradGuard no_grad;
  model.eval();
  const auto params = model.parameters();
  const auto options = params.empty() ? torch::TensorOptions() : params.front().options();
  FlopMeter meter;
  model.forward(torch::zeros({1, shape.channels, shape.height, shape.width}, options.requires_grad(false)));
  return meter.total();
}

}  // namespace iddl::models
