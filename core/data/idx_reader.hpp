// Reader of IDX files (the MNIST file format), raw or gzip-compressed.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace iddl::data {

// An IDX array of unsigned bytes: its dimensions and its elements in row-major order.
struct IdxArray {
  std::vector<int64_t> dims;
  std::vector<uint8_t> data;
};

// Reads an IDX file of unsigned bytes (type 0x08), raw or gzip-compressed; throws
// std::runtime_error naming the file on a wrong magic, another element type, or a byte count
// that differs from the one the dimensions give (truncated or trailing data).
IdxArray read_idx(const std::string& path);

}  // namespace iddl::data
