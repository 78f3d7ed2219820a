#pragma once
#include <torch/torch.h>

#include <cstdint>
#include <string>

namespace iddl::vertical {

// The arithmetic of one AdaBoost round (multi-class SAMME, seed 000's resnet/ensemble.py
// AdaBoostClassifier; docs/structure.md, "adaboost"). Sample weights are float64 tensors [N] summing to 1;
// `correct` is a bool tensor [N]: whether the round's member classifies each sample correctly.

// The weighted error: the weights of the misclassified samples over the sum of all weights.
double weighted_error(const torch::Tensor& weights, const torch::Tensor& correct);

// The member's vote weight log((1 - error) / error) + log(classes - 1), with error clamped to
// [1e-10, 1 - 1e-10] (a perfect member gets a large finite weight; a member worse than chance a negative one).
double hypothesis_weight(double error, int64_t classes);

// The next round's sample weights, normalized to sum 1: "samme" (textbook) multiplies the weights of
// the MISclassified samples by exp(alpha); "seed" (seed 000) multiplies those of the CORRECTLY classified
// ones by exp(alpha) = (1 - error)(classes - 1) / error. Throws std::invalid_argument for another update.
torch::Tensor boosted_weights(const torch::Tensor& weights, const torch::Tensor& correct, double alpha,
                              const std::string& update);

// How many times a batch is trained on (seed 000's normalizeWeightInRange, sample_weighting "repeat"):
// floor(1 + 9 (w - min) / (max - min)) with w the largest weight in the batch and min, max over all
// `weights`; 1 when all weights are equal.
int64_t batch_repeats(const torch::Tensor& weights, const torch::Tensor& batch_weights);

}  // namespace iddl::vertical
