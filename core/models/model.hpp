#pragma once
#include <torch/torch.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace iddl::models {

// The shape of one input sample and the number of classes to predict.
struct InputShape {
  int64_t channels, height, width, classes;
};

// How the layers are thinned: the sparsification axis (docs/sparsity.md).
struct SparsityOptions {
  std::string method = "none";    // none, bibd, random (as many connections as bibd), group
  std::string design = "affine";  // bibd, random: affine or projective
  std::string layers = "hidden";  // hidden (MLP: all but the output layer; CNN: every conv but the first) or all
  int64_t groups = 1;             // inputs and outputs cut into this many groups (group: ≥ 2)
  uint64_t seed = 1;              // random: draws the masks (the run seed)
};

// Which network to build: name is mlp, lenet, resnet9 or resnet18; hidden holds the MLP widths.
struct ModelOptions {
  ModelOptions(std::string name, std::vector<int64_t> hidden = {}, SparsityOptions sparsity = {})
      : name(std::move(name)), hidden(std::move(hidden)), sparsity(std::move(sparsity)) {}
  std::string name;
  std::vector<int64_t> hidden;
  SparsityOptions sparsity;
};

// A classifier: logits [N, classes] from images [N, C, H, W].
class ModelImpl : public torch::nn::Module {
 public:
  virtual torch::Tensor forward(torch::Tensor x) = 0;
};

using Model = std::shared_ptr<ModelImpl>;

// Builds the named network for inputs of `shape` (seed torch first), its layers thinned as
// `options.sparsity` says; throws std::invalid_argument naming an unknown model or sparsity method,
// or a layer whose sides the groups do not divide.
Model make_model(const ModelOptions& options, const InputShape& shape);

// Trainable parameters, biases and normalisation affines included, masked weights excluded.
int64_t count_parameters(ModelImpl& model);

// Multiplicative weights only: the elements of the Linear and Conv2d weight tensors their masks keep.
int64_t count_weights(ModelImpl& model);

// Multiply-accumulates of one eval-mode forward pass of one sample (docs/models.md); keeps the
// model's train/eval mode.
int64_t count_flops(ModelImpl& model, const InputShape& shape);

}  // namespace iddl::models
