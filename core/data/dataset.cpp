#include "core/data/dataset.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <stdexcept>
#include <vector>

#include "core/data/cifar_reader.hpp"
#include "core/data/dataset_files.hpp"
#include "core/data/idx_reader.hpp"
#include "core/data/synthetic.hpp"

namespace iddl::data {
namespace {

constexpr int64_t kClasses = 10;

// Per-channel mean and standard deviation of pixels scaled to [0, 1].
struct Normalization {
  std::vector<float> mean, std;
};

// Uint8 pixels [N,C,H,W] scaled to [0, 1], then standardized per channel.
torch::Tensor normalize(const torch::Tensor& pixels, const Normalization& norm) {
  const auto mean = torch::tensor(norm.mean).view({1, -1, 1, 1});
  const auto std = torch::tensor(norm.std).view({1, -1, 1, 1});
  return pixels.to(torch::kFloat32).div_(255.0).sub_(mean).div_(std);
}

// The first n rows of t (n = 0: all of them); throws when n is negative or exceeds the rows.
torch::Tensor keep_first(const torch::Tensor& t, int64_t n, const std::string& what) {
  if (n < 0 || n > t.size(0)) {
    throw std::runtime_error(
        fmt::format("{}: asked for {} samples, it has {}", what, n, t.size(0)));
  }
  return n == 0 ? t : t.narrow(0, 0, n);
}

// One split of an IDX dataset: images [N,H,W] and labels [N] (each below 10) from two files.
TensorSet read_idx_split(const std::string& images_path, const std::string& labels_path,
                         int64_t samples, const Normalization& norm) {
  const IdxArray images = read_idx(images_path);
  const IdxArray labels = read_idx(labels_path);
  if (images.dims.size() != 3) {
    throw std::runtime_error(
        fmt::format("{}: expected 3 dimensions (images, rows, columns), got {}", images_path,
                    images.dims.size()));
  }
  if (labels.dims.size() != 1 || labels.dims[0] != images.dims[0]) {
    throw std::runtime_error(fmt::format("{}: expected {} labels to match {}", labels_path,
                                         images.dims[0], images_path));
  }
  for (size_t i = 0; i < labels.data.size(); ++i) {
    if (labels.data[i] >= kClasses) {
      throw std::runtime_error(fmt::format("{}: label {} of sample {} is not below {}", labels_path,
                                           labels.data[i], i, kClasses));
    }
  }
  const auto pixels =
      torch::from_blob(const_cast<uint8_t*>(images.data.data()),
                       {images.dims[0], 1, images.dims[1], images.dims[2]}, torch::kUInt8);
  const auto label_bytes =
      torch::from_blob(const_cast<uint8_t*>(labels.data.data()), {labels.dims[0]}, torch::kUInt8);
  return {normalize(keep_first(pixels, samples, images_path), norm),
          keep_first(label_bytes, samples, labels_path).to(torch::kInt64)};
}

// One split of CIFAR-10 from its batch files: images [N,3,32,32] and labels [N].
TensorSet read_cifar_split(const std::vector<std::string>& paths, int64_t samples,
                           const Normalization& norm) {
  const CifarBatch batch = read_cifar_batches(paths);
  const auto n = static_cast<int64_t>(batch.labels.size());
  const auto pixels =
      torch::from_blob(const_cast<uint8_t*>(batch.pixels.data()), {n, 3, 32, 32}, torch::kUInt8);
  const auto labels =
      torch::from_blob(const_cast<uint8_t*>(batch.labels.data()), {n}, torch::kUInt8);
  const std::string what = fmt::format("{}", fmt::join(paths, ", "));
  return {normalize(keep_first(pixels, samples, what), norm),
          keep_first(labels, samples, what).to(torch::kInt64)};
}

// The normalization of a file-backed dataset: its statistics, or mean 0 and std 1 (pixels / 255 only).
Normalization normalization_of(const std::string& dataset, bool standardize) {
  if (!standardize) return dataset == "cifar10" ? Normalization{{0.F, 0.F, 0.F}, {1.F, 1.F, 1.F}} : Normalization{{0.F}, {1.F}};
  if (dataset == "fashion-mnist") return {{0.2860F}, {0.3530F}};
  if (dataset == "mnist") return {{0.1307F}, {0.3081F}};
  return {{0.4914F, 0.4822F, 0.4465F}, {0.2470F, 0.2435F, 0.2616F}};
}

// The shape of the dataset's images and its class count.
InputShape shape_of(const TensorSet& set) {
  return {set.images.size(1), set.images.size(2), set.images.size(3), kClasses};
}

}  // namespace

Dataset load_dataset(const DataOptions& options) {
  if (options.name == "synthetic" || options.name == "synthetic-cifar") return make_synthetic(options);
  if (const std::string missing = missing_files_message(options.name, options.data_dir);
      !missing.empty()) {
    throw std::runtime_error(missing);
  }
  const DatasetFiles files = dataset_files(options.name);
  const std::string dir = dataset_dir(options.name, options.data_dir);
  auto paths = [&](const std::vector<std::string>& names) {
    std::vector<std::string> found;
    for (const std::string& name : names) found.push_back(locate_file(dir, name).value());
    return found;
  };
  const std::vector<std::string> train = paths(files.train);
  const std::vector<std::string> test = paths(files.test);
  const Normalization norm = normalization_of(options.name, options.standardize);

  Dataset dataset;
  dataset.name = options.name;
  if (options.name == "cifar10") {
    dataset.train = read_cifar_split(train, options.train_samples, norm);
    dataset.test = read_cifar_split(test, options.test_samples, norm);
  } else {
    dataset.train = read_idx_split(train[0], train[1], options.train_samples, norm);
    dataset.test = read_idx_split(test[0], test[1], options.test_samples, norm);
  }
  dataset.shape = shape_of(dataset.train);
  return dataset;
}

}  // namespace iddl::data
