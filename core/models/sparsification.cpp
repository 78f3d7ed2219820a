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

// A seed for layer `layer` drawn from the run seed (splitmix64's constant keeps layers apart).
uint64_t layer_seed(uint64_t seed, int64_t layer) {
  return seed ^ (0x9E3779B97F4A7C15ULL * static_cast<uint64_t>(layer + 1));
}

}  // namespace

LayerFactory::LayerFactory(SparsityOptions options, ModelPart part) : options_(std::move(options)), part_(part) {
  if (part_.count < 1 || part_.index < 0 || part_.index >= part_.count)
    throw std::invalid_argument("model part " + std::to_string(part_.index) + " of " + std::to_string(part_.count) +
                                " does not exist");
  const auto& o = options_;
  if (o.method != "none" && o.method != "bibd" && o.method != "random" && o.method != "group")
    throw std::invalid_argument("unknown sparsification method '" + o.method + "' (known: none, bibd, random, group)");
  if (o.design != "affine" && o.design != "projective")
    throw std::invalid_argument("unknown sparsification design '" + o.design + "' (known: affine, projective)");
  if (o.layers != "hidden" && o.layers != "all")
    throw std::invalid_argument("unknown sparsification layers '" + o.layers + "' (known: hidden, all)");
  if (o.groups < 1 || (o.method == "group" && o.groups < 2))
    throw std::invalid_argument("sparsification: groups must be at least " + std::string(o.method == "group" ? "2" : "1"));
}

int64_t LayerFactory::width(int64_t full) const {
  const int64_t share = full * (part_.index + 1) / part_.count - full * part_.index / part_.count;
  return std::max<int64_t>(1, share);
}

Linear LayerFactory::output(int64_t in, int64_t classes, bool bias) {
  return linear(torch::nn::LinearOptions(in, classes).bias(bias && part_.output_bias), false);
}

bool LayerFactory::thins(bool hidden) const { return options_.method != "none" && (hidden || options_.layers == "all"); }

sparsity::Mask LayerFactory::next_mask(int64_t in, int64_t out) {
  check_divisible(in, out, options_.groups);
  const int64_t layer = layer_++, in_group = in / options_.groups;
  if (options_.method == "group") return {out, in_group, std::vector<uint8_t>(out * in_group, 1)};
  const auto kind = options_.design == "affine" ? sparsity::DesignKind::Affine : sparsity::DesignKind::Projective;
  sparsity::Mask bibd = sparsity::bibd_mask(kind, in_group, out);
  if (options_.method == "bibd") return bibd;
  return sparsity::random_mask(in_group, out, bibd.count(), layer_seed(options_.seed, layer));
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
  return Conv2d(grouped, options_.method == "group" ? torch::Tensor() : to_tensor(per_group));
}

}  // namespace iddl::models
