// Data augmentation of training batches: random crops of the padded images, left-right flips and cutout, as batched
// tensor operations on the batch's device.
#pragma once

#include <torch/torch.h>

#include <cstdint>
#include <string>

namespace iddl::data {

// How training batches are augmented: the `augment` setting's method and parameters (docs/data.md).
struct AugmentOptions {
  std::string method = "none";      // none, crop_flip
  int64_t pad = 4;                  // pixels added on each side before the crop back to the image's size
  std::string padding = "reflect";  // reflect (the image mirrored at its edge) or zeros
  bool flip = true;                 // mirror each image left-right with probability 1/2
  int64_t cutout = 0;               // side of the square set to 0 inside each image (0: none)
};

// Which batch of a run the draws are for; the draws are a function of these alone.
struct BatchKey {
  uint64_t seed = 0;   // the run's seed (mixed with the shard's order)
  uint64_t shard = 0;  // the rank's shard of each step
  int64_t epoch = 0;
  int64_t batch = 0;   // the step within the epoch
};

// One batch's random choices, one per image (int64 and bool tensors on the CPU).
struct AugmentDraws {
  torch::Tensor top, left;          // the crop's corner in the padded image, each in [0, 2 pad]
  torch::Tensor flip;               // whether the cropped image is mirrored
  torch::Tensor cut_top, cut_left;  // the cutout square's corner, in [0, height - cutout] and [0, width - cutout]
};

// The draws for `rows` images of height x width, from a generator seeded by `key`.
AugmentDraws draw_augmentation(const AugmentOptions& options, int64_t rows, int64_t height, int64_t width,
                               const BatchKey& key);

// `images` [N, C, H, W] augmented by `draws`, on their device: padded once, cropped and flipped by one gather,
// the cutout squares zeroed by one mask. Throws std::invalid_argument when the padding or the square does not fit.
torch::Tensor apply_augmentation(const torch::Tensor& images, const AugmentOptions& options, const AugmentDraws& draws);

// `images` augmented with the draws of `key` (the images themselves for method "none").
torch::Tensor augment_batch(const torch::Tensor& images, const AugmentOptions& options, const BatchKey& key);

}  // namespace iddl::data
