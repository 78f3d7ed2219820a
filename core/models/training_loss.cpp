#include "core/models/training_loss.hpp"

#include <stdexcept>
#include <utility>

namespace iddl::models {
namespace {

namespace F = torch::nn::functional;

F::CrossEntropyFuncOptions cross_entropy_options(torch::nn::CrossEntropyLossOptions::reduction_t reduction,
                                                 double label_smoothing) {
  return F::CrossEntropyFuncOptions().reduction(reduction).label_smoothing(label_smoothing);
}

}  // namespace

TrainingLoss::TrainingLoss(std::string loss, std::string reduction, double label_smoothing)
    : loss_(std::move(loss)), reduction_(std::move(reduction)), label_smoothing_(label_smoothing) {
  if (loss_ != "cross_entropy" && loss_ != "mse")
    throw std::invalid_argument("loss: unknown loss '" + loss_ + "' (known: cross_entropy, mse)");
  if (reduction_ != "mean" && reduction_ != "sum")
    throw std::invalid_argument("loss: unknown reduction '" + reduction_ + "' (known: mean, sum)");
  if (!(label_smoothing_ >= 0.0 && label_smoothing_ < 1.0))
    throw std::invalid_argument("loss: label_smoothing " + std::to_string(label_smoothing_) + " is not in [0, 1)");
  if (label_smoothing_ != 0.0 && loss_ != "cross_entropy")
    throw std::invalid_argument("loss: label_smoothing applies to cross_entropy only, not " + loss_);
}

torch::Tensor TrainingLoss::per_sample(const torch::Tensor& logits, const torch::Tensor& labels) const {
  if (loss_ == "cross_entropy") return F::cross_entropy(logits, labels, cross_entropy_options(torch::kNone, label_smoothing_));
  const torch::Tensor error = torch::softmax(logits, 1) - F::one_hot(labels, logits.size(1)).to(logits.dtype());
  return 0.5 * error.square().sum(1);
}

torch::Tensor TrainingLoss::operator()(const torch::Tensor& logits, const torch::Tensor& labels) const {
  if (loss_ == "cross_entropy") {
    if (reduction_ == "mean") return F::cross_entropy(logits, labels, cross_entropy_options(torch::kMean, label_smoothing_));
    return F::cross_entropy(logits, labels, cross_entropy_options(torch::kSum, label_smoothing_));
  }
  const torch::Tensor each = per_sample(logits, labels);
  return reduction_ == "mean" ? each.mean() : each.sum();
}

torch::Tensor TrainingLoss::summed(const torch::Tensor& logits, const torch::Tensor& labels) const {
  if (loss_ == "cross_entropy") return F::cross_entropy(logits, labels, cross_entropy_options(torch::kSum, label_smoothing_));
  return per_sample(logits, labels).sum();
}

double TrainingLoss::summed_from(double batch_loss, int64_t samples) const {
  return reduction_ == "mean" ? batch_loss * static_cast<double>(samples) : batch_loss;
}

torch::Tensor TrainingLoss::summed_from(const torch::Tensor& batch_loss, int64_t samples) const {
  const torch::Tensor loss = batch_loss.detach().to(torch::kFloat64);
  return reduction_ == "mean" ? loss * static_cast<double>(samples) : loss;
}

double TrainingLoss::part_weight(int64_t part, int64_t whole) const {
  return reduction_ == "mean" ? static_cast<double>(part) / static_cast<double>(whole) : 1.0;
}

}  // namespace iddl::models
