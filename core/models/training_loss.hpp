#pragma once
#include <torch/torch.h>

#include <cstdint>
#include <string>

namespace iddl::models {

// The loss a run trains with: the settings loss, loss_reduction and label_smoothing (docs/sweep-files.md,
// "Losses"). Per sample, "cross_entropy" is -sum_c q_c log softmax(z)_c with q = (1 - s) one_hot(y) + s / C
// (s = label_smoothing, torch's definition) and "mse" is 1/2 sum_c (softmax(z)_c - one_hot(y)_c)^2 (seed 001's
// squared error, whose gradient in the softmax output is pred - real); a batch's loss is their mean or sum.
class TrainingLoss {
 public:
  // Throws std::invalid_argument for an unknown loss or reduction, or label_smoothing outside [0, 1) or
  // with a loss other than cross_entropy.
  explicit TrainingLoss(std::string loss = "cross_entropy", std::string reduction = "mean",
                        double label_smoothing = 0.0);

  // The loss of each sample: [N] from logits [N, classes] and labels [N].
  torch::Tensor per_sample(const torch::Tensor& logits, const torch::Tensor& labels) const;
  // The batch's loss that SGD minimizes: the per-sample losses' mean or sum.
  torch::Tensor operator()(const torch::Tensor& logits, const torch::Tensor& labels) const;
  // The per-sample losses summed over the batch (train_loss and test_loss are such sums over the samples).
  torch::Tensor summed(const torch::Tensor& logits, const torch::Tensor& labels) const;
  // The sum over `samples` samples of the per-sample losses whose batch loss (operator()) is `batch_loss`.
  double summed_from(double batch_loss, int64_t samples) const;
  // The same for a batch loss tensor, computed where it lives in float64 (no host read).
  torch::Tensor summed_from(const torch::Tensor& batch_loss, int64_t samples) const;
  // What the batch loss of `part` of a batch of `whole` samples weighs in the whole batch's loss: part /
  // whole for the mean, 1 for the sum (a pipeline's micro-batches).
  double part_weight(int64_t part, int64_t whole) const;

  const std::string& loss() const { return loss_; }
  const std::string& reduction() const { return reduction_; }
  double label_smoothing() const { return label_smoothing_; }

 private:
  std::string loss_;
  std::string reduction_;
  double label_smoothing_;
};

}  // namespace iddl::models
