#include "core/data/idx_reader.hpp"

#include <fmt/format.h>
#include <zlib.h>

#include <algorithm>
#include <array>
#include <limits>
#include <stdexcept>

namespace iddl::data {
namespace {

constexpr uint8_t kUnsignedByteType = 0x08;
constexpr size_t kChunkBytes = size_t{1} << 20;

// An open file read through zlib, which passes uncompressed files through unchanged.
class GzFile {
 public:
  explicit GzFile(const std::string& path) : path_(path), file_(gzopen(path.c_str(), "rb")) {
    if (file_ == nullptr) throw std::runtime_error(fmt::format("{}: cannot open", path));
  }
  ~GzFile() { gzclose(file_); }
  GzFile(const GzFile&) = delete;
  GzFile& operator=(const GzFile&) = delete;

  // Reads up to n bytes into dst and returns how many were read (fewer only at the end).
  size_t read(uint8_t* dst, size_t n) {
    size_t got = 0;
    while (got < n) {
      const auto want = static_cast<unsigned>(std::min(n - got, kChunkBytes));
      const int r = gzread(file_, dst + got, want);
      if (r < 0) {
        int code = 0;
        throw std::runtime_error(fmt::format("{}: read error: {}", path_, gzerror(file_, &code)));
      }
      if (r == 0) break;
      got += static_cast<size_t>(r);
    }
    return got;
  }

  // Reads and counts the bytes left until the end of the file.
  size_t count_remaining() {
    std::vector<uint8_t> sink(kChunkBytes);
    size_t total = 0;
    for (size_t r; (r = read(sink.data(), sink.size())) > 0;) total += r;
    return total;
  }

 private:
  std::string path_;
  gzFile file_;
};

// Reads exactly n bytes of the part `what` of the file, or throws that the file is truncated.
void read_exact(GzFile& file, const std::string& path, uint8_t* dst, size_t n, const char* what) {
  const size_t got = file.read(dst, n);
  if (got != n) {
    throw std::runtime_error(
        fmt::format("{}: truncated: expected {} bytes of {}, got {}", path, n, what, got));
  }
}

// Checks the 4-byte magic (0x00 0x00 type dims) and returns the number of dimensions.
size_t parse_magic(const std::array<uint8_t, 4>& magic, const std::string& path) {
  if (magic[0] != 0 || magic[1] != 0) {
    throw std::runtime_error(
        fmt::format("{}: not an IDX file: magic starts with 0x{:02x} 0x{:02x}, expected 0x00 0x00",
                    path, magic[0], magic[1]));
  }
  if (magic[2] != kUnsignedByteType) {
    throw std::runtime_error(fmt::format(
        "{}: unsupported IDX element type 0x{:02x}: only unsigned byte (0x08) is supported", path,
        magic[2]));
  }
  if (magic[3] == 0) throw std::runtime_error(fmt::format("{}: IDX file has no dimensions", path));
  return magic[3];
}

// Decodes the big-endian 32-bit dimensions.
std::vector<int64_t> parse_dims(const std::vector<uint8_t>& bytes) {
  std::vector<int64_t> dims;
  for (size_t i = 0; i + 3 < bytes.size(); i += 4) {
    dims.push_back((int64_t{bytes[i]} << 24) | (int64_t{bytes[i + 1]} << 16) |
                   (int64_t{bytes[i + 2]} << 8) | int64_t{bytes[i + 3]});
  }
  return dims;
}

// The element count of the dimensions, or a thrown error when it overflows.
size_t element_count(const std::vector<int64_t>& dims, const std::string& path) {
  size_t count = 1;
  for (int64_t d : dims) {
    if (__builtin_mul_overflow(count, static_cast<size_t>(d), &count) ||
        count > static_cast<size_t>(std::numeric_limits<int64_t>::max())) {
      throw std::runtime_error(fmt::format("{}: IDX dimensions are too large", path));
    }
  }
  return count;
}

// Reads n bytes in chunks, so that a corrupt header cannot allocate more than the file holds.
std::vector<uint8_t> read_elements(GzFile& file, const std::string& path, size_t n) {
  std::vector<uint8_t> data;
  while (data.size() < n) {
    const size_t offset = data.size();
    const size_t want = std::min(n - offset, kChunkBytes);
    data.resize(offset + want);
    const size_t got = file.read(data.data() + offset, want);
    if (got != want) {
      throw std::runtime_error(
          fmt::format("{}: truncated: expected {} bytes of data, got {}", path, n, offset + got));
    }
  }
  return data;
}

}  // namespace

IdxArray read_idx(const std::string& path) {
  GzFile file(path);
  std::array<uint8_t, 4> magic{};
  read_exact(file, path, magic.data(), magic.size(), "magic");
  std::vector<uint8_t> dim_bytes(4 * parse_magic(magic, path));
  read_exact(file, path, dim_bytes.data(), dim_bytes.size(), "dimensions");

  IdxArray array;
  array.dims = parse_dims(dim_bytes);
  const size_t count = element_count(array.dims, path);
  array.data = read_elements(file, path, count);
  if (const size_t extra = file.count_remaining(); extra > 0) {
    throw std::runtime_error(fmt::format("{}: {} bytes of trailing data after the {} bytes of data",
                                         path, extra, count));
  }
  return array;
}

}  // namespace iddl::data
