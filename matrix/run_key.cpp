#include "matrix/run_key.hpp"

#include <cstdint>

#include <fmt/format.h>

namespace iddl::matrix {
namespace {

std::uint64_t fnv1a_64(const std::string& bytes) {
  std::uint64_t hash = 14695981039346656037ULL;
  for (const unsigned char byte : bytes) {
    hash ^= byte;
    hash *= 1099511628211ULL;
  }
  return hash;
}

}  // namespace

std::string run_key(const nlohmann::json& resolved) {
  return fmt::format("{:016x}", fnv1a_64(resolved.dump()));
}

}  // namespace iddl::matrix
