#include <algorithm>
#include <map>

#include <fmt/format.h>

#include "matrix/sweep_reading.hpp"

namespace iddl::matrix {
namespace {

bool conflict(const Claim& a, const Claim& b) {
  if (a.scope == Scope::Extra || b.scope == Scope::Extra)
    return a.scope == Scope::EveryRun || b.scope == Scope::EveryRun;
  return true;
}

bool before(const Claim* a, const Claim* b) {
  return std::make_pair(a->where.line, a->where.column) < std::make_pair(b->where.line, b->where.column);
}

}  // namespace

void check_claims(const Reading& reading) {
  std::vector<const Claim*> ordered;
  for (const auto& claim : reading.claims) ordered.push_back(&claim);
  std::stable_sort(ordered.begin(), ordered.end(), before);
  // Per setting: the earlier claims a later one may conflict with (every non-[[include]] claim and the first
  // [[include]] one; further [[include]] claims conflict with nothing the first does not).
  std::map<std::string, std::vector<const Claim*>> earlier_claims;
  for (const Claim* claim : ordered) {
    auto& earlier = earlier_claims[claim->setting];
    for (const Claim* other : earlier)
      if (conflict(*other, *claim))
        throw sweep_error(reading.file, claim->where,
                          fmt::format("setting '{}' is in both {} (line {}) and {}; keep one", claim->setting,
                                      other->place, other->where.line, claim->place));
    const bool extra_seen = std::any_of(earlier.begin(), earlier.end(),
                                        [](const Claim* c) { return c->scope == Scope::Extra; });
    if (claim->scope != Scope::Extra || !extra_seen) earlier.push_back(claim);
  }
}

}  // namespace iddl::matrix
