// Tests of the IDX and CIFAR-10 readers and of the dataset file locations (no LibTorch).
#include <gtest/gtest.h>
#include <unistd.h>
#include <zlib.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "core/data/cifar_reader.hpp"
#include "core/data/dataset_files.hpp"
#include "core/data/idx_reader.hpp"

namespace fs = std::filesystem;
using namespace iddl::data;

namespace {

// A fresh temporary directory, removed with its files at the end of the test.
class TempDir {
 public:
  TempDir() {
    std::string pattern = (fs::temp_directory_path() / "iddl-data-XXXXXX").string();
    path_ = mkdtemp(pattern.data());
  }
  ~TempDir() { fs::remove_all(path_); }
  std::string file(const std::string& name) const { return (path_ / name).string(); }
  std::string path() const { return path_.string(); }

 private:
  fs::path path_;
};

// Writes bytes to a raw file.
void write_raw(const std::string& path, const std::vector<uint8_t>& bytes) {
  std::ofstream(path, std::ios::binary)
      .write(reinterpret_cast<const char*>(bytes.data()),
             static_cast<std::streamsize>(bytes.size()));
}

// Writes bytes to a gzip-compressed file.
void write_gz(const std::string& path, const std::vector<uint8_t>& bytes) {
  gzFile file = gzopen(path.c_str(), "wb");
  ASSERT_NE(file, nullptr);
  ASSERT_EQ(gzwrite(file, bytes.data(), static_cast<unsigned>(bytes.size())),
            static_cast<int>(bytes.size()));
  gzclose(file);
}

// An IDX ubyte file of dims 2x3x2 holding 0, 1, ..., 11.
std::vector<uint8_t> small_idx() {
  std::vector<uint8_t> bytes = {0, 0, 0x08, 3, 0, 0, 0, 2, 0, 0, 0, 3, 0, 0, 0, 2};
  for (uint8_t i = 0; i < 12; ++i) bytes.push_back(i);
  return bytes;
}

// The message of the std::runtime_error that fn throws ("" if none).
template <typename Fn>
std::string error_of(Fn fn) {
  try {
    fn();
  } catch (const std::runtime_error& e) {
    return e.what();
  }
  return "";
}

// n CIFAR-10 records whose labels are i % 10 and pixels the record number.
std::vector<uint8_t> cifar_records(size_t n) {
  std::vector<uint8_t> bytes;
  for (size_t i = 0; i < n; ++i) {
    bytes.push_back(static_cast<uint8_t>(i % 10));
    bytes.insert(bytes.end(), kCifarImageBytes, static_cast<uint8_t>(i));
  }
  return bytes;
}

const std::string kFashionDir = "/usr/share/datasets/fashion-mnist";

}  // namespace

TEST(IdxReader, ReadsRawFile) {
  TempDir dir;
  write_raw(dir.file("a.idx"), small_idx());
  const IdxArray array = read_idx(dir.file("a.idx"));
  EXPECT_EQ(array.dims, (std::vector<int64_t>{2, 3, 2}));
  ASSERT_EQ(array.data.size(), 12U);
  EXPECT_EQ(array.data[11], 11);
}

TEST(IdxReader, ReadsGzipFile) {
  TempDir dir;
  write_gz(dir.file("a.idx.gz"), small_idx());
  const IdxArray array = read_idx(dir.file("a.idx.gz"));
  EXPECT_EQ(array.dims, (std::vector<int64_t>{2, 3, 2}));
  EXPECT_EQ(array.data[5], 5);
}

TEST(IdxReader, RejectsWrongMagic) {
  TempDir dir;
  std::vector<uint8_t> bytes = small_idx();
  bytes[0] = 0x1f;
  write_raw(dir.file("bad.idx"), bytes);
  const std::string error = error_of([&] { read_idx(dir.file("bad.idx")); });
  EXPECT_NE(error.find("bad.idx: not an IDX file"), std::string::npos) << error;
}

TEST(IdxReader, RejectsOtherElementTypes) {
  TempDir dir;
  std::vector<uint8_t> bytes = small_idx();
  bytes[2] = 0x0D;
  write_raw(dir.file("float.idx"), bytes);
  const std::string error = error_of([&] { read_idx(dir.file("float.idx")); });
  EXPECT_NE(error.find("float.idx: unsupported IDX element type 0x0d"), std::string::npos) << error;
}

TEST(IdxReader, RejectsTruncatedData) {
  TempDir dir;
  std::vector<uint8_t> bytes = small_idx();
  bytes.resize(bytes.size() - 2);
  write_gz(dir.file("short.idx.gz"), bytes);
  const std::string error = error_of([&] { read_idx(dir.file("short.idx.gz")); });
  EXPECT_NE(error.find("short.idx.gz: truncated: expected 12 bytes of data, got 10"),
            std::string::npos)
      << error;
}

TEST(IdxReader, RejectsTruncatedHeader) {
  TempDir dir;
  write_raw(dir.file("header.idx"), {0, 0, 0x08, 3, 0, 0});
  const std::string error = error_of([&] { read_idx(dir.file("header.idx")); });
  EXPECT_NE(error.find("header.idx: truncated: expected 12 bytes of dimensions, got 2"),
            std::string::npos)
      << error;
}

TEST(IdxReader, RejectsTrailingData) {
  TempDir dir;
  std::vector<uint8_t> bytes = small_idx();
  bytes.insert(bytes.end(), {7, 7, 7});
  write_raw(dir.file("long.idx"), bytes);
  const std::string error = error_of([&] { read_idx(dir.file("long.idx")); });
  EXPECT_NE(error.find("long.idx: 3 bytes of trailing data"), std::string::npos) << error;
}

