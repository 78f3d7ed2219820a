#include "core/models/sparsification.hpp"

#include <algorithm>
#include <stdexcept>
#include <string>
#include <utility>

#include "core/sparsity/connection_mask.hpp"

namespace iddl::models {

namespace {

// `mask` as a float tensor [rows, cols].
torch::Tensor to_tensor(const sparsity::Mask& mask) {
  return torch::from_blob(const_cast<uint8_t*>(mask.bits.data()), {mask.rows, mask.cols}, torch::kUInt8)
      .to(torch::kFloat32);
}

// Throws std::invalid_argument unless `groups` divides both sides of a layer.
void check_divisible(int64_t in, int64_t out, int64_t groups) {
  if (in % groups != 0 || out % groups != 0)
    throw std::invalid_argument("sparsification: a layer of " + std::to_string(in) + " inputs and " +
                                std::to_string(out) + " outputs cannot be cut into " + std::to_string(groups) +
                                " groups");
}

}  // namespace

LayerFactory::LayerFactory(SparsityOptions options, ModelPart part)
    : options_(std::move(options)), method_(&sparsification_method(options_.method)), part_(part) {
  if (part_.count < 1 || part_.index < 0 || part_.index >= part_.count)
    throw std::invalid_argument("model part " + std::to_string(part_.index) + " of " + std::to_string(part_.count) +
                                " does not exist");
  if (options_.groups < 1)
    throw std::logic_error("sparsification groups = " + std::to_string(options_.groups) + " (matrix's spec: >= 1)");
  if (options_.shortcuts != "thinned" && options_.shortcuts != "dense")
    throw std::logic_error("sparsification shortcuts = '" + options_.shortcuts + "' (matrix's spec: thinned, dense)");
  if (options_.design_over != "group" && options_.design_over != "all_inputs")
    throw std::logic_error("sparsification design_over = '" + options_.design_over +
                           "' (matrix's spec: group, all_inputs)");
}

int64_t LayerFactory::width(int64_t full) const {
  const int64_t share = full * (part_.index + 1) / part_.count - full * part_.index / part_.count;
  return std::max<int64_t>(1, share);
}

Linear LayerFactory::output(int64_t in, int64_t classes, bool bias) {
  return linear(torch::nn::LinearOptions(in, classes).bias(bias && part_.output_bias), false);
}

bool LayerFactory::thins(bool hidden) const {
  return method_->mask != nullptr && (hidden || options_.layers == "all");
}

sparsity::Mask LayerFactory::next_mask(int64_t in, int64_t out) {
  check_divisible(in, out, options_.groups);
  if (options_.design_over == "all_inputs")
    return sparsity::first_columns(method_->mask(options_, in, out, layer_++), in / options_.groups);
  return method_->mask(options_, in / options_.groups, out, layer_++);
}

Linear LayerFactory::linear(const torch::nn::LinearOptions& options, bool hidden) {
  if (!thins(hidden)) return Linear(options);
  const sparsity::Mask per_group = next_mask(options.in_features(), options.out_features());
  return Linear(options, to_tensor(sparsity::grouped_mask(per_group, options_.groups)));
}

Conv2d LayerFactory::conv(const torch::nn::Conv2dOptions& options, bool hidden) {
  if (!thins(hidden)) return Conv2d(options);
  const sparsity::Mask per_group = next_mask(options.in_channels(), options.out_channels());
  torch::nn::Conv2dOptions grouped = options;
  grouped.groups(options.groups() * options_.groups);
  return Conv2d(grouped, method_->masks_convolutions ? to_tensor(per_group) : torch::Tensor());
}

Conv2d LayerFactory::shortcut(const torch::nn::Conv2dOptions& options) {
  return options_.shortcuts == "dense" ? Conv2d(options) : conv(options, true);
}

}  // namespace iddl::models
