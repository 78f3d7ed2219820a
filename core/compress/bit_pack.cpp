#include "core/compress/bit_pack.hpp"

#include <stdexcept>
#include <string>

namespace iddl::compress {
namespace {

void check_bits(int bits) {
  if (bits < 1 || bits > 32)
    throw std::invalid_argument("bit packing: bits must be 1..32, got " + std::to_string(bits));
}

}  // namespace

int64_t packed_bytes(int64_t count, int bits) {
  check_bits(bits);
  return (count * bits + 7) / 8;
}

void pack_bits(const uint32_t* codes, int64_t count, int bits, uint8_t* out) {
  check_bits(bits);
  const uint64_t mask = (uint64_t{1} << bits) - 1;
  uint64_t pending = 0;  // bits not yet written, lowest first
  int filled = 0;
  for (int64_t i = 0; i < count; ++i) {
    pending |= (codes[i] & mask) << filled;
    filled += bits;
    while (filled >= 8) {
      *out++ = static_cast<uint8_t>(pending);
      pending >>= 8;
      filled -= 8;
    }
  }
  if (filled > 0) *out = static_cast<uint8_t>(pending);
}

void unpack_bits(const uint8_t* in, int64_t count, int bits, uint32_t* codes) {
  check_bits(bits);
  const uint64_t mask = (uint64_t{1} << bits) - 1;
  uint64_t pending = 0;
  int available = 0;
  for (int64_t i = 0; i < count; ++i) {
    while (available < bits) {
      pending |= static_cast<uint64_t>(*in++) << available;
      available += 8;
    }
    codes[i] = static_cast<uint32_t>(pending & mask);
    pending >>= bits;
    available -= bits;
  }
}

}  // namespace iddl::compress
