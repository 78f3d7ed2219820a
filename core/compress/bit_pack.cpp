#include "core/compress/bit_pack.hpp"

#include <array>
#include <cstring>
#include <stdexcept>
#include <string>
#include <utility>

namespace iddl::compress {
namespace {

void check_bits(int bits) {
  if (bits < 1 || bits > 32)
    throw std::invalid_argument("bit packing: bits must be 1..32, got " + std::to_string(bits));
}

using Word = unsigned __int128;

// 8 codes of `Bits` (1..16) bits, least significant first, into Bits bytes (little-endian hosts); of an even
// width, 4 codes fill Bits / 2 bytes of a 64-bit word.
template <int Bits>
void pack_groups(const uint32_t* codes, int64_t groups, uint8_t* out) {
  constexpr uint32_t mask = (1u << Bits) - 1;
  if constexpr (Bits % 2 == 0) {
    for (int64_t q = 0; q < 2 * groups; ++q) {
      uint64_t word = 0;
      for (int j = 0; j < 4; ++j) word |= static_cast<uint64_t>(codes[4 * q + j] & mask) << (Bits * j);
      std::memcpy(out + Bits / 2 * q, &word, Bits / 2);
    }
    return;
  }
  for (int64_t g = 0; g < groups; ++g) {
    Word word = 0;
    for (int j = 0; j < 8; ++j) word |= static_cast<Word>(codes[8 * g + j] & mask) << (Bits * j);
    std::memcpy(out + Bits * g, &word, Bits);
  }
}

// The inverse of pack_groups. (A word is read whole where the input holds it: a narrower copy into a word would be
// read back before its bytes arrive, stalling each word.)
template <int Bits>
void unpack_groups(const uint8_t* in, int64_t groups, uint32_t* codes) {
  constexpr uint32_t mask = (1u << Bits) - 1;
  if constexpr (Bits % 2 == 0) {
    const int64_t words = 2 * groups;
    for (int64_t q = 0; q < words; ++q) {
      uint64_t word = 0;
      if (Bits / 2 * q + 8 <= Bits * groups) {
        std::memcpy(&word, in + Bits / 2 * q, 8);
      } else {
        std::memcpy(&word, in + Bits / 2 * q, Bits / 2);
      }
      for (int j = 0; j < 4; ++j) codes[4 * q + j] = static_cast<uint32_t>(word >> (Bits * j)) & mask;
    }
    return;
  }
  for (int64_t g = 0; g < groups; ++g) {
    Word word = 0;
    if (Bits * g + 16 <= Bits * groups) {
      std::memcpy(&word, in + Bits * g, 16);
    } else {
      std::memcpy(&word, in + Bits * g, Bits);
    }
    for (int j = 0; j < 8; ++j) codes[8 * g + j] = static_cast<uint32_t>(word >> (Bits * j)) & mask;
  }
}

// The widest code packed 8 at a time in one 128-bit word; wider codes go bit by bit.
constexpr int kGroupBits = 16;

using PackGroups = void (*)(const uint32_t*, int64_t, uint8_t*);
using UnpackGroups = void (*)(const uint8_t*, int64_t, uint32_t*);

template <size_t... I>
constexpr std::array<PackGroups, kGroupBits> pack_table(std::index_sequence<I...>) {
  return {&pack_groups<static_cast<int>(I) + 1>...};
}
template <size_t... I>
constexpr std::array<UnpackGroups, kGroupBits> unpack_table(std::index_sequence<I...>) {
  return {&unpack_groups<static_cast<int>(I) + 1>...};
}

// The group packers of widths 1..16 (index bits - 1).
constexpr std::array<PackGroups, kGroupBits> kPack = pack_table(std::make_index_sequence<kGroupBits>());
constexpr std::array<UnpackGroups, kGroupBits> kUnpack = unpack_table(std::make_index_sequence<kGroupBits>());

}  // namespace

int64_t packed_bytes(int64_t count, int bits) {
  check_bits(bits);
  return (count * bits + 7) / 8;
}

void pack_bits(const uint32_t* codes, int64_t count, int bits, uint8_t* out) {
  check_bits(bits);
  // Whole groups of 8 codes fill whole bytes; the last 0-7 codes go bit by bit.
  const int64_t groups = bits <= kGroupBits ? count / 8 : 0;
  if (groups > 0) kPack[static_cast<size_t>(bits - 1)](codes, groups, out);
  out += groups * bits;
  const uint64_t mask = (uint64_t{1} << bits) - 1;
  uint64_t pending = 0;  // bits not yet written, lowest first
  int filled = 0;
  for (int64_t i = 8 * groups; i < count; ++i) {
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
  const int64_t groups = bits <= kGroupBits ? count / 8 : 0;
  if (groups > 0) kUnpack[static_cast<size_t>(bits - 1)](in, groups, codes);
  in += groups * bits;
  const uint64_t mask = (uint64_t{1} << bits) - 1;
  uint64_t pending = 0;
  int available = 0;
  for (int64_t i = 8 * groups; i < count; ++i) {
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
