#include "core/data/dataset_files.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <filesystem>
#include <stdexcept>

namespace iddl::data {
namespace {

namespace fs = std::filesystem;

// The four IDX files shared by MNIST and Fashion-MNIST, in directory dir.
DatasetFiles idx_files(const std::string& dir) {
  return {dir,
          {"train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz"},
          {"t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz"}};
}

// How a user provides the files of a dataset.
std::string how_to_provide(const std::string& dataset) {
  if (dataset == "fashion-mnist") {
    return "install the Debian package dataset-fashion-mnist (apt-get install "
           "dataset-fashion-mnist), or put the files in a directory and set data_dir to it";
  }
  if (dataset == "mnist") {
    return "put the four MNIST IDX files in /usr/share/datasets/mnist, or in a directory "
           "named by the data_dir setting";
  }
  return "download the \"CIFAR-10 binary version\" archive (cifar-10-binary.tar.gz, "
         "https://www.cs.toronto.edu/~kriz/cifar.html), extract it with "
         "'tar xzf cifar-10-binary.tar.gz' (it creates cifar-10-batches-bin/) and set data_dir "
         "to that directory; the default data/cifar-10-batches-bin is relative to the working "
         "directory";
}

// dir, followed by its absolute form when it is relative.
std::string describe_dir(const std::string& dir) {
  const fs::path path(dir);
  if (path.is_absolute()) return dir;
  return fmt::format("{} ({})", dir, fs::absolute(path).string());
}

}  // namespace

DatasetFiles dataset_files(const std::string& dataset) {
  if (dataset == "fashion-mnist") return idx_files("/usr/share/datasets/fashion-mnist");
  if (dataset == "mnist") return idx_files("/usr/share/datasets/mnist");
  if (dataset == "cifar10") {
    return {"data/cifar-10-batches-bin",
            {"data_batch_1.bin", "data_batch_2.bin", "data_batch_3.bin", "data_batch_4.bin",
             "data_batch_5.bin"},
            {"test_batch.bin"}};
  }
  if (dataset == "synthetic" || dataset == "synthetic-cifar") return {};
  throw std::invalid_argument(fmt::format(
      "unknown dataset '{}' (known: fashion-mnist, mnist, cifar10, synthetic, synthetic-cifar)", dataset));
}

std::string dataset_dir(const std::string& dataset, const std::string& data_dir) {
  return data_dir.empty() ? dataset_files(dataset).default_dir : data_dir;
}

std::optional<std::string> locate_file(const std::string& dir, const std::string& name) {
  const fs::path path = fs::path(dir) / name;
  std::error_code error;
  if (fs::is_regular_file(path, error)) return path.string();
  if (path.extension() == ".gz") {
    const fs::path uncompressed = fs::path(path).replace_extension();
    if (fs::is_regular_file(uncompressed, error)) return uncompressed.string();
  }
  return std::nullopt;
}

std::vector<std::string> missing_files(const std::string& dataset, const std::string& data_dir) {
  const DatasetFiles files = dataset_files(dataset);
  const std::string dir = dataset_dir(dataset, data_dir);
  std::vector<std::string> missing;
  for (const auto* group : {&files.train, &files.test}) {
    for (const std::string& name : *group) {
      if (!locate_file(dir, name)) missing.push_back(name);
    }
  }
  return missing;
}

std::string missing_files_message(const std::string& dataset, const std::string& data_dir) {
  const std::vector<std::string> missing = missing_files(dataset, data_dir);
  if (missing.empty()) return "";
  const DatasetFiles files = dataset_files(dataset);
  const bool gzipped = dataset != "cifar10";
  return fmt::format("dataset {}: {} of {} files missing in {}: {}{}. To provide them: {}.",
                     dataset, missing.size(), files.train.size() + files.test.size(),
                     describe_dir(dataset_dir(dataset, data_dir)), fmt::join(missing, ", "),
                     gzipped ? " (the same names without .gz, uncompressed, are accepted too)" : "",
                     how_to_provide(dataset));
}

}  // namespace iddl::data
