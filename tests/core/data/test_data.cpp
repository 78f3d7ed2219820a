// Tests of the dataset tensors: real Fashion-MNIST, a small CIFAR-10 and the synthetic data.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "core/data/dataset.hpp"
#include "core/data/synthetic.hpp"

namespace fs = std::filesystem;
using namespace iddl::data;

namespace {

// Writes a CIFAR-10 batch of n records with labels (i + first) % 10 and pixels 0..255 cycling.
void write_cifar_batch(const fs::path& path, int n, int first) {
  std::ofstream out(path, std::ios::binary);
  for (int i = 0; i < n; ++i) {
    out.put(static_cast<char>((i + first) % 10));
    for (int p = 0; p < 3072; ++p) out.put(static_cast<char>(p % 256));
  }
}

// The test accuracy of a 784-64-10 MLP trained for 3 epochs of SGD on the dataset.
double mlp_accuracy(const Dataset& data) {
  torch::manual_seed(0);
  torch::nn::Sequential mlp(torch::nn::Flatten(), torch::nn::Linear(784, 64), torch::nn::ReLU(),
                            torch::nn::Linear(64, 10));
  torch::optim::SGD sgd(mlp->parameters(), torch::optim::SGDOptions(0.05).momentum(0.9));
  const int64_t n = data.train.images.size(0);
  for (int epoch = 0; epoch < 3; ++epoch) {
    for (int64_t start = 0; start < n; start += 32) {
      const int64_t size = std::min<int64_t>(32, n - start);
      sgd.zero_grad();
      auto loss = torch::nn::functional::cross_entropy(
          mlp->forward(data.train.images.narrow(0, start, size)),
          data.train.labels.narrow(0, start, size));
      loss.backward();
      sgd.step();
    }
  }
  torch::NoGradGuard no_grad;
  const auto predicted = mlp->forward(data.test.images).argmax(1);
  return predicted.eq(data.test.labels).to(torch::kFloat64).mean().item<double>();
}

}  // namespace

TEST(LoadDataset, FashionMnistFirstSamples) {
  const Dataset data = load_dataset({"fashion-mnist", "", 1000, 0, 1});
  EXPECT_EQ(data.train.images.sizes(), (std::vector<int64_t>{1000, 1, 28, 28}));
  EXPECT_EQ(data.train.images.dtype(), torch::kFloat32);
  EXPECT_EQ(data.train.labels.sizes(), (std::vector<int64_t>{1000}));
  EXPECT_EQ(data.train.labels.dtype(), torch::kInt64);
  EXPECT_EQ(data.test.images.size(0), 10000);
  EXPECT_EQ(data.shape.channels, 1);
  EXPECT_EQ(data.shape.height, 28);
  EXPECT_EQ(data.shape.classes, 10);
  EXPECT_LT(data.train.labels.max().item<int64_t>(), 10);
  // Fashion-MNIST's test set is close to the training statistics it is normalized with.
  EXPECT_NEAR(data.test.images.mean().item<double>(), 0.0, 0.02);
  EXPECT_NEAR(data.test.images.std().item<double>(), 1.0, 0.02);
}

TEST(LoadDataset, NormalizeNoneKeepsPixelsOver255) {
  const Dataset standard = load_dataset({"fashion-mnist", "", 500, 100, 1});
  const Dataset raw = load_dataset({"fashion-mnist", "", 500, 100, 1, /*standardize=*/false});
  EXPECT_GE(raw.train.images.min().item<float>(), 0.0F);
  EXPECT_LE(raw.train.images.max().item<float>(), 1.0F);
  EXPECT_EQ(raw.train.images.max().item<float>(), 1.0F);  // some pixel is 255
  // the same pixels: standardized = (raw - 0.2860) / 0.3530
  EXPECT_TRUE(torch::allclose(standard.test.images, (raw.test.images - 0.2860) / 0.3530, 1e-5, 1e-5));
  EXPECT_TRUE(torch::equal(standard.train.labels, raw.train.labels));
}

TEST(LoadDataset, TooManySamplesIsAnError) {
  EXPECT_THROW(load_dataset({"fashion-mnist", "", 0, 20000, 1}), std::runtime_error);
}

