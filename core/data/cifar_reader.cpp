#include "core/data/cifar_reader.hpp"

#include <fmt/format.h>

#include <fstream>
#include <iterator>
#include <stdexcept>

namespace iddl::data {
namespace {

constexpr uint8_t kCifarClasses = 10;

// The whole content of a file, or a thrown error naming it.
std::vector<uint8_t> read_file_bytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error(fmt::format("{}: cannot open", path));
  std::vector<uint8_t> bytes((std::istreambuf_iterator<char>(in)),
                             std::istreambuf_iterator<char>());
  if (in.bad()) throw std::runtime_error(fmt::format("{}: read error", path));
  return bytes;
}

}  // namespace

CifarBatch read_cifar_batch(const std::string& path) {
  const std::vector<uint8_t> bytes = read_file_bytes(path);
  if (bytes.empty() || bytes.size() % kCifarRecordBytes != 0) {
    throw std::runtime_error(fmt::format(
        "{}: not a CIFAR-10 binary batch: size {} bytes is not a positive multiple of the {}-byte "
        "record (1 label byte + {} pixel bytes)",
        path, bytes.size(), kCifarRecordBytes, kCifarImageBytes));
  }
  const size_t records = bytes.size() / kCifarRecordBytes;
  CifarBatch batch;
  batch.labels.reserve(records);
  batch.pixels.reserve(records * kCifarImageBytes);
  for (size_t r = 0; r < records; ++r) {
    const auto record = bytes.begin() + static_cast<std::ptrdiff_t>(r * kCifarRecordBytes);
    if (*record >= kCifarClasses) {
      throw std::runtime_error(
          fmt::format("{}: record {} has label {}, expected 0-9", path, r, *record));
    }
    batch.labels.push_back(*record);
    batch.pixels.insert(batch.pixels.end(), record + 1, record + kCifarRecordBytes);
  }
  return batch;
}

CifarBatch read_cifar_batches(const std::vector<std::string>& paths) {
  CifarBatch all;
  for (const std::string& path : paths) {
    CifarBatch batch = read_cifar_batch(path);
    all.labels.insert(all.labels.end(), batch.labels.begin(), batch.labels.end());
    all.pixels.insert(all.pixels.end(), batch.pixels.begin(), batch.pixels.end());
  }
  return all;
}

}  // namespace iddl::data
