#include "core/sparsity/connection_mask.hpp"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <random>
#include <stdexcept>
#include <string>

#include "core/sparsity/galois_field.hpp"

namespace iddl::sparsity {

namespace {

// The smallest q ≥ 2 with q² ≥ n.
int64_t ceil_sqrt(int64_t n) {
  int64_t q = std::max<int64_t>(2, static_cast<int64_t>(std::sqrt(static_cast<double>(n))));
  while (q * q < n) ++q;
  while (q > 2 && (q - 1) * (q - 1) >= n) --q;
  return q;
}

// The smallest prime power q with q²+q+1 ≥ n.
int64_t projective_order(int64_t n) {
  int64_t q = 2;
  while (q * q + q + 1 < n || prime_power(q).exponent == 0) ++q;
  return q;
}

}  // namespace

int64_t Mask::count() const { return std::count(bits.begin(), bits.end(), uint8_t{1}); }

BlockDesign layer_design(DesignKind kind, int64_t n_in) {
  if (n_in < 1) throw std::invalid_argument("a masked layer needs at least one input");
  return kind == DesignKind::Affine ? affine_net(ceil_sqrt(n_in)) : projective_plane(projective_order(n_in));
}

Mask design_mask(const BlockDesign& design, int64_t n_in, int64_t n_out) {
  Mask m{n_out, n_in, std::vector<uint8_t>(n_out * n_in, 0)};
  const auto b = static_cast<int64_t>(design.blocks.size());
  for (int64_t j = 0; j < n_out; ++j)
    for (int64_t point : design.blocks[j % b])
      if (point < n_in) m.bits[j * n_in + point] = 1;
  return m;
}

Mask bibd_mask(DesignKind kind, int64_t n_in, int64_t n_out) {
  return design_mask(layer_design(kind, n_in), n_in, n_out);
}

Mask random_mask(int64_t n_in, int64_t n_out, int64_t count, uint64_t seed) {
  const int64_t size = n_in * n_out;
  if (count < 0 || count > size) throw std::invalid_argument("random mask: count out of range");
  std::vector<int64_t> places(size);
  std::iota(places.begin(), places.end(), 0);
  std::mt19937_64 rng(seed);
  Mask m{n_out, n_in, std::vector<uint8_t>(size, 0)};
  for (int64_t i = 0; i < count; ++i) {  // places[i] becomes a uniform pick among places[i..]
    const int64_t j = i + static_cast<int64_t>(rng() % static_cast<uint64_t>(size - i));
    std::swap(places[i], places[j]);
    m.bits[places[i]] = 1;
  }
  return m;
}

Mask grouped_mask(const Mask& per_group, int64_t groups) {
  if (groups < 1 || per_group.rows % groups != 0)
    throw std::invalid_argument(std::to_string(per_group.rows) + " outputs cannot be cut into " +
                                std::to_string(groups) + " groups");
  const int64_t in_group = per_group.cols, out_group = per_group.rows / groups;
  Mask m{per_group.rows, in_group * groups, std::vector<uint8_t>(per_group.rows * in_group * groups, 0)};
  for (int64_t j = 0; j < m.rows; ++j)
    for (int64_t i = 0; i < in_group; ++i)
      m.bits[j * m.cols + (j / out_group) * in_group + i] = per_group.bits[j * in_group + i];
  return m;
}

Mask first_columns(const Mask& mask, int64_t cols) {
  if (cols < 0 || cols > mask.cols)
    throw std::invalid_argument("cannot keep " + std::to_string(cols) + " of a mask's " + std::to_string(mask.cols) +
                                " columns");
  Mask m{mask.rows, cols, std::vector<uint8_t>(mask.rows * cols)};
  for (int64_t j = 0; j < m.rows; ++j)
    std::copy_n(mask.bits.begin() + j * mask.cols, cols, m.bits.begin() + j * cols);
  return m;
}

}  // namespace iddl::sparsity
