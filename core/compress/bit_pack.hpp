#pragma once
#include <cstdint>

namespace iddl::compress {

// Bytes that `count` codes of `bits` bits each take once packed.
int64_t packed_bytes(int64_t count, int bits);
// Writes the low `bits` bits (1..32) of each code, least significant bit first, into packed_bytes(count, bits) bytes.
void pack_bits(const uint32_t* codes, int64_t count, int bits, uint8_t* out);
// Reads `count` codes of `bits` bits (1..32) back from the bytes pack_bits wrote.
void unpack_bits(const uint8_t* in, int64_t count, int bits, uint32_t* codes);

}  // namespace iddl::compress
