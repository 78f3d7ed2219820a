#include "core/data/synthetic.hpp"

#include <cmath>
#include <random>
#include <stdexcept>
#include <string>
#include <vector>

namespace iddl::data {
namespace {

constexpr int64_t kClasses = 10;
// Sample = kSignal * prototype + kNoise * N(0, 1) per pixel, unit variance overall: a small MLP
// learns the classes in a few epochs. kMislabeled of the samples show a random class's prototype
// instead of their label's, which caps the accuracy near 91 %.
constexpr double kSignal = 0.35;
constexpr double kMislabeled = 0.1;
constexpr double kPi = 3.14159265358979323846;
const double kNoise = std::sqrt(1.0 - kSignal * kSignal);

// The independent random streams drawn from one seed.
enum class Stream : uint32_t { kPrototypes = 0, kTrain = 1, kTest = 2 };

// A generator for one stream of a seed; std::seed_seq and std::mt19937_64 are fully specified,
// so the numbers do not depend on the standard library.
std::mt19937_64 make_stream(uint64_t seed, Stream stream) {
  std::seed_seq seq{static_cast<uint32_t>(seed), static_cast<uint32_t>(seed >> 32),
                    static_cast<uint32_t>(stream)};
  return std::mt19937_64(seq);
}

// A uniform number in (0, 1) from the top 53 bits of one draw.
double uniform_open(std::mt19937_64& rng) {
  return (static_cast<double>(rng() >> 11) + 0.5) * 0x1.0p-53;
}

// A standard normal number (Box-Muller; std::normal_distribution differs between libraries).
double standard_normal(std::mt19937_64& rng) {
  const double radius = std::sqrt(-2.0 * std::log(uniform_open(rng)));
  return radius * std::cos(2.0 * kPi * uniform_open(rng));
}

// kClasses prototype images of `pixels` standard normal values each.
std::vector<double> make_prototypes(uint64_t seed, int64_t pixels) {
  std::mt19937_64 rng = make_stream(seed, Stream::kPrototypes);
  std::vector<double> prototypes(kClasses * pixels);
  for (double& value : prototypes) value = standard_normal(rng);
  return prototypes;
}

// n labels with every class as often as possible (counts differ by at most one), shuffled.
std::vector<int64_t> balanced_labels(int64_t n, std::mt19937_64& rng) {
  std::vector<int64_t> labels(n);
  for (int64_t i = 0; i < n; ++i) labels[i] = i % kClasses;
  for (int64_t i = n - 1; i > 0; --i) {
    std::swap(labels[i], labels[rng() % static_cast<uint64_t>(i + 1)]);
  }
  return labels;
}

// n samples of one stream: balanced labels, each image the prototype of its label (or, for
// kMislabeled of them, of a random class) plus noise.
TensorSet make_split(const std::vector<double>& prototypes, const InputShape& shape, int64_t n, uint64_t seed,
                     Stream stream) {
  const int64_t pixels = shape.channels * shape.height * shape.width;
  std::mt19937_64 rng = make_stream(seed, stream);
  std::vector<int64_t> labels = balanced_labels(n, rng);
  std::vector<float> images(n * pixels);
  for (int64_t i = 0; i < n; ++i) {
    const bool mislabeled = uniform_open(rng) < kMislabeled;
    const int64_t shown = mislabeled ? static_cast<int64_t>(rng() % kClasses) : labels[i];
    const double* prototype = prototypes.data() + shown * pixels;
    float* image = images.data() + i * pixels;
    for (int64_t p = 0; p < pixels; ++p) {
      image[p] = static_cast<float>(kSignal * prototype[p] + kNoise * standard_normal(rng));
    }
  }
  return {torch::from_blob(images.data(), {n, shape.channels, shape.height, shape.width}, torch::kFloat32).clone(),
          torch::from_blob(labels.data(), {n}, torch::kInt64).clone()};
}

// The requested sample count, or fallback when it is 0; throws when it is negative.
int64_t sample_count(int64_t requested, int64_t fallback) {
  if (requested < 0) {
    throw std::runtime_error("synthetic: sample count " + std::to_string(requested) +
                             " is negative");
  }
  return requested == 0 ? fallback : requested;
}

}  // namespace

Dataset make_synthetic(const DataOptions& options) {
  const InputShape shape = options.name == "synthetic-cifar" ? InputShape{3, 32, 32, kClasses}
                                                             : InputShape{1, 28, 28, kClasses};
  const std::vector<double> prototypes = make_prototypes(options.seed, shape.channels * shape.height * shape.width);
  const int64_t train = sample_count(options.train_samples, kSyntheticTrainSamples);
  const int64_t test = sample_count(options.test_samples, kSyntheticTestSamples);
  return {options.name,
          shape,
          make_split(prototypes, shape, train, options.seed, Stream::kTrain),
          make_split(prototypes, shape, test, options.seed, Stream::kTest)};
}

}  // namespace iddl::data
