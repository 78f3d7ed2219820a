#pragma once
#include <cstdint>
#include <string>
#include <vector>

// Combinatorial block designs: points 0..v-1 and blocks (sets of points), built over finite fields.
namespace iddl::sparsity {

// Points 0..points-1 and the blocks, each a list of distinct points.
struct BlockDesign {
  int64_t points = 0;
  std::vector<std::vector<int64_t>> blocks;
};

// What a (v, b, r, k, lambda) BIBD promises: v points, b blocks of k points, every point in r
// blocks, every pair of distinct points together in exactly lambda blocks.
struct DesignParameters {
  int64_t v, b, r, k, lambda;
};

// The affine plane AG(2, q) over GF(q), q a prime power: points (x, y) as x*q + y; blocks in q+1
// parallel classes: x = t, y = t, then y = s*x + t for s = 1..q-1 (t = 0..q-1 in each class).
// Throws std::invalid_argument when q is not a prime power.
BlockDesign affine_plane(int64_t q);

// The parameters of AG(2, q): (q², q²+q, q+1, q, 1).
DesignParameters affine_parameters(int64_t q);

// The projective plane PG(2, q) over GF(q), q a prime power: points and lines are the normalised
// vectors of GF(q)^3 ((1,a,b), then (0,1,a), then (0,0,1)); line L holds the points P with L·P = 0.
// Throws std::invalid_argument when q is not a prime power.
BlockDesign projective_plane(int64_t q);

// The parameters of PG(2, q): (q²+q+1, q²+q+1, q+1, q+1, 1).
DesignParameters projective_parameters(int64_t q);

// A net of order q ≥ 2 on q² points: AG(2, q) when q is a prime power, else MacNeish's product of
// the affine planes of q's prime-power factors, with min(factor) + 1 parallel classes of q blocks of
// q points (x = t, y = t, y = s*x + t for the slopes s whose every component is nonzero and
// distinct); two points share at most one block.
BlockDesign affine_net(int64_t q);

// The number of parallel classes of affine_net(q): q+1 for a prime power, min(factor)+1 otherwise.
int64_t affine_net_classes(int64_t q);

// For every ordered pair of points (i, j), row-major v×v, the number of blocks holding both (the
// diagonal: blocks holding i).
std::vector<int64_t> pair_counts(const BlockDesign& design);

// "" when `design` is a BIBD with parameters `expected` (blocks of k distinct points in range,
// every point in r blocks, every pair of distinct points in exactly lambda blocks, counted pair by
// pair), else the first violation found.
std::string verify_bibd(const BlockDesign& design, const DesignParameters& expected);

}  // namespace iddl::sparsity
