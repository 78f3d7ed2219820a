#include "core/data/augmentation.hpp"

#include <ATen/CPUGeneratorImpl.h>

#include <algorithm>
#include <stdexcept>
#include <string>
#include <utility>

namespace iddl::data {
namespace {

namespace F = torch::nn::functional;

// SplitMix64's finalizer: one well-mixed 64-bit value from `x`.
uint64_t mixed(uint64_t x) {
  x += 0x9E3779B97F4A7C15ULL;
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ULL;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBULL;
  return x ^ (x >> 31);
}

uint64_t generator_seed(const BatchKey& key) {
  uint64_t h = mixed(key.seed);
  h = mixed(h ^ key.shard);
  h = mixed(h ^ static_cast<uint64_t>(key.epoch));
  return mixed(h ^ static_cast<uint64_t>(key.batch));
}

void check_fits(const AugmentOptions& options, int64_t height, int64_t width) {
  const int64_t side = std::min(height, width);
  if (options.padding == "reflect" && options.pad >= side)
    throw std::invalid_argument("augment: reflect padding of " + std::to_string(options.pad) +
                                " pixels needs images larger than that, got " + std::to_string(height) + "x" +
                                std::to_string(width));
  if (options.cutout > side)
    throw std::invalid_argument("augment: a cutout square of side " + std::to_string(options.cutout) +
                                " does not fit in " + std::to_string(height) + "x" + std::to_string(width) + " images");
}

// Rows [n, H] and columns [n, W] of the padded images each output pixel is taken from: the crop's offsets, the
// columns reversed on mirrored rows.
std::pair<torch::Tensor, torch::Tensor> source_pixels(const AugmentOptions& options, const AugmentDraws& draws,
                                                      int64_t height, int64_t width, const torch::Device& device) {
  const auto index = torch::TensorOptions().dtype(torch::kInt64).device(device);
  const int64_t n = draws.top.size(0);
  torch::Tensor rows = torch::arange(height, index).view({1, height}) + draws.top.to(device).view({n, 1});
  torch::Tensor columns = torch::arange(width, index).view({1, width});
  if (options.flip) columns = torch::where(draws.flip.to(device).view({n, 1}), (width - 1) - columns, columns);
  return {rows, columns + draws.left.to(device).view({n, 1})};
}

// Each image of `images` [N, C, H, W] cropped from its padded self at the draws' offsets, mirrored where drawn:
// one pad and one gather over the flat padded batch.
torch::Tensor crop_and_flip(const torch::Tensor& images, const AugmentOptions& options, const AugmentDraws& draws) {
  const int64_t n = images.size(0), channels = images.size(1), height = images.size(2), width = images.size(3);
  const int64_t p = options.pad;
  F::PadFuncOptions padding({p, p, p, p});
  if (options.padding == "reflect") padding.mode(torch::kReflect);  // else the default: constant 0
  const torch::Tensor padded = p == 0 ? images : F::pad(images, padding);
  const int64_t padded_width = width + 2 * p, plane = (height + 2 * p) * padded_width;
  const auto [rows, columns] = source_pixels(options, draws, height, width, images.device());
  const auto index = torch::TensorOptions().dtype(torch::kInt64).device(images.device());
  const torch::Tensor planes = torch::arange(n * channels, index).view({n, channels, 1, 1}) * plane;
  const torch::Tensor flat =
      planes + rows.view({n, 1, height, 1}) * padded_width + columns.view({n, 1, 1, width});
  return padded.take(flat);
}

// `images` with each image's cutout square set to 0: one broadcast mask.
torch::Tensor cut_out(const torch::Tensor& images, int64_t side, const AugmentDraws& draws) {
  const int64_t n = images.size(0), height = images.size(2), width = images.size(3);
  const auto index = torch::TensorOptions().dtype(torch::kInt64).device(images.device());
  const torch::Tensor top = draws.cut_top.to(images.device()).view({n, 1, 1});
  const torch::Tensor left = draws.cut_left.to(images.device()).view({n, 1, 1});
  const torch::Tensor y = torch::arange(height, index).view({1, height, 1});
  const torch::Tensor x = torch::arange(width, index).view({1, 1, width});
  const torch::Tensor inside = (y >= top) & (y < top + side) & (x >= left) & (x < left + side);
  return images.masked_fill(inside.unsqueeze(1), 0.0);
}

}  // namespace

AugmentDraws draw_augmentation(const AugmentOptions& options, int64_t rows, int64_t height, int64_t width,
                               const BatchKey& key) {
  check_fits(options, height, width);
  at::Generator generator = at::detail::createCPUGenerator(generator_seed(key));
  const auto draw = [&](int64_t high) { return torch::randint(0, high, {rows}, generator, torch::kInt64); };
  AugmentDraws draws;
  draws.top = draw(2 * options.pad + 1);
  draws.left = draw(2 * options.pad + 1);
  draws.flip = draw(2).to(torch::kBool);
  draws.cut_top = draw(height - options.cutout + 1);
  draws.cut_left = draw(width - options.cutout + 1);
  return draws;
}

torch::Tensor apply_augmentation(const torch::Tensor& images, const AugmentOptions& options,
                                 const AugmentDraws& draws) {
  if (options.method == "none" || images.size(0) == 0) return images;
  if (options.method != "crop_flip") throw std::logic_error("augment: unknown method " + options.method);
  check_fits(options, images.size(2), images.size(3));
  torch::Tensor out = options.pad > 0 || options.flip ? crop_and_flip(images, options, draws) : images;
  return options.cutout > 0 ? cut_out(out, options.cutout, draws) : out;
}

torch::Tensor augment_batch(const torch::Tensor& images, const AugmentOptions& options, const BatchKey& key) {
  if (options.method == "none" || images.size(0) == 0) return images;
  return apply_augmentation(images, options,
                            draw_augmentation(options, images.size(0), images.size(2), images.size(3), key));
}

}  // namespace iddl::data
