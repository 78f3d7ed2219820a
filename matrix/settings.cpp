#include "matrix/settings.hpp"

#include <algorithm>

#include "matrix/setting_builders.hpp"

namespace iddl::matrix {
namespace {

std::vector<Setting> make_registry() {
  const bool inclusive = false;
  const bool exclusive = true;
  return {
      text("dataset", "fashion-mnist", {"fashion-mnist", "mnist", "cifar10", "synthetic", "synthetic-cifar"},
           "the data set to train and test on"),
      text("data_dir", "", {}, "directory of the data set files (empty: the data set's default location)"),
      text("normalize", "standard", {"standard", "none"},
           "file data sets: pixels / 255 standardized per channel, or pixels / 255 only (the seeds' ToTensor())"),
      integer("train_samples", 0, 0, "use the first N training samples (0: all)"),
      integer("test_samples", 0, 0, "use the first N test samples (0: all)"),
      text("model", "mlp", {"mlp", "lenet", "resnet9", "resnet18", "mobilenetv2", "alexnet", "vgg16"}, "the network to train"),
      int_list("hidden", {112, 56}, 1, "hidden layer widths of the MLP (may be empty)"),
      text("activation", "relu", {"relu", "leaky_relu"}, "MLP only: the activation after each hidden layer"),
      with_max(with_min(number("leaky_slope", 0.01, "activation = \"leaky_relu\": the slope for negative inputs"), 0,
                        inclusive),
               1, exclusive),
      with_max(with_min(number("dropout", 0.0, "MLP only: probability of zeroing a hidden activation in training (0: none)"),
                        0, inclusive),
               1, exclusive),
      text("dropout_kind", "bernoulli", {"bernoulli", "gaussian"},
           "dropout > 0: bernoulli zeroes with probability p and scales the rest by 1/(1-p); gaussian multiplies "
           "by noise of mean 1 and standard deviation sqrt(p(1-p)) (seed 001)"),
      integer("epochs", 2, 1, "passes over the training set"),
      integer("batch_size", 64, 1, "samples per optimizer step on each rank, or over all ranks (batch_scope)"),
      text("batch_scope", "rank", {"rank", "global"},
           "rank: batch_size per rank; global: batch_size per step, split over the ranks (docs/data.md)"),
      method_setting("augment", "none", "data augmentation of the training batches (docs/data.md)"),
      with_min(number("lr", 0.05, "peak learning rate of SGD"), 0, exclusive),
      with_max(with_min(number("momentum", 0.9, "SGD momentum"), 0, inclusive), 1, exclusive),
      flag("nesterov", false, "use Nesterov momentum (needs momentum > 0)"),
      with_min(number("weight_decay", 0.0, "L2 weight decay of SGD"), 0, inclusive),
      text("schedule", "constant", {"constant", "step", "warmup_linear", "piecewise", "cosine"},
           "learning-rate schedule over the epochs"),
      integer("lr_step_epochs", 10, 1, "step schedule: epochs between two decays"),
      with_max(with_min(number("lr_gamma", 0.1, "step schedule: factor applied at each decay"), 0,
                        exclusive),
               1, inclusive),
      integer("warmup_epochs", 1, 0,
              "warmup_linear and cosine schedules: epochs of linear warm-up before the decay to 0 at the end"),
      number_list("lr_epochs", {}, 0, "piecewise schedule: the knots' epochs, from 0, increasing (fractions allowed)"),
      number_list("lr_values", {}, 0, "piecewise schedule: the learning rate at each knot (lr is not used)"),
      text("loss", "cross_entropy", {"cross_entropy", "mse"},
           "training loss: cross-entropy of the logits, or squared error of their softmax against one-hot labels"),
      text("loss_reduction", "mean", {"mean", "sum"}, "a batch's loss: the mean or the sum over its samples"),
      with_max(with_min(number("label_smoothing", 0.0, "cross_entropy only: weight of the uniform target"), 0,
                        inclusive),
               1, exclusive),
      integer("seed", 1, 0, "random seed of initialization and data order"),
      integer("ranks", 1, 1, "number of MPI processes of the run"),
      integer("threads", 0, 0, "compute threads per rank (0: cores / ranks)"),
      text("device", "auto", {"auto", "cpu", "cuda"}, "where to train (auto: cuda when available)"),
      text("precision", "fp32", {"fp32", "bf16", "fp16"},
           "forward pass and loss in float32, or under autocast to bfloat16 or float16 (fp16: CUDA only, with a "
           "dynamic loss scale; docs/gpu.md)"),
      flag("channels_last", false,
           "convolutional models: weights and images in channels-last memory format (docs/gpu.md)"),
      flag("cudnn_benchmark", false,
           "CUDA: cuDNN times its convolution algorithms and keeps the fastest (docs/gpu.md)"),
      outside_run_key(integer("device_data_mb", 1024, 0,
                              "CUDA: the data set is copied to the GPU once when it takes at most this many MB "
                              "(0: never), else batches are copied from pinned memory (docs/gpu.md)")),
      outside_run_key(integer_or_word("checkpoint_every", "auto", 0,
                                      "save a checkpoint every N epochs, which a rerun of the killed run resumes from "
                                      "(0: never; auto: after an epoch once checkpoint_interval_s have passed; "
                                      "docs/checkpoints.md)")),
      outside_run_key(with_min(number("checkpoint_interval_s", 300.0,
                                      "checkpoint_every = \"auto\": seconds of training between two checkpoints"),
                               0, inclusive)),
      outside_run_key(
          flag("save_model", false, "keep the final weights of every rank as a LibTorch file (docs/checkpoints.md)")),
      axis("sparsification", "none", "IDDL axis: which connections of the layers exist (dense, BIBD, random, grouped)"),
      axis("vertical", "none", "IDDL axis: the model split by width over the ranks (partition, ensemble)"),
      axis("horizontal", "none", "IDDL axis: early exits along the depth of the model"),
      axis("compression", "none", "IDDL axis: how the values sent are encoded"),
      axis("parallelism", "single", "IDDL axis: how the ranks train together"),
  };
}

}  // namespace

const std::vector<Setting>& settings() {
  static const std::vector<Setting> registry = make_registry();
  return registry;
}

const Setting* find_setting(std::string_view name) {
  const auto& all = settings();
  const auto it = std::find_if(all.begin(), all.end(), [&](const Setting& s) { return s.name == name; });
  return it == all.end() ? nullptr : &*it;
}

std::vector<std::string> setting_names() {
  std::vector<std::string> names;
  for (const auto& s : settings()) names.push_back(s.name);
  return names;
}

std::vector<std::string> axis_names() {
  std::vector<std::string> names;
  for (const auto& s : settings())
    if (s.iddl_axis) names.push_back(s.name);
  return names;
}

std::vector<std::string> method_setting_names() {
  std::vector<std::string> names;
  for (const auto& s : settings())
    if (s.kind == Kind::Axis) names.push_back(s.name);
  return names;
}

std::string kind_name(Kind kind) {
  switch (kind) {
    case Kind::String: return "string";
    case Kind::Int: return "integer";
    case Kind::Float: return "number";
    case Kind::Bool: return "boolean";
    case Kind::IntList: return "list of integers";
    case Kind::FloatList: return "list of numbers";
    case Kind::Axis: return "axis method";
  }
  return "unknown kind";
}

bool is_list_kind(Kind kind) { return kind == Kind::IntList || kind == Kind::FloatList; }

}  // namespace iddl::matrix