TEST(LoadDataset, MissingFilesNameThem) {
  try {
    load_dataset({"mnist", "/nonexistent/mnist", 0, 0, 1});
    FAIL() << "expected an error";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("train-images-idx3-ubyte.gz"), std::string::npos);
  }
}

TEST(LoadDataset, SmallCifar10) {
  std::string pattern = (fs::temp_directory_path() / "iddl-cifar-XXXXXX").string();
  const fs::path dir = mkdtemp(pattern.data());
  for (int b = 1; b <= 5; ++b)
    write_cifar_batch(dir / ("data_batch_" + std::to_string(b) + ".bin"), 4, b);
  write_cifar_batch(dir / "test_batch.bin", 3, 0);
  const Dataset data = load_dataset({"cifar10", dir.string(), 7, 0, 1});
  fs::remove_all(dir);
  EXPECT_EQ(data.train.images.sizes(), (std::vector<int64_t>{7, 3, 32, 32}));
  EXPECT_EQ(data.test.images.size(0), 3);
  EXPECT_EQ(data.shape.channels, 3);
  EXPECT_EQ(data.train.labels[4].item<int64_t>(), 2);  // first record of data_batch_2
  // Pixel 1 of the red plane is 1/255, normalized with the red mean and std.
  EXPECT_NEAR(data.train.images[0][0][0][1].item<double>(), (1.0 / 255 - 0.4914) / 0.2470, 1e-5);
}

TEST(Synthetic, SameSeedIsBitwiseIdentical) {
  const Dataset a = load_dataset({"synthetic", "", 0, 0, 7});
  const Dataset b = load_dataset({"synthetic", "", 0, 0, 7});
  EXPECT_EQ(a.train.images.sizes(), (std::vector<int64_t>{kSyntheticTrainSamples, 1, 28, 28}));
  EXPECT_EQ(a.test.images.size(0), kSyntheticTestSamples);
  EXPECT_TRUE(torch::equal(a.train.images, b.train.images));
  EXPECT_TRUE(torch::equal(a.train.labels, b.train.labels));
  EXPECT_TRUE(torch::equal(a.test.images, b.test.images));
}

TEST(Synthetic, CifarShapedDataHasThreeChannelsOf32x32) {
  const Dataset data = load_dataset({"synthetic-cifar", "", 200, 50, 7});
  EXPECT_EQ(data.name, "synthetic-cifar");
  EXPECT_EQ(data.train.images.sizes(), (std::vector<int64_t>{200, 3, 32, 32}));
  EXPECT_EQ(data.test.images.sizes(), (std::vector<int64_t>{50, 3, 32, 32}));
  EXPECT_EQ(data.shape.channels, 3);
  EXPECT_EQ(data.shape.height, 32);
  EXPECT_TRUE(torch::equal(torch::bincount(data.train.labels), torch::full({10}, 20, torch::kInt64)));
  EXPECT_NEAR(data.train.images.mean().item<double>(), 0.0, 0.05);
  EXPECT_NEAR(data.train.images.std().item<double>(), 1.0, 0.05);
}

TEST(Synthetic, OtherSeedDiffers) {
  const Dataset a = load_dataset({"synthetic", "", 100, 100, 7});
  const Dataset b = load_dataset({"synthetic", "", 100, 100, 8});
  EXPECT_FALSE(torch::equal(a.train.images, b.train.images));
  EXPECT_FALSE(torch::equal(a.train.images.narrow(0, 0, 100), a.test.images));
}

TEST(Synthetic, LabelsAreBalancedAndDataNormalized) {
  const Dataset data = load_dataset({"synthetic", "", 1000, 0, 3});
  const auto counts = torch::bincount(data.train.labels);
  EXPECT_TRUE(torch::equal(counts, torch::full({10}, 100, torch::kInt64)));
  EXPECT_NEAR(data.train.images.mean().item<double>(), 0.0, 0.05);
  EXPECT_NEAR(data.train.images.std().item<double>(), 1.0, 0.05);
}

TEST(Synthetic, SmallMlpLearnsItWellButNotPerfectly) {
  const double accuracy = mlp_accuracy(load_dataset({"synthetic", "", 0, 0, 1}));
  EXPECT_GT(accuracy, 0.8);
  EXPECT_LT(accuracy, 0.96);
}
