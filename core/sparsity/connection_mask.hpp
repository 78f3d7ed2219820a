#pragma once
#include <cstdint>
#include <vector>

#include "core/sparsity/block_design.hpp"

// Connection masks of a layer (docs/sparsity.md): output j (a row) sees input i (a column) when
// the mask holds 1 at (j, i).
namespace iddl::sparsity {

// A rows × cols 0/1 matrix, row-major.
struct Mask {
  int64_t rows = 0, cols = 0;
  std::vector<uint8_t> bits;

  // The entry at row r, column c.
  bool at(int64_t r, int64_t c) const { return bits[r * cols + c] != 0; }
  // The number of ones (connections).
  int64_t count() const;
};

// Which design a BIBD mask is cut from.
enum class DesignKind { Affine, Projective };

// The design a layer of `n_in` inputs uses: affine: affine_net(q), q = max(2, ceil(sqrt(n_in)));
// projective: PG(2, q) for the smallest prime power q with q²+q+1 ≥ n_in. Throws for n_in < 1.
BlockDesign layer_design(DesignKind kind, int64_t n_in);

// The n_out × n_in mask of `design`: row j holds the points of block j mod b that are below n_in
// (inputs are the first n_in points, rows wrap over the blocks).
Mask design_mask(const BlockDesign& design, int64_t n_in, int64_t n_out);

// design_mask(layer_design(kind, n_in), n_in, n_out).
Mask bibd_mask(DesignKind kind, int64_t n_in, int64_t n_out);

// An n_out × n_in mask with exactly `count` ones at uniformly random places, drawn with a
// Fisher-Yates shuffle driven by std::mt19937_64(seed) (the same on every platform).
Mask random_mask(int64_t n_in, int64_t n_out, int64_t count, uint64_t seed);

// The n_out × n_in mask of a layer cut into `groups` groups (both sides divisible): output j sees
// input i when both are in the same group and `per_group` (n_out × n_in/groups) connects j to
// i's position in its group. Throws std::invalid_argument when the sides are not divisible.
Mask grouped_mask(const Mask& per_group, int64_t groups);

// The first `cols` columns of `mask` (seed 000's BibdConv2d with groups: the design over all inputs,
// cropped to one group's width). Throws std::invalid_argument unless 0 <= cols <= mask.cols.
Mask first_columns(const Mask& mask, int64_t cols);

}  // namespace iddl::sparsity
