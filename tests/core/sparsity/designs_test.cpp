// Finite fields and block designs, every design verified pair by pair.
#include <gtest/gtest.h>

#include <algorithm>
#include <stdexcept>

#include "core/sparsity/block_design.hpp"
#include "core/sparsity/galois_field.hpp"

namespace iddl::sparsity {
namespace {

const int64_t kOrders[] = {2, 3, 4, 5, 7, 8, 9};

// Seed 000's affine plane: rows, columns and lines (slope*i + j) mod q = c, mod-q arithmetic.
BlockDesign modular_affine_plane(int64_t q) {
  BlockDesign d{q * q, {}};
  for (int64_t i = 0; i < q; ++i) {
    d.blocks.emplace_back();
    for (int64_t j = 0; j < q; ++j) d.blocks.back().push_back(i * q + j);
  }
  for (int64_t j = 0; j < q; ++j) {
    d.blocks.emplace_back();
    for (int64_t i = 0; i < q; ++i) d.blocks.back().push_back(i * q + j);
  }
  for (int64_t slope = 1; slope < q; ++slope)
    for (int64_t c = 0; c < q; ++c) {
      d.blocks.emplace_back();
      for (int64_t i = 0; i < q; ++i)
        for (int64_t j = 0; j < q; ++j)
          if ((slope * i + j) % q == c) d.blocks.back().push_back(i * q + j);
    }
  return d;
}

TEST(PrimePower, FactorsPrimePowersOnly) {
  EXPECT_EQ(prime_power(8).prime, 2);
  EXPECT_EQ(prime_power(8).exponent, 3);
  EXPECT_EQ(prime_power(9).prime, 3);
  EXPECT_EQ(prime_power(7).exponent, 1);
  EXPECT_EQ(prime_power(12).exponent, 0);
  EXPECT_EQ(prime_power(28).exponent, 0);
}

TEST(GaloisField, IsAFieldForEveryOrder) {
  for (int64_t q : {2, 3, 4, 5, 7, 8, 9, 16, 25, 27}) {
    const GaloisField f(q);
    for (int64_t a = 0; a < q; ++a) {
      EXPECT_EQ(f.add(a, 0), a);
      EXPECT_EQ(f.mul(a, 1), a);
      EXPECT_EQ(f.mul(a, 0), 0);
      int64_t negatives = 0, inverses = 0;
      for (int64_t b = 0; b < q; ++b) {
        negatives += f.add(a, b) == 0;
        inverses += f.mul(a, b) == 1;
        EXPECT_EQ(f.mul(a, b), f.mul(b, a));
        for (int64_t c = 0; c < q; ++c)
          EXPECT_EQ(f.mul(a, f.add(b, c)), f.add(f.mul(a, b), f.mul(a, c))) << "GF(" << q << ")";
      }
      EXPECT_EQ(negatives, 1);
      EXPECT_EQ(inverses, a == 0 ? 0 : 1) << "GF(" << q << ") element " << a;
    }
  }
}

TEST(GaloisField, RejectsOrdersThatAreNotPrimePowers) {
  EXPECT_THROW(GaloisField(6), std::invalid_argument);
  EXPECT_THROW(GaloisField(1), std::invalid_argument);
}

TEST(AffinePlane, IsABibdForEveryOrder) {
  for (int64_t q : kOrders) EXPECT_EQ(verify_bibd(affine_plane(q), affine_parameters(q)), "") << "AG(2, " << q << ")";
}

TEST(ProjectivePlane, IsABibdForEveryOrder) {
  for (int64_t q : kOrders)
    EXPECT_EQ(verify_bibd(projective_plane(q), projective_parameters(q)), "") << "PG(2, " << q << ")";
}

TEST(AffinePlane, ModularArithmeticFailsWhereTheFieldSucceeds) {
  // Prime orders: mod-q lines are the field's lines.
  EXPECT_EQ(verify_bibd(modular_affine_plane(5), affine_parameters(5)), "");
  // q = 4: slope 2 is not invertible mod 4, so its "lines" are not lines and lambda varies.
  const BlockDesign broken = modular_affine_plane(4);
  EXPECT_NE(verify_bibd(broken, affine_parameters(4)), "");
  const auto counts = pair_counts(broken);
  int64_t lowest = 99, highest = 0;
  for (int64_t i = 0; i < 16; ++i)
    for (int64_t j = i + 1; j < 16; ++j) {
      lowest = std::min(lowest, counts[i * 16 + j]);
      highest = std::max(highest, counts[i * 16 + j]);
    }
  EXPECT_LT(lowest, highest);
  EXPECT_EQ(verify_bibd(affine_plane(4), affine_parameters(4)), "");
}

TEST(AffinePlane, RejectsOrdersThatAreNotPrimePowers) {
  EXPECT_THROW(affine_plane(6), std::invalid_argument);
  EXPECT_THROW(projective_plane(10), std::invalid_argument);
}

TEST(AffineNet, Order28IsFiveParallelClassesMeetingAtMostOnce) {
  // 28 = 4 · 7: MacNeish's product of AG(2, 4) and AG(2, 7) keeps min(4, 7) + 1 = 5 classes.
  const BlockDesign net = affine_net(28);
  EXPECT_EQ(affine_net_classes(28), 5);
  ASSERT_EQ(net.blocks.size(), 5u * 28);
  const auto counts = pair_counts(net);
  for (int64_t i = 0; i < 784; ++i) {
    EXPECT_EQ(counts[i * 784 + i], 5);  // one block per class
    for (int64_t j = i + 1; j < 784; ++j) ASSERT_LE(counts[i * 784 + j], 1) << i << ", " << j;
  }
  for (const auto& block : net.blocks) EXPECT_EQ(block.size(), 28u);
}

TEST(AffineNet, IsTheAffinePlaneForPrimePowers) {
  EXPECT_EQ(affine_net_classes(9), 10);
  EXPECT_EQ(affine_net(9).blocks, affine_plane(9).blocks);
}

TEST(VerifyBibd, NamesTheFirstViolation) {
  BlockDesign d = affine_plane(3);
  d.blocks[0][0] = d.blocks[0][1];
  EXPECT_NE(verify_bibd(d, affine_parameters(3)).find("block 0"), std::string::npos);
  EXPECT_NE(verify_bibd(affine_plane(3), projective_parameters(3)).find("v is 9"), std::string::npos);
}

}  // namespace
}  // namespace iddl::sparsity
