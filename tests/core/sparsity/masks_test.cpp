// Connection masks: seed 000's counts, wrapping and cropping, random masks, groups.
#include <gtest/gtest.h>

#include <stdexcept>

#include "core/sparsity/connection_mask.hpp"

namespace iddl::sparsity {
namespace {

TEST(BibdMask, ReproducesSeed000Counts) {
  // 784 inputs: q = 28, the first 112 blocks are 4 whole parallel classes of 28 points.
  EXPECT_EQ(bibd_mask(DesignKind::Affine, 784, 112).count(), 3136);
  // 112 inputs: q = 11 (121 points cropped to 112); 5 whole classes (560) + one line missing one point.
  EXPECT_EQ(bibd_mask(DesignKind::Affine, 112, 56).count(), 570);
}

TEST(BibdMask, RowsAreBlocksCroppedToTheInputs) {
  const Mask m = bibd_mask(DesignKind::Affine, 9, 12);  // exactly AG(2, 3): 12 lines of 3 points
  EXPECT_EQ(m.count(), 36);
  const auto plane = affine_plane(3);
  for (int64_t j = 0; j < 12; ++j)
    for (int64_t p : plane.blocks[j]) EXPECT_TRUE(m.at(j, p));
}

TEST(BibdMask, RowsWrapOverTheBlocks) {
  const Mask m = bibd_mask(DesignKind::Projective, 7, 10);  // PG(2, 2) has 7 lines
  for (int64_t i = 0; i < 7; ++i)
    for (int64_t j = 0; j < 3; ++j) EXPECT_EQ(m.at(7 + j, i), m.at(j, i));
  EXPECT_EQ(m.count(), 10 * 3);
}

TEST(FirstColumns, KeepsEachRowsLeadingEntries) {
  const Mask full = bibd_mask(DesignKind::Affine, 9, 12);
  const Mask m = first_columns(full, 4);
  ASSERT_EQ(m.rows, 12);
  ASSERT_EQ(m.cols, 4);
  for (int64_t j = 0; j < 12; ++j)
    for (int64_t i = 0; i < 4; ++i) EXPECT_EQ(m.at(j, i), full.at(j, i));
  EXPECT_EQ(first_columns(full, 9).bits, full.bits);
  EXPECT_THROW(first_columns(full, 10), std::invalid_argument);
}

// Kept connections of ResNet-18's thinned convs (one kernel position) in seed 000's rows, as docs/sparsity.md's
// table states them: bibd (the design of all inputs) and bibd_gc with the design over all inputs cropped to
// in/groups columns (design_over = "all_inputs"), next to the design of one group (design_over = "group").
TEST(BibdMask, ResNet18LayerCountsOfSeed000sRows) {
  struct Row {
    int64_t in, out, bibd, gc2_group, gc2_all, gc4_group, gc4_all;
  };
  const Row rows[] = {{64, 64, 512, 342, 256, 256, 128},        {64, 128, 1024, 684, 512, 512, 256},
                      {128, 128, 1364, 1024, 680, 684, 344},    {128, 256, 2732, 2048, 1368, 1368, 684},
                      {256, 256, 4096, 2732, 2048, 2048, 1024}, {256, 512, 8192, 5460, 4096, 4096, 2048},
                      {512, 512, 11400, 8192, 5700, 5460, 2846}};
  for (const Row& r : rows) {
    const Mask full = bibd_mask(DesignKind::Affine, r.in, r.out);
    EXPECT_EQ(full.count(), r.bibd) << r.in << " -> " << r.out;
    EXPECT_EQ(bibd_mask(DesignKind::Affine, r.in / 2, r.out).count(), r.gc2_group) << r.in << " -> " << r.out;
    EXPECT_EQ(first_columns(full, r.in / 2).count(), r.gc2_all) << r.in << " -> " << r.out;
    EXPECT_EQ(bibd_mask(DesignKind::Affine, r.in / 4, r.out).count(), r.gc4_group) << r.in << " -> " << r.out;
    EXPECT_EQ(first_columns(full, r.in / 4).count(), r.gc4_all) << r.in << " -> " << r.out;
  }
}

TEST(LayerDesign, PicksTheSmallestFittingOrder) {
  EXPECT_EQ(layer_design(DesignKind::Affine, 784).points, 784);
  EXPECT_EQ(layer_design(DesignKind::Affine, 785).points, 29 * 29);
  EXPECT_EQ(layer_design(DesignKind::Projective, 64).points, 73);   // q = 8
  EXPECT_EQ(layer_design(DesignKind::Projective, 74).points, 91);   // q = 9
  EXPECT_EQ(layer_design(DesignKind::Affine, 1).points, 4);
  EXPECT_THROW(layer_design(DesignKind::Affine, 0), std::invalid_argument);
}

TEST(RandomMask, HasExactlyTheCountAndDependsOnTheSeed) {
  const Mask a = random_mask(784, 112, 3136, 1), b = random_mask(784, 112, 3136, 1), c = random_mask(784, 112, 3136, 2);
  EXPECT_EQ(a.count(), 3136);
  EXPECT_EQ(c.count(), 3136);
  EXPECT_EQ(a.bits, b.bits);
  EXPECT_NE(a.bits, c.bits);
  EXPECT_NE(a.bits, bibd_mask(DesignKind::Affine, 784, 112).bits);
  EXPECT_EQ(random_mask(3, 2, 6, 5).count(), 6);
  EXPECT_THROW(random_mask(3, 2, 7, 5), std::invalid_argument);
}

TEST(GroupedMask, KeepsEachOutputInsideItsGroup) {
  Mask ones{4, 3, std::vector<uint8_t>(12, 1)};
  const Mask g = grouped_mask(ones, 2);  // 4 outputs, 6 inputs, two diagonal 2x3 blocks
  ASSERT_EQ(g.cols, 6);
  EXPECT_EQ(g.count(), 12);
  EXPECT_TRUE(g.at(1, 2));
  EXPECT_FALSE(g.at(1, 3));
  EXPECT_TRUE(g.at(2, 3));
  EXPECT_FALSE(g.at(3, 0));
  EXPECT_THROW(grouped_mask(ones, 3), std::invalid_argument);
}

}  // namespace
}  // namespace iddl::sparsity
