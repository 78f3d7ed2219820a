// Reader of CIFAR-10 binary batch files (the "CIFAR-10 binary version").
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace iddl::data {

// Bytes of one CIFAR-10 image: 3 planes (red, green, blue) of 32x32 pixels.
inline constexpr size_t kCifarImageBytes = 3 * 32 * 32;
// Bytes of one record: the label byte followed by the image.
inline constexpr size_t kCifarRecordBytes = 1 + kCifarImageBytes;

// The records of CIFAR-10 batches: one label (0-9) and kCifarImageBytes pixels per image.
struct CifarBatch {
  std::vector<uint8_t> labels;
  std::vector<uint8_t> pixels;
};

// Reads one batch file; throws std::runtime_error naming the file when it cannot be read, is
// empty, its size is not a multiple of kCifarRecordBytes, or a label is above 9.
CifarBatch read_cifar_batch(const std::string& path);

// Reads the batch files in order and concatenates their records.
CifarBatch read_cifar_batches(const std::vector<std::string>& paths);

}  // namespace iddl::data
