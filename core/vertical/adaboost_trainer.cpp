#include "core/vertical/adaboost_trainer.hpp"

#include <algorithm>
#include <stdexcept>
#include <string>
#include <vector>

#include "core/train/lr_schedule.hpp"
#include "core/vertical/adaboost.hpp"

namespace iddl::vertical {
namespace {

std::unique_ptr<torch::optim::SGD> member_sgd(models::StagedModelImpl& member, const train::TrainOptions& o, double lr) {
  return std::make_unique<torch::optim::SGD>(
      member.parameters(),
      torch::optim::SGDOptions(lr).momentum(o.momentum).nesterov(o.nesterov).weight_decay(o.weight_decay));
}

}  // namespace

AdaBoostTrainer::AdaBoostTrainer(std::shared_ptr<AdaBoostModelImpl> model, const data::TensorSet& train,
                                 const train::TrainOptions& options, AdaBoostOptions boost, torch::Device device)
    : model_(std::move(model)),
      train_(train),
      options_(options),
      boost_(std::move(boost)),
      device_(device),
      epochs_per_member_(std::max<int64_t>(1, options.epochs / model_->members())),
      lr_(options.lr) {
  if (boost_.sample_weighting != "repeat" && boost_.sample_weighting != "loss")
    throw std::invalid_argument("adaboost: unknown sample_weighting '" + boost_.sample_weighting +
                                "' (known: repeat, loss)");
  model_->to(device_);
  const int64_t n = train_.images.size(0);
  weights_ = torch::full({n}, 1.0 / static_cast<double>(n), torch::kFloat64);
  optimizer_ = member_sgd(model_->member(0), options_, lr_);
}

void AdaBoostTrainer::set_learning_rate(double lr) {
  lr_ = lr;
  train::set_learning_rate(*optimizer_, lr);
}

train::StepLoss AdaBoostTrainer::train_step(const torch::Tensor& x, const torch::Tensor& y, int64_t) {
  train::StepLoss counted{0.0, x.size(0)};
  if (counted.samples == 0) return counted;
  models::StagedModelImpl& member = model_->member(model_->current());
  const torch::Tensor batch_weights = weights_.index_select(0, rows_);
  const int64_t repeats = boost_.sample_weighting == "repeat" ? batch_repeats(weights_, batch_weights) : 1;
  // loss: each sample's loss scaled by N * its weight (1 for uniform weights).
  const torch::Tensor scale =
      (batch_weights * static_cast<double>(weights_.size(0))).to(torch::kFloat32).to(device_);
  for (int64_t pass = 0; pass < repeats; ++pass) {
    optimizer_->zero_grad();
    const torch::Tensor logits = member.forward(x);
    torch::Tensor loss;
    if (boost_.sample_weighting == "loss") {
      const torch::Tensor weighted = model_->loss().per_sample(logits, y) * scale;
      loss = model_->loss().reduction() == "sum" ? weighted.sum() : weighted.mean();
    } else {
      loss = model_->loss()(logits, y);
    }
    loss.backward();
    if (pass == 0) counted.sum = model_->loss().summed(logits.detach(), y).item<double>();
    optimizer_->step();
  }
  return counted;
}

void AdaBoostTrainer::score(const torch::Tensor& x, const torch::Tensor& y, models::TestSums& sums) {
  torch::NoGradGuard no_grad;
  model_->eval();
  model_->score(x, y, sums);
  model_->train();
}

void AdaBoostTrainer::infer(const torch::Tensor& x) {
  torch::NoGradGuard no_grad;
  model_->eval();
  model_->forward(x).argmax(1).to(torch::kCPU);
  model_->train();
}

void AdaBoostTrainer::start_epoch() {
  if (advance_) {
    model_->advance();
    optimizer_ = member_sgd(model_->member(model_->current()), options_, lr_);
    advance_ = false;
  }
  model_->train();
}

torch::Tensor AdaBoostTrainer::correct_on_train() {
  torch::NoGradGuard no_grad;
  models::StagedModelImpl& member = model_->member(model_->current());
  member.eval();
  const int64_t n = train_.images.size(0), chunk = std::max<int64_t>(options_.batch_size, 256);
  std::vector<torch::Tensor> parts;
  for (int64_t at = 0; at < n; at += chunk) {
    const int64_t stop = std::min(n, at + chunk);
    const torch::Tensor predicted = member.forward(train_.images.slice(0, at, stop).to(device_)).argmax(1).cpu();
    parts.push_back(predicted.eq(train_.labels.slice(0, at, stop)));
  }
  member.train();
  return torch::cat(parts);
}

void AdaBoostTrainer::end_epoch() {
  ++epoch_;
  const int64_t k = model_->current();
  const torch::Tensor correct = correct_on_train();
  const double alpha = hypothesis_weight(weighted_error(weights_, correct), model_->member_classes());
  model_->set_weight(k, alpha);
  if (epoch_ % epochs_per_member_ == 0 && k + 1 < model_->members()) {
    weights_ = boosted_weights(weights_, correct, alpha, boost_.update);
    advance_ = true;
  }
}

void AdaBoostTrainer::save(torch::serialize::OutputArchive& archive) const {
  torch::serialize::OutputArchive model, optimizer;
  model_->save(model);
  optimizer_->save(optimizer);
  archive.write("model", model);
  archive.write("optimizer", optimizer);
  std::vector<double> alphas;
  for (int64_t k = 0; k < model_->members(); ++k) alphas.push_back(model_->weight(k));
  archive.write("member_weights", torch::tensor(alphas, torch::kFloat64));
  archive.write("sample_weights", weights_);
  archive.write("position", torch::tensor({model_->current(), epoch_, static_cast<int64_t>(advance_)}, torch::kInt64));
  archive.write("lr", torch::tensor({lr_}, torch::kFloat64));
}

void AdaBoostTrainer::load(torch::serialize::InputArchive& archive) {
  torch::serialize::InputArchive model, optimizer;
  torch::Tensor alphas, position, lr;
  archive.read("model", model);
  archive.read("optimizer", optimizer);
  archive.read("member_weights", alphas);
  archive.read("sample_weights", weights_);
  archive.read("position", position);
  archive.read("lr", lr);
  model_->load(model);
  if (alphas.numel() != model_->members())
    throw std::runtime_error("adaboost: a checkpoint of " + std::to_string(alphas.numel()) + " members for " +
                             std::to_string(model_->members()));
  for (int64_t k = 0; k < model_->members(); ++k) model_->set_weight(k, alphas[k].item<double>());
  while (model_->current() < position[0].item<int64_t>()) model_->advance();
  epoch_ = position[1].item<int64_t>();
  advance_ = position[2].item<int64_t>() != 0;
  lr_ = lr[0].item<double>();
  optimizer_ = member_sgd(model_->member(model_->current()), options_, lr_);
  optimizer_->load(optimizer);
}

}  // namespace iddl::vertical
