#include "core/sparsity/block_design.hpp"

#include <algorithm>
#include <array>
#include <stdexcept>

#include "core/sparsity/galois_field.hpp"

namespace iddl::sparsity {

namespace {

// q = ∏ factors, each a prime power (one per prime).
std::vector<int64_t> prime_power_factors(int64_t q) {
  std::vector<int64_t> factors;
  for (int64_t p = 2; q > 1; ++p) {
    int64_t f = 1;
    for (; q % p == 0; q /= p) f *= p;
    if (f > 1) factors.push_back(f);
  }
  return factors;
}

// The ring ∏ GF(factor): elements 0..q-1 in mixed radix, operations component by component.
class ProductRing {
 public:
  explicit ProductRing(int64_t q) {
    for (int64_t f : prime_power_factors(q)) fields_.emplace_back(f);
  }
  int64_t add(int64_t a, int64_t b) const {
    return combine(a, b, [](const GaloisField& f, int64_t x, int64_t y) { return f.add(x, y); });
  }
  int64_t mul(int64_t a, int64_t b) const {
    return combine(a, b, [](const GaloisField& f, int64_t x, int64_t y) { return f.mul(x, y); });
  }
  // The element whose every component is element `c` of its field (c below every field's order).
  int64_t diagonal(int64_t c) const {
    int64_t e = 0;
    for (auto it = fields_.rbegin(); it != fields_.rend(); ++it) e = e * it->order() + c;
    return e;
  }
  // The smallest field order.
  int64_t smallest_field() const {
    int64_t m = fields_.front().order();
    for (const auto& f : fields_) m = std::min(m, f.order());
    return m;
  }

 private:
  template <typename Op>
  int64_t combine(int64_t a, int64_t b, Op op) const {
    int64_t result = 0, scale = 1;
    for (const auto& f : fields_) {
      result += op(f, a % f.order(), b % f.order()) * scale;
      a /= f.order();
      b /= f.order();
      scale *= f.order();
    }
    return result;
  }
  std::vector<GaloisField> fields_;
};

// Throws std::invalid_argument unless q is a prime power.
void require_prime_power(int64_t q, const char* what) {
  if (q < 2 || prime_power(q).exponent == 0)
    throw std::invalid_argument(std::string(what) + ": order " + std::to_string(q) + " is not a prime power");
}

// The normalised vectors of GF(q)^3: (1,a,b), (0,1,a), (0,0,1).
std::vector<std::array<int64_t, 3>> normalised_vectors(int64_t q) {
  std::vector<std::array<int64_t, 3>> v;
  for (int64_t a = 0; a < q; ++a)
    for (int64_t b = 0; b < q; ++b) v.push_back({1, a, b});
  for (int64_t a = 0; a < q; ++a) v.push_back({0, 1, a});
  v.push_back({0, 0, 1});
  return v;
}

}  // namespace

BlockDesign affine_net(int64_t q) {
  if (q < 2) throw std::invalid_argument("affine net: order must be at least 2");
  const ProductRing ring(q);
  BlockDesign d{q * q, {}};
  for (int64_t t = 0; t < q; ++t) {  // x = t
    d.blocks.emplace_back();
    for (int64_t y = 0; y < q; ++y) d.blocks.back().push_back(t * q + y);
  }
  for (int64_t t = 0; t < q; ++t) {  // y = t
    d.blocks.emplace_back();
    for (int64_t x = 0; x < q; ++x) d.blocks.back().push_back(x * q + t);
  }
  for (int64_t c = 1; c < ring.smallest_field(); ++c) {  // y = s*x + t
    const int64_t s = ring.diagonal(c);
    for (int64_t t = 0; t < q; ++t) {
      d.blocks.emplace_back();
      for (int64_t x = 0; x < q; ++x) d.blocks.back().push_back(x * q + ring.add(ring.mul(s, x), t));
    }
  }
  return d;
}

int64_t affine_net_classes(int64_t q) { return ProductRing(q).smallest_field() + 1; }

BlockDesign affine_plane(int64_t q) {
  require_prime_power(q, "AG(2, q)");
  return affine_net(q);
}

DesignParameters affine_parameters(int64_t q) { return {q * q, q * q + q, q + 1, q, 1}; }

BlockDesign projective_plane(int64_t q) {
  require_prime_power(q, "PG(2, q)");
  const GaloisField f(q);
  const auto vectors = normalised_vectors(q);
  BlockDesign d{static_cast<int64_t>(vectors.size()), {}};
  for (const auto& line : vectors) {
    d.blocks.emplace_back();
    for (size_t p = 0; p < vectors.size(); ++p) {
      const auto& point = vectors[p];
      const int64_t dot = f.add(f.add(f.mul(line[0], point[0]), f.mul(line[1], point[1])), f.mul(line[2], point[2]));
      if (dot == 0) d.blocks.back().push_back(static_cast<int64_t>(p));
    }
  }
  return d;
}

DesignParameters projective_parameters(int64_t q) {
  const int64_t v = q * q + q + 1;
  return {v, v, q + 1, q + 1, 1};
}

std::vector<int64_t> pair_counts(const BlockDesign& design) {
  const int64_t v = design.points;
  std::vector<int64_t> counts(v * v, 0);
  for (const auto& block : design.blocks)
    for (int64_t i : block)
      for (int64_t j : block) ++counts[i * v + j];
  return counts;
}

std::string verify_bibd(const BlockDesign& design, const DesignParameters& e) {
  const int64_t v = design.points;
  if (v != e.v) return "v is " + std::to_string(v) + ", expected " + std::to_string(e.v);
  if (static_cast<int64_t>(design.blocks.size()) != e.b)
    return "b is " + std::to_string(design.blocks.size()) + ", expected " + std::to_string(e.b);
  for (size_t i = 0; i < design.blocks.size(); ++i) {
    auto block = design.blocks[i];
    std::sort(block.begin(), block.end());
    const bool distinct = std::adjacent_find(block.begin(), block.end()) == block.end();
    const bool in_range = block.empty() || (block.front() >= 0 && block.back() < v);
    if (static_cast<int64_t>(block.size()) != e.k || !distinct || !in_range)
      return "block " + std::to_string(i) + " is not " + std::to_string(e.k) + " distinct points in range";
  }
  if (design.blocks.empty()) return "";
  const auto counts = pair_counts(design);  // valid now that every point is in range
  for (int64_t i = 0; i < v; ++i) {
    if (counts[i * v + i] != e.r)
      return "point " + std::to_string(i) + " is in " + std::to_string(counts[i * v + i]) + " blocks, expected r = " +
             std::to_string(e.r);
    for (int64_t j = i + 1; j < v; ++j)
      if (counts[i * v + j] != e.lambda)
        return "points " + std::to_string(i) + " and " + std::to_string(j) + " share " +
               std::to_string(counts[i * v + j]) + " blocks, expected lambda = " + std::to_string(e.lambda);
  }
  return "";
}

}  // namespace iddl::sparsity
