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

// Which network to build: name is mlp, lenet, resnet9 or resnet18; hidden holds the MLP widths.
struct ModelOptions {
  std::string name;
  std::vector<int64_t> hidden;
};

// A classifier: logits [N, classes] from images [N, C, H, W].
class ModelImpl : public torch::nn::Module {
 public:
  virtual torch::Tensor forward(torch::Tensor x) = 0;
};

using Model = std::shared_ptr<ModelImpl>;

// Builds the named network for inputs of `shape` (seed torch first); throws std::invalid_argument
// naming an unknown model.
Model make_model(const ModelOptions& options, const InputShape& shape);

// Trainable parameters, biases and normalisation affines included.
int64_t count_parameters(ModelImpl& model);

// Multiplicative weights only: the elements of the Linear and Conv2d weight tensors.
int64_t count_weights(ModelImpl& model);

// Multiply-accumulates of one eval-mode forward pass of one sample (docs/models.md); keeps the
// model's train/eval mode.
int64_t count_flops(ModelImpl& model, const InputShape& shape);

}  // namespace iddl::models
