#pragma once
#include <torch/torch.h>

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "core/models/training_loss.hpp"

namespace iddl::models {

// The shape of one input sample and the number of classes to predict.
struct InputShape {
  int64_t channels, height, width, classes;
};

// How the layers are thinned: the sparsification axis (docs/sparsity.md).
struct SparsityOptions {
  std::string method = "none";    // a row of sparsification_registry.hpp
  std::string design = "affine";  // bibd, random: affine or projective
  std::string layers = "hidden";  // hidden (MLP: all but the output layer; CNN: every conv but the first) or all
  int64_t groups = 1;             // inputs and outputs cut into this many groups (group: ≥ 2)
  std::string shortcuts = "thinned";  // thinned (as the other hidden convs) or dense (ResNet-18's 1x1 shortcuts)
  std::string design_over = "group";  // bibd, random with groups > 1: the mask of one group (out × in/groups) or
                                      // all_inputs (out × in, cropped to its first in/groups columns)
  uint64_t seed = 1;              // random: draws the masks (the run seed)
};

// Part `index` of `count` of a network split by width (the vertical axis, docs/structure.md): every
// hidden width w becomes its share w*(index+1)/count - w*index/count, at least 1 (the shares sum to w
// when count <= w); inputs and classes are whole. output_bias = false drops the output layer's bias
// (partition: one part holds it).
struct ModelPart {
  int64_t index = 0;
  int64_t count = 1;
  bool output_bias = true;
};

// What follows each hidden layer of the MLP: its activation, then dropout in training mode only.
struct HiddenActivation {
  std::string function = "relu";  // relu or leaky_relu
  double leaky_slope = 0.01;      // leaky_relu: the slope for negative inputs
  double dropout = 0.0;           // probability of zeroing each activation (survivors scaled by 1 / (1 - p))
  std::string dropout_kind = "bernoulli";  // bernoulli (above) or gaussian: times noise of mean 1, sd sqrt(p (1 - p))
};

// Which network to build: name is a row of model_registry.hpp; hidden and activation shape the MLP.
struct ModelOptions {
  ModelOptions(std::string name, std::vector<int64_t> hidden = {}, SparsityOptions sparsity = {}, ModelPart part = {})
      : name(std::move(name)), hidden(std::move(hidden)), sparsity(std::move(sparsity)), part(part) {}
  std::string name;
  std::vector<int64_t> hidden;
  SparsityOptions sparsity;
  ModelPart part;
  HiddenActivation activation;
};

// Sums over test samples: the loss, the correct predictions and model-specific counts by name
// (e.g. "exit_accuracy.1": the samples exit 1 classifies correctly); divided by the sample count
// they become means.
struct TestSums {
  double samples = 0.0;
  double loss = 0.0;
  double correct = 0.0;
  std::map<std::string, double> extra;
};

// A classifier: logits [N, classes] from images [N, C, H, W].
class ModelImpl : public torch::nn::Module {
 public:
  virtual torch::Tensor forward(torch::Tensor x) = 0;
  // The loss SGD minimizes on a training batch: loss() of forward's logits.
  virtual torch::Tensor training_loss(const torch::Tensor& x, const torch::Tensor& y);
  // Adds a test batch (eval mode, no gradient) to `sums`: its sample count, loss() summed over its
  // samples and correct predictions of forward's logits.
  virtual void score(const torch::Tensor& x, const torch::Tensor& y, TestSums& sums);
  // The loss this model trains and is scored with (default: cross-entropy, mean over the batch).
  const TrainingLoss& loss() const { return loss_; }
  void set_loss(TrainingLoss loss) { loss_ = std::move(loss); }
  // Whether forward is a collective call: every rank calls it on the same samples (vertical models).
  virtual bool collective() const { return false; }
  // The tensors SGD updates: every parameter unless a part is fitted another way.
  virtual std::vector<torch::Tensor> sgd_parameters() { return parameters(); }

 private:
  TrainingLoss loss_;
};

using Model = std::shared_ptr<ModelImpl>;

// A network as consecutive stages then a head: forward(x) = output(features(stage_n(... stage_1(x)))).
// Stages are the blocks an early exit may follow (MLP: hidden layers; CNNs: their stages).
class StagedModelImpl : public ModelImpl {
 public:
  torch::Tensor forward(torch::Tensor x) override;
  // The number of stages.
  virtual int64_t stage_count() const = 0;
  // Stage `i` (0-based) applied to the output of stage i-1 (to the images for i = 0).
  virtual torch::Tensor stage(int64_t i, torch::Tensor x) = 0;
  // What the output layer reads, flattened to [N, F], from the last stage's output (or the images
  // when there is no stage).
  virtual torch::Tensor features(torch::Tensor x) = 0;
  // The output layer: logits [N, classes] from features [N, F].
  virtual torch::Tensor output(torch::Tensor features) = 0;
};

using StagedModel = std::shared_ptr<StagedModelImpl>;

// Builds the network of `options.name` (a row of model_registry.hpp) for inputs of `shape` (seed torch
// first), its layers thinned as `options.sparsity` says and its widths cut to `options.part`; throws
// std::invalid_argument for a part outside its count or a layer whose sides the groups do not divide,
// std::logic_error for a model or sparsification method without a registry row.
StagedModel make_model(const ModelOptions& options, const InputShape& shape);

// Trainable parameters, biases and normalisation affines included, masked weights excluded.
int64_t count_parameters(ModelImpl& model);

// Multiplicative weights only: the elements of the Linear and Conv2d weight tensors their masks keep.
int64_t count_weights(ModelImpl& model);

// Multiply-accumulates of one eval-mode forward pass of one sample (docs/models.md); keeps the
// model's train/eval mode.
int64_t count_flops(ModelImpl& model, const InputShape& shape);

}  // namespace iddl::models
