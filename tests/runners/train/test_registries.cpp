// The matrix spec of every axis and the core's factory tables name the same methods; the glue reads a resolved
// compression value with the spec's defaults, and a pipeline's boundary container; the strategies that take
// compression are those the matrix lets have it.
#include <gtest/gtest.h>

#include <set>
#include <string>
#include <vector>

#include "core/compress/compressor_registry.hpp"
#include "core/models/model_registry.hpp"
#include "core/models/sparsification_registry.hpp"
#include "core/parallel/strategy_registry.hpp"
#include "matrix/axis_methods.hpp"
#include "matrix/config.hpp"
#include "matrix/run_key.hpp"
#include "matrix/settings.hpp"
#include "runners/train/pipeline_training.hpp"
#include "runners/train/run_spec.hpp"
#include "tests/core/compress/compression_values.hpp"

namespace iddl {
namespace {

using Names = std::set<std::string>;
using iddl::testing::compression;

// The names of the rows of a table.
template <typename Row>
Names names_of(const std::vector<Row>& rows) {
  Names names;
  for (const auto& row : rows) names.insert(row.name);
  return names;
}

Names spec_methods(const std::string& axis) { return names_of(matrix::axis_methods(axis)); }

TEST(Registries, SpecAndFactoryTablesNameTheSameMethods) {
  EXPECT_EQ(spec_methods("compression"), names_of(compress::compressor_registry()));
  EXPECT_EQ(spec_methods("parallelism"), names_of(parallel::strategy_registry()));
  EXPECT_EQ(spec_methods("sparsification"), names_of(models::sparsification_registry()));
  const auto& models = matrix::find_setting("model")->choices;
  EXPECT_EQ(Names(models.begin(), models.end()), names_of(models::model_registry()));
}

TEST(Registries, StrategiesTakeCompressionWhereTheMatrixAllowsIt) {
  for (const auto& method : parallel::strategy_registry()) {
    const nlohmann::json config = {
        {"parallelism", method.name}, {"compression", "fp16"}, {"ranks", method.name == "single" ? 1 : 2}};
    bool refused = false;
    try {
      matrix::resolve_config(config);
    } catch (const matrix::ConfigError& e) {
      refused = e.settings.front() == "compression";
    }
    EXPECT_EQ(refused, !method.takes_compression) << method.name;
  }
}

TEST(Registries, CompressionOptionsTakeTheSpecDefaults) {
  const compress::CompressionOptions topk = compression({{"method", "topk"}});
  EXPECT_EQ(topk.params.at("ratio"), 0.01);
  EXPECT_EQ(topk.granularity, "layerwise");
  EXPECT_FALSE(topk.error_feedback);
  EXPECT_TRUE(compression("signsgd").error_feedback);
  const compress::CompressionOptions powersgd =
      compression({{"method", "powersgd"}, {"rank", 4}, {"warm_start", false}});
  EXPECT_TRUE(powersgd.error_feedback);
  EXPECT_EQ(powersgd.params.at("rank"), 4);
  EXPECT_EQ(powersgd.params.at("warm_start"), false);
  EXPECT_EQ(compression({{"method", "qsgd"}}).params.at("levels"), 256);
  EXPECT_EQ(compression("none").method, "none");
}

TEST(Registries, CompressionDefaultsAreTheSeedsForms) {
  // Seed 003's RandomK sends the drawn values unscaled; TopK keeps exactly k unless asked to keep ties.
  EXPECT_EQ(compression({{"method", "randomk"}}).params.at("scaled"), false);
  EXPECT_EQ(compression({{"method", "topk"}}).params.at("ties"), "exact_k");
  EXPECT_EQ(compression({{"method", "topk"}, {"ties", "keep"}}).params.at("ties"), "keep");
  EXPECT_EQ(compression("adaptive_threshold").method, "adaptive_threshold");
}

TEST(Registries, PipelineBoundariesTakeTheirContainer) {
  const auto codec = [](const nlohmann::json& params) {
    nlohmann::json value = {{"method", "pipeline"}, {"boundary_compression", "sortquant"}, {"bits", 12}};
    value.update(params);
    const nlohmann::json config = matrix::resolve_config({{"parallelism", value}, {"ranks", 2}});
    return runners::pipeline_options(config["parallelism"], train::TrainOptions{}).codec;
  };
  const pipeline::BoundaryCodec packed = codec(nlohmann::json::object()), in_int = codec({{"container", "int"}});
  EXPECT_EQ(packed.container, compress::CodeContainer::Packed);
  EXPECT_EQ(in_int.container, compress::CodeContainer::Int);
  EXPECT_EQ(in_int.bits, 9);  // seed 004's 3:1 split of 12 bits
  EXPECT_EQ(in_int.split, 3);
}

TEST(Registries, BadCompressionValuesAreNamedByTheMatrix) {
  const auto message = [](const nlohmann::json& value) {
    try {
      compression(value);
    } catch (const std::invalid_argument& error) {
      return std::string(error.what());
    }
    return std::string("no error");
  };
  EXPECT_NE(message("topkk").find("topkk"), std::string::npos);
  EXPECT_NE(message({{"method", "topk"}, {"ratio", 0}}).find("ratio"), std::string::npos);
  EXPECT_NE(message({{"method", "topk"}, {"levels", 3}}).find("levels"), std::string::npos);
  EXPECT_NE(message({{"method", "qsgd"}, {"levels", 1}}).find("levels"), std::string::npos);
  EXPECT_NE(message({{"method", "fp16"}, {"granularity", "global"}}).find("granularity"), std::string::npos);
  EXPECT_NE(message({{"method", "randomk"}, {"scaled", "yes"}}).find("scaled"), std::string::npos);
  EXPECT_NE(message({{"method", "topk"}, {"ties", "all"}}).find("ties"), std::string::npos);
  EXPECT_NE(message({{"ratio", 0.1}}).find("method"), std::string::npos);
}

TEST(Registries, AugmentOptionsTakeTheSpecDefaultsAndTheCoreAppliesEveryMethod) {
  const data::AugmentOptions crop_flip =
      runners::augment_options(matrix::resolve_config({{"augment", "crop_flip"}}).at("augment"));
  const data::AugmentOptions core_defaults;
  EXPECT_EQ(crop_flip.method, "crop_flip");
  EXPECT_EQ(crop_flip.pad, core_defaults.pad);
  EXPECT_EQ(crop_flip.padding, core_defaults.padding);
  EXPECT_EQ(crop_flip.flip, core_defaults.flip);
  EXPECT_EQ(crop_flip.cutout, core_defaults.cutout);
  const torch::Tensor batch = torch::randn({4, 3, 32, 32});
  for (const auto& method : matrix::axis_methods("augment")) {
    const nlohmann::json value = matrix::resolve_config({{"augment", method.name}}).at("augment");
    EXPECT_NO_THROW(data::augment_batch(batch, runners::augment_options(value), {1, 0, 1, 0})) << method.name;
  }
}

TEST(Registries, SparsityOptionsTakeTheSpecDefaultsAndSeed000sChoices) {
  const auto sparsity = [](const nlohmann::json& value) {
    return runners::model_options(matrix::resolve_config({{"model", "resnet18"}, {"sparsification", value}})).sparsity;
  };
  const models::SparsityOptions today = sparsity({{"method", "bibd"}, {"groups", 2}});
  EXPECT_EQ(today.shortcuts, "thinned");
  EXPECT_EQ(today.design_over, "group");
  const models::SparsityOptions seed =
      sparsity({{"method", "bibd"}, {"groups", 2}, {"shortcuts", "dense"}, {"design_over", "all_inputs"}});
  EXPECT_EQ(seed.groups, 2);
  EXPECT_EQ(seed.shortcuts, "dense");
  EXPECT_EQ(seed.design_over, "all_inputs");
  EXPECT_EQ(sparsity({{"method", "group"}, {"shortcuts", "dense"}}).shortcuts, "dense");
  // the defaults are left out of the run key: today's runs keep their keys
  EXPECT_EQ(matrix::run_key(matrix::resolve_config({{"model", "resnet18"}, {"sparsification", "bibd"}})),
            matrix::run_key(matrix::resolve_config(
                {{"model", "resnet18"},
                 {"sparsification", {{"method", "bibd"}, {"shortcuts", "thinned"}, {"design_over", "group"}}}})));
}

}  // namespace
}  // namespace iddl
