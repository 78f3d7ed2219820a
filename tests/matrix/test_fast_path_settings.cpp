// precision, channels_last, cudnn_benchmark and device_data_mb (docs/gpu.md): defaults that change no run key,
// and the combinations refused at plan time.
#include <gtest/gtest.h>

#include "matrix/config.hpp"
#include "matrix/run_key.hpp"
#include "tests/matrix/sweep_text.hpp"

namespace iddl::matrix {
namespace {

using nlohmann::json;

TEST(matrix_fast_paths, DefaultsAreFp32AndChangeNoRunKey) {
  const json resolved = resolve_config(json::object());
  EXPECT_EQ(resolved["precision"], "fp32");
  EXPECT_EQ(resolved["channels_last"], false);
  EXPECT_EQ(resolved["cudnn_benchmark"], false);
  EXPECT_EQ(resolved["device_data_mb"], 1024);
  EXPECT_EQ(run_key(resolved), run_key(json::object()));
  EXPECT_EQ(run_key(json{{"precision", "fp32"}, {"channels_last", false}}), run_key(json::object()));
  EXPECT_NE(run_key(json{{"precision", "bf16"}}), run_key(json::object()));
  EXPECT_NE(run_key(json{{"model", "lenet"}, {"channels_last", true}}), run_key(json{{"model", "lenet"}}));
  // where the data set sits changes no result: outside the run key
  EXPECT_EQ(run_key(json{{"device_data_mb", 0}}), run_key(json::object()));
}

TEST(matrix_fast_paths, UnknownPrecisionIsRefused) {
  EXPECT_NE(resolve_error({{"precision", "fp8"}}).find("fp8"), std::string::npos);
}

TEST(matrix_fast_paths, Fp16OnTheCpuIsRefusedPointingAtBf16) {
  EXPECT_EQ(resolve_error({{"precision", "fp16"}, {"device", "cpu"}}),
            "precision = \"fp16\" needs CUDA (LibTorch autocasts to float16 on GPUs only), got device = \"cpu\"; use "
            "precision = \"bf16\" on the CPU");
  EXPECT_EQ(resolve_config({{"precision", "fp16"}, {"device", "auto"}})["precision"], "fp16");  // iddl-train decides
  EXPECT_EQ(resolve_config({{"precision", "bf16"}, {"device", "cpu"}})["precision"], "bf16");
}

TEST(matrix_fast_paths, PipelinesAndAdaBoostRefuseThem) {
  const json pipeline = {{"method", "pipeline"}, {"stages", 2}, {"split", {1}}};
  EXPECT_EQ(resolve_error({{"precision", "bf16"}, {"ranks", 2}, {"parallelism", pipeline}}),
            "precision = \"bf16\" needs a parallelism other than \"pipeline\" and a vertical other than \"adaboost\", "
            "got parallelism = \"pipeline\", vertical = \"none\"");
  const std::string adaboost =
      resolve_error({{"channels_last", true}, {"model", "lenet"}, {"vertical", "adaboost"}, {"epochs", 3}});
  EXPECT_NE(adaboost.find("channels_last = true needs a parallelism other than"), std::string::npos) << adaboost;
}

TEST(matrix_fast_paths, ChannelsLastNeedsAConvolutionalModel) {
  EXPECT_EQ(resolve_error({{"channels_last", true}}),
            "channels_last = true needs a convolutional model, got model = \"mlp\"");
  EXPECT_EQ(resolve_config({{"channels_last", true}, {"model", "resnet9"}})["channels_last"], true);
}

}  // namespace
}  // namespace iddl::matrix
