#include "core/train/trainer.hpp"

#include <stdexcept>

#include "core/models/layers.hpp"
#include "core/train/flat_tensors.hpp"
#include "core/train/lr_schedule.hpp"

namespace iddl::train {
namespace {

torch::optim::SGDOptions sgd_options(const TrainOptions& o) {
  return torch::optim::SGDOptions(o.lr).momentum(o.momentum).nesterov(o.nesterov).weight_decay(o.weight_decay);
}

// The model's 4-D parameters (convolution weights) in channels-last memory format, the model on `device`.
void place_model(models::ModelImpl& model, torch::Device device, bool channels_last) {
  model.to(device);
  if (!channels_last) return;
  for (torch::Tensor& parameter : model.parameters())
    if (parameter.dim() == 4) parameter.set_data(parameter.data().contiguous(torch::MemoryFormat::ChannelsLast));
}

}  // namespace

Trainer::Trainer(models::Model model, const TrainOptions& options, torch::Device device, comm::Communicator* comm,
                 TrainingHooks& hooks)
    : model_(std::move(model)),
      comm_(comm),
      hooks_(hooks),
      autocast_(autocast_type(options.precision, device)),
      device_(device),
      channels_last_(options.channels_last),
      parameters_((place_model(*model_, device, channels_last_), model_->sgd_parameters())),
      optimizer_(parameters_, sgd_options(options)) {
  if (options.precision == "fp16") scaler_.emplace();
}

torch::Tensor Trainer::input(const torch::Tensor& x) const {
  return channels_last_ && x.dim() == 4 ? x.contiguous(torch::MemoryFormat::ChannelsLast) : x;
}

void Trainer::start_epoch() {
  if (!started_) {
    hooks_.on_start(*model_);
    FlatParameters* flat = hooks_.flat_parameters();
    if (flat && flat->values().device().is_cpu() && flat->covers(parameters_))
      flat_sgd_ = std::make_unique<FlatSgd>(
          *flat, static_cast<const torch::optim::SGDOptions&>(optimizer_.param_groups().front().options()));
    started_ = true;
  }
  model_->train();
}

void Trainer::save(torch::serialize::OutputArchive& archive) const {
  const std::optional<StrategyState> state = hooks_.checkpoint_state();
  if (!state) throw std::invalid_argument("this strategy cannot be checkpointed");
  torch::serialize::OutputArchive model, optimizer, strategy;
  model_->save(model);
  if (flat_sgd_) {  // the momenta as the per-tensor optimizer keeps them: one checkpoint format
    torch::optim::SGD per_tensor(parameters_, static_cast<const torch::optim::SGDOptions&>(
                                                   optimizer_.param_groups().front().options()));
    flat_sgd_->export_state(per_tensor);
    per_tensor.save(optimizer);
  } else {
    optimizer_.save(optimizer);
  }
  for (const auto& [name, tensor] : *state) strategy.write(name, tensor);
  archive.write("model", model);
  archive.write("optimizer", optimizer);
  archive.write("strategy", strategy);
}

void Trainer::load(torch::serialize::InputArchive& archive) {
  start_epoch();
  torch::serialize::InputArchive model, optimizer, strategy;
  archive.read("model", model);
  archive.read("optimizer", optimizer);
  archive.read("strategy", strategy);
  model_->load(model);
  optimizer_.load(optimizer);
  if (flat_sgd_) {
    hooks_.flat_parameters()->relink();  // loading replaced the values
    flat_sgd_->import_state(optimizer_);
    optimizer_.state().clear();  // the flat momenta are the ones in use
  }
  StrategyState state;
  for (const std::string& name : strategy.keys()) {
    torch::Tensor tensor;
    strategy.read(name, tensor);
    state[name] = tensor;
  }
  hooks_.restore_state(state);
}

void Trainer::set_learning_rate(double lr) {
  train::set_learning_rate(optimizer_, lr);
  if (flat_sgd_) flat_sgd_->set_learning_rate(lr);
}

StepLoss Trainer::train_step(const torch::Tensor& x, const torch::Tensor& y, int64_t global_samples) {
  if (flat_sgd_)
    flat_sgd_->zero_grad();
  else
    optimizer_.zero_grad();
  StepLoss counted{0.0, x.size(0)};
  hooks_.before_backward(*model_, counted.samples, global_samples);
  if (counted.samples > 0) {
    torch::Tensor loss;
    {
      const AutocastGuard autocast(autocast_, device_);
      loss = model_->training_loss(input(x), y);
    }
    (scaler_ ? scaler_->scale(loss) : loss).backward();
    counted.device_sum = model_->loss().summed_from(loss, counted.samples);
  }
  ensure_gradients(parameters_);
  models::mask_gradients(*model_);
  hooks_.after_backward(*model_, counted.samples, global_samples);
  const bool finite = !scaler_ || scaler_->unscale(parameters_);  // the exchanged gradients: alike on every rank
  if (finite) {
    if (flat_sgd_)
      flat_sgd_->step();
    else
      optimizer_.step();
  }
  if (scaler_) scaler_->update(finite);
  hooks_.after_step(*model_);
  return counted;
}

void Trainer::score(const torch::Tensor& x, const torch::Tensor& y, models::TestSums& sums) {
  torch::NoGradGuard no_grad;
  model_->eval();
  const AutocastGuard autocast(autocast_, device_);
  model_->score(input(x), y, sums);
  model_->train();
}

void Trainer::infer(const torch::Tensor& x) {
  torch::NoGradGuard no_grad;
  model_->eval();
  const AutocastGuard autocast(autocast_, device_);
  model_->forward(input(x)).argmax(1).to(torch::kCPU);
  model_->train();
}

}  // namespace iddl::train
