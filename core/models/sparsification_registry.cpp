#include "core/models/sparsification_registry.hpp"

#include <stdexcept>

#include "core/registry_row.hpp"

namespace iddl::models {
namespace {

// A seed for layer `layer` drawn from the run seed (splitmix64's constant keeps layers apart).
uint64_t layer_seed(uint64_t seed, int64_t layer) {
  return seed ^ (0x9E3779B97F4A7C15ULL * static_cast<uint64_t>(layer + 1));
}

sparsity::DesignKind design_kind(const std::string& design) {
  if (design == "affine") return sparsity::DesignKind::Affine;
  if (design == "projective") return sparsity::DesignKind::Projective;
  throw std::logic_error("sparsification design '" + design + "' is not affine or projective (matrix's spec)");
}

sparsity::Mask bibd(const SparsityOptions& o, int64_t in_group, int64_t out, int64_t) {
  return sparsity::bibd_mask(design_kind(o.design), in_group, out);
}

sparsity::Mask random(const SparsityOptions& o, int64_t in_group, int64_t out, int64_t layer) {
  const int64_t kept = bibd(o, in_group, out, layer).count();
  return sparsity::random_mask(in_group, out, kept, layer_seed(o.seed, layer));
}

sparsity::Mask group(const SparsityOptions&, int64_t in_group, int64_t out, int64_t) {
  return {out, in_group, std::vector<uint8_t>(out * in_group, 1)};
}

}  // namespace

const std::vector<SparsificationMethod>& sparsification_registry() {
  static const std::vector<SparsificationMethod> rows = {
      {"none"},
      {"bibd", bibd},
      {"random", random},
      {"group", group, false},
  };
  return rows;
}

const SparsificationMethod& sparsification_method(std::string_view method) {
  return registry_row(sparsification_registry(), method, "the sparsification registry");
}

}  // namespace iddl::models
