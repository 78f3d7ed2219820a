// Augmentation of training batches: crop offsets and padding, flips, cutout squares, and draws that depend on
// (seed, shard, epoch, batch) alone.
#include <gtest/gtest.h>

#include <cstdlib>
#include <stdexcept>
#include <string>

#include "core/data/augmentation.hpp"

namespace {

using iddl::data::AugmentDraws;
using iddl::data::AugmentOptions;
using iddl::data::BatchKey;

// A batch [n, c, h, w] whose every pixel holds a distinct positive value (exact in float32).
torch::Tensor numbered(int64_t n, int64_t c, int64_t h, int64_t w) {
  return torch::arange(1, n * c * h * w + 1, torch::kFloat32).view({n, c, h, w});
}

AugmentOptions crop_flip(int64_t pad, const std::string& padding, bool flip, int64_t cutout) {
  AugmentOptions o;
  o.method = "crop_flip";
  o.pad = pad;
  o.padding = padding;
  o.flip = flip;
  o.cutout = cutout;
  return o;
}

// The pixel of row `k` (or column) of an image of `size` rows that padding by reflection puts at padded row k + pad:
// the image mirrored at its edge, the edge itself not repeated; -1 where padding by zeros leaves 0.
int64_t source_of(int64_t k, int64_t size, bool reflect) {
  if (k >= 0 && k < size) return k;
  if (!reflect) return -1;
  return k < 0 ? -k : 2 * (size - 1) - k;
}

// What a crop of corner (top, left) of the padded images gives, pixel by pixel from the definition.
torch::Tensor expected_crop(const torch::Tensor& x, const AugmentDraws& draws, int64_t pad, bool reflect) {
  const int64_t n = x.size(0), c = x.size(1), h = x.size(2), w = x.size(3);
  torch::Tensor out = torch::zeros_like(x);
  auto in = x.accessor<float, 4>();
  auto put = out.accessor<float, 4>();
  for (int64_t i = 0; i < n; ++i) {
    const int64_t top = draws.top[i].item<int64_t>() - pad, left = draws.left[i].item<int64_t>() - pad;
    for (int64_t ch = 0; ch < c; ++ch)
      for (int64_t r = 0; r < h; ++r)
        for (int64_t col = 0; col < w; ++col) {
          const int64_t sr = source_of(top + r, h, reflect), sc = source_of(left + col, w, reflect);
          put[i][ch][r][col] = sr < 0 || sc < 0 ? 0.0f : in[i][ch][sr][sc];
        }
  }
  return out;
}

TEST(Augmentation, CropOffsetsStayWithinThePaddedImage) {
  const AugmentDraws draws =
      iddl::data::draw_augmentation(crop_flip(4, "reflect", true, 0), 4096, 32, 32, {7, 0, 1, 0});
  for (const torch::Tensor& offset : {draws.top, draws.left}) {
    EXPECT_EQ(offset.min().item<int64_t>(), 0);
    EXPECT_EQ(offset.max().item<int64_t>(), 8);  // 2 x pad: the crop reaches both borders, never beyond
    EXPECT_EQ(torch::bincount(offset).gt(0).sum().item<int64_t>(), 9) << "every offset from 0 to 8 is drawn";
  }
}

TEST(Augmentation, ReflectPaddingMirrorsTheImageAtItsEdge) {
  const torch::Tensor x = numbered(6, 3, 10, 12);
  AugmentDraws draws = iddl::data::draw_augmentation(crop_flip(3, "reflect", false, 0), 6, 10, 12, {1, 0, 1, 0});
  draws.top = torch::tensor({0, 6, 3, 0, 6, 2}, torch::kInt64);  // the corners included
  draws.left = torch::tensor({0, 6, 3, 6, 0, 5}, torch::kInt64);
  const torch::Tensor out = iddl::data::apply_augmentation(x, crop_flip(3, "reflect", false, 0), draws);
  EXPECT_TRUE(torch::equal(out, expected_crop(x, draws, 3, true)));
  EXPECT_TRUE(torch::equal(out[2], x[2])) << "offset (pad, pad) is the image itself";
  EXPECT_EQ(out[0][0][0][0].item<float>(), x[0][0][3][3].item<float>());  // padded (0, 0) mirrors (3, 3)
}

TEST(Augmentation, ZeroPaddingFillsTheBorderWithZeros) {
  const torch::Tensor x = numbered(5, 1, 28, 28);
  const AugmentOptions o = crop_flip(4, "zeros", false, 0);
  const AugmentDraws draws = iddl::data::draw_augmentation(o, 5, 28, 28, {3, 1, 2, 9});
  const torch::Tensor out = iddl::data::apply_augmentation(x, o, draws);
  EXPECT_TRUE(torch::equal(out, expected_crop(x, draws, 4, false)));
  for (int64_t i = 0; i < 5; ++i) {  // x has no zero: the zeros are the border the crop took in
    const int64_t rows = std::abs(draws.top[i].item<int64_t>() - 4), cols = std::abs(draws.left[i].item<int64_t>() - 4);
    EXPECT_EQ(out[i].eq(0).sum().item<int64_t>(), 28 * 28 - (28 - rows) * (28 - cols)) << i;
  }
}

TEST(Augmentation, FlipMirrorsExactlyTheDrawnRows) {
  const torch::Tensor x = numbered(64, 3, 8, 8);
  const AugmentOptions o = crop_flip(0, "reflect", true, 0);
  const AugmentDraws draws = iddl::data::draw_augmentation(o, 64, 8, 8, {5, 0, 1, 3});
  const torch::Tensor out = iddl::data::apply_augmentation(x, o, draws);
  int64_t flipped = 0;
  for (int64_t i = 0; i < 64; ++i) {
    const bool flip = draws.flip[i].item<bool>();
    flipped += flip ? 1 : 0;
    EXPECT_TRUE(torch::equal(out[i], flip ? torch::flip(x[i], {2}) : x[i])) << i;
  }
  EXPECT_GT(flipped, 0);
  EXPECT_LT(flipped, 64);
}

TEST(Augmentation, CropThenFlipMirrorsTheCrop) {
  const torch::Tensor x = numbered(16, 2, 9, 9);
  const AugmentOptions both = crop_flip(2, "reflect", true, 0);
  const AugmentDraws draws = iddl::data::draw_augmentation(both, 16, 9, 9, {2, 0, 1, 0});
  const torch::Tensor cropped = iddl::data::apply_augmentation(x, crop_flip(2, "reflect", false, 0), draws);
  const torch::Tensor out = iddl::data::apply_augmentation(x, both, draws);
  const torch::Tensor rows = draws.flip.view({16, 1, 1, 1});
  EXPECT_TRUE(torch::equal(out, torch::where(rows, torch::flip(cropped, {3}), cropped)));
}

TEST(Augmentation, CutoutZeroesASquareOfExactlyItsSideInsideEachImage) {
  const torch::Tensor x = numbered(32, 3, 28, 28);
  const AugmentOptions o = crop_flip(0, "reflect", false, 8);
  const AugmentDraws draws = iddl::data::draw_augmentation(o, 32, 28, 28, {11, 0, 4, 2});
  const torch::Tensor out = iddl::data::apply_augmentation(x, o, draws);
  EXPECT_LE(draws.cut_top.max().item<int64_t>(), 20);
  EXPECT_LE(draws.cut_left.max().item<int64_t>(), 20);
  for (int64_t i = 0; i < 32; ++i) {
    EXPECT_EQ(out[i].eq(0).sum().item<int64_t>(), 3 * 8 * 8) << i;
    const int64_t top = draws.cut_top[i].item<int64_t>(), left = draws.cut_left[i].item<int64_t>();
    EXPECT_EQ(out[i].slice(1, top, top + 8).slice(2, left, left + 8).abs().sum().item<float>(), 0.0f);
    EXPECT_TRUE(torch::equal(out[i].masked_fill(out[i].eq(0), 0), x[i].masked_fill(out[i].eq(0), 0)))
        << "every other pixel as it was";
  }
  const AugmentOptions whole = crop_flip(0, "reflect", false, 28);
  EXPECT_EQ(iddl::data::augment_batch(x, whole, {1, 0, 1, 0}).abs().sum().item<float>(), 0.0f);
}

TEST(Augmentation, DrawsDependOnSeedShardEpochAndBatchAlone) {
  const torch::Tensor x = numbered(64, 3, 32, 32);
  const AugmentOptions o = crop_flip(4, "reflect", true, 8);
  const BatchKey key{42, 1, 3, 17};
  EXPECT_TRUE(torch::equal(iddl::data::augment_batch(x, o, key), iddl::data::augment_batch(x, o, key)));
  const auto differs = [&](const BatchKey& other) {
    return !torch::equal(iddl::data::augment_batch(x, o, key), iddl::data::augment_batch(x, o, other));
  };
  EXPECT_TRUE(differs({42, 0, 3, 17})) << "another rank's shard";
  EXPECT_TRUE(differs({42, 1, 4, 17})) << "another epoch";
  EXPECT_TRUE(differs({42, 1, 3, 18})) << "another step";
  EXPECT_TRUE(differs({43, 1, 3, 17})) << "another seed";
  const AugmentDraws rank0 = iddl::data::draw_augmentation(o, 64, 32, 32, {42, 0, 3, 17});
  const AugmentDraws rank1 = iddl::data::draw_augmentation(o, 64, 32, 32, {42, 1, 3, 17});
  EXPECT_FALSE(torch::equal(rank0.top, rank1.top));
  EXPECT_FALSE(torch::equal(rank0.flip, rank1.flip));
  EXPECT_FALSE(torch::equal(rank0.cut_left, rank1.cut_left));
}

TEST(Augmentation, NoneAndEmptyBatchesAreLeftAsTheyAre) {
  const torch::Tensor x = numbered(4, 1, 28, 28);
  const torch::Tensor same = iddl::data::augment_batch(x, AugmentOptions{}, {1, 0, 1, 0});
  EXPECT_TRUE(same.is_same(x));
  const torch::Tensor empty = torch::zeros({0, 3, 32, 32});
  EXPECT_EQ(iddl::data::augment_batch(empty, crop_flip(4, "reflect", true, 8), {1, 0, 1, 0}).size(0), 0);
}

TEST(Augmentation, PaddingOrSquaresThatDoNotFitAreRefused) {
  const torch::Tensor x = numbered(2, 1, 8, 8);
  EXPECT_THROW(iddl::data::augment_batch(x, crop_flip(8, "reflect", true, 0), {1, 0, 1, 0}), std::invalid_argument);
  EXPECT_NO_THROW(iddl::data::augment_batch(x, crop_flip(8, "zeros", true, 0), {1, 0, 1, 0}));
  EXPECT_THROW(iddl::data::augment_batch(x, crop_flip(0, "zeros", true, 9), {1, 0, 1, 0}), std::invalid_argument);
}

}  // namespace