TEST(IdxReader, NamesMissingFile) {
  const std::string error = error_of([] { read_idx("/nonexistent/x.idx"); });
  EXPECT_EQ(error, "/nonexistent/x.idx: cannot open");
}

TEST(IdxReader, ReadsRealFashionMnist) {
  const IdxArray images = read_idx(kFashionDir + "/train-images-idx3-ubyte.gz");
  EXPECT_EQ(images.dims, (std::vector<int64_t>{60000, 28, 28}));
  EXPECT_EQ(images.data.size(), 60000U * 28 * 28);
  const IdxArray labels = read_idx(kFashionDir + "/train-labels-idx1-ubyte.gz");
  EXPECT_EQ(labels.dims, (std::vector<int64_t>{60000}));
  for (uint8_t label : labels.data) ASSERT_LT(label, 10);
}

TEST(CifarReader, ReadsBatches) {
  TempDir dir;
  write_raw(dir.file("a.bin"), cifar_records(3));
  write_raw(dir.file("b.bin"), cifar_records(2));
  const CifarBatch batch = read_cifar_batches({dir.file("a.bin"), dir.file("b.bin")});
  EXPECT_EQ(batch.labels, (std::vector<uint8_t>{0, 1, 2, 0, 1}));
  ASSERT_EQ(batch.pixels.size(), 5 * kCifarImageBytes);
  EXPECT_EQ(batch.pixels[2 * kCifarImageBytes], 2);
  EXPECT_EQ(batch.pixels[4 * kCifarImageBytes - 1], 0);
}

TEST(CifarReader, RejectsSizeNotMultipleOfRecord) {
  TempDir dir;
  std::vector<uint8_t> bytes = cifar_records(2);
  bytes.pop_back();
  write_raw(dir.file("cut.bin"), bytes);
  const std::string error = error_of([&] { read_cifar_batch(dir.file("cut.bin")); });
  EXPECT_NE(error.find("cut.bin: not a CIFAR-10 binary batch: size 6145 bytes"), std::string::npos)
      << error;
}

TEST(CifarReader, RejectsLabelAboveNine) {
  TempDir dir;
  std::vector<uint8_t> bytes = cifar_records(2);
  bytes[kCifarRecordBytes] = 10;
  write_raw(dir.file("label.bin"), bytes);
  const std::string error = error_of([&] { read_cifar_batch(dir.file("label.bin")); });
  EXPECT_NE(error.find("label.bin: record 1 has label 10"), std::string::npos) << error;
}

TEST(DatasetFiles, FashionMnistPackageIsComplete) {
  EXPECT_TRUE(missing_files("fashion-mnist", "").empty());
  EXPECT_EQ(missing_files_message("fashion-mnist", ""), "");
}

TEST(DatasetFiles, AcceptsUncompressedNames) {
  TempDir dir;
  for (const char* name : {"train-images-idx3-ubyte", "train-labels-idx1-ubyte",
                           "t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte"}) {
    write_raw(dir.file(name), small_idx());
  }
  EXPECT_TRUE(missing_files("mnist", dir.path()).empty());
  EXPECT_EQ(locate_file(dir.path(), "train-images-idx3-ubyte.gz"),
            dir.file("train-images-idx3-ubyte"));
}

TEST(DatasetFiles, MessageNamesMissingFilesDirectoryAndRemedy) {
  TempDir dir;
  write_raw(dir.file("train-images-idx3-ubyte.gz"), {});
  EXPECT_EQ(missing_files("fashion-mnist", dir.path()),
            (std::vector<std::string>{"train-labels-idx1-ubyte.gz", "t10k-images-idx3-ubyte.gz",
                                      "t10k-labels-idx1-ubyte.gz"}));
  const std::string message = missing_files_message("fashion-mnist", dir.path());
  EXPECT_NE(message.find("3 of 4 files missing in " + dir.path()), std::string::npos) << message;
  EXPECT_NE(message.find("t10k-labels-idx1-ubyte.gz"), std::string::npos) << message;
  EXPECT_NE(message.find("dataset-fashion-mnist"), std::string::npos) << message;
  EXPECT_NE(message.find("data_dir"), std::string::npos) << message;
}

TEST(DatasetFiles, CifarMessageExplainsTheArchive) {
  const std::string message = missing_files_message("cifar10", "/nonexistent/cifar");
  EXPECT_NE(message.find("6 of 6 files missing in /nonexistent/cifar"), std::string::npos)
      << message;
  EXPECT_NE(message.find("data_batch_5.bin, test_batch.bin"), std::string::npos) << message;
  EXPECT_NE(message.find("CIFAR-10 binary version"), std::string::npos) << message;
  EXPECT_NE(message.find("data_dir"), std::string::npos) << message;
}

TEST(DatasetFiles, DefaultsAndUnknownNames) {
  EXPECT_EQ(dataset_dir("mnist", ""), "/usr/share/datasets/mnist");
  EXPECT_EQ(dataset_dir("cifar10", ""), "data/cifar-10-batches-bin");
  EXPECT_EQ(dataset_dir("cifar10", "/x"), "/x");
  EXPECT_TRUE(missing_files("synthetic", "").empty());
  EXPECT_TRUE(missing_files("synthetic-cifar", "").empty());
  EXPECT_THROW(missing_files("imagenet", ""), std::invalid_argument);
}
