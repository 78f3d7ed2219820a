// Run keys: they depend only on the settings that define an experiment, so that settings and axis
// parameters added later with a default leave every stored key as it was, and a changed default is caught.
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>
#include <stdexcept>
#include <string>

#include "matrix/axis_methods.hpp"
#include "matrix/config.hpp"
#include "matrix/run_key.hpp"
#include "matrix/settings.hpp"

namespace iddl::matrix {
namespace {

using nlohmann::json;

// Every default the registry has now: setting -> default, and "<axis>.<method>.<param>" -> default.
json current_defaults() {
  json defaults = json::object();
  for (const Setting& s : settings()) {
    defaults[s.name] = s.default_value;
    for (const AxisMethod& method : axis_methods(s.name))
      for (const Setting& param : method.params) defaults[s.name + "." + method.name + "." + param.name] = param.default_value;
  }
  return defaults;
}

// The defaults key version `version` was made with (tests/matrix/run_key_defaults_v<version>.json).
json pinned_defaults(int version) {
  const std::string path =
      std::string(IDDL_SOURCE_DIR) + "/tests/matrix/run_key_defaults_v" + std::to_string(version) + ".json";
  std::ifstream file(path);
  if (!file.good()) throw std::runtime_error("cannot read " + path);
  return json::parse(file);
}

TEST(matrix_run_key, IsPinnedForKnownConfigs) {
  // Keys stored in databases must never change for the same experiment within a key version: these are
  // version 3's (version 2's were 4f4e5591900e8fa1, 6166a800ae6b54b3 and eef82c4a702760cf).
  EXPECT_EQ(run_key(json::object()), "b069fb893ac4fd44");
  EXPECT_EQ(run_key(json{{"lr", 0.1}, {"epochs", 3}}), "64a1f356a6fa90b8");
  EXPECT_EQ(run_key(json{{"model", "lenet"}, {"parallelism", json{{"method", "param_avg"}, {"avg_freq", 4}}},
                         {"ranks", 2}}),
            "14b2bfd5402a2504");
}

TEST(matrix_run_key, IgnoresSettingsAtTheirDefaults) {
  const json partial = {{"model", "lenet"}, {"lr", 0.1}};
  const json resolved = resolve_config(partial);
  EXPECT_EQ(run_key(resolved), run_key(partial));
  EXPECT_EQ(defining_settings(resolved), partial);
  EXPECT_EQ(run_key(resolve_config(json::object())), run_key(json::object()));
}

TEST(matrix_run_key, LeavesOutTheSettingsThatCannotChangeARunsResult) {
  const json partial = {{"model", "lenet"}, {"lr", 0.1}};
  const json checkpointed = {{"model", "lenet"}, {"lr", 0.1}, {"checkpoint_every", 2}, {"save_model", true}};
  EXPECT_EQ(run_key(resolve_config(checkpointed)), run_key(resolve_config(partial)));
  EXPECT_EQ(run_key(checkpointed), run_key(partial));
  EXPECT_EQ(defining_settings(resolve_config(checkpointed)), checkpointed);  // still shown as set
}

TEST(matrix_run_key, IsUnchangedBySettingsAddedLaterWithADefault) {
  // A config stored before a setting existed lacks it; the same experiment run later holds its default.
  const json resolved = resolve_config({{"model", "lenet"}, {"lr", 0.1}, {"parallelism", "sync"}, {"ranks", 2}});
  const std::string key = run_key(resolved);
  for (const Setting& s : settings()) {
    if (s.name == "model" || s.name == "lr" || s.name == "parallelism" || s.name == "ranks") continue;
    json older = resolved;
    older.erase(s.name);
    EXPECT_EQ(run_key(older), key) << "without " << s.name;
  }
}

TEST(matrix_run_key, IsUnchangedByAxisParametersAddedLaterWithADefault) {
  for (const std::string& axis : method_setting_names()) {
    for (const AxisMethod& method : axis_methods(axis)) {
      const json full = method_value(method, method.name);  // every parameter at its default
      const std::string key = run_key(json{{axis, full}});
      EXPECT_EQ(run_key(json{{axis, method.name}}), key) << axis << " " << method.name;
      for (const Setting& param : method.params) {
        json older = full;
        older.erase(param.name);
        EXPECT_EQ(run_key(json{{axis, older}}), key) << axis << " " << method.name << " without " << param.name;
      }
    }
  }
}

TEST(matrix_run_key, DiffersForDifferentExperiments) {
  const std::string base = run_key(json{{"model", "lenet"}});
  EXPECT_NE(run_key(json{{"model", "lenet"}, {"lr", 0.2}}), base);
  EXPECT_NE(run_key(json{{"model", "lenet"}, {"seed", 7}}), base);
  EXPECT_NE(run_key(json{{"model", "lenet"}, {"parallelism", "sync"}, {"ranks", 2}}),
            run_key(json{{"model", "lenet"}, {"parallelism", "param_avg"}, {"ranks", 2}}));
  EXPECT_NE(run_key(json{{"parallelism", json{{"method", "param_avg"}, {"avg_freq", 4}}}}),
            run_key(json{{"parallelism", "param_avg"}}));
  // A setting this release does not know (one a later release removed) still tells runs apart.
  EXPECT_NE(run_key(json{{"model", "lenet"}, {"retired_setting", 3}}), base);
  const std::string key = run_key(json{{"model", "lenet"}});
  EXPECT_EQ(key.size(), 16u);
  EXPECT_EQ(key.find_first_not_of("0123456789abcdef"), std::string::npos);
}

TEST(matrix_run_key, NormalizesValuesBeforeComparingWithDefaults) {
  EXPECT_EQ(run_key(json{{"lr", 1}}), run_key(json{{"lr", 1.0}}));
  EXPECT_EQ(run_key(json{{"parallelism", "sync"}}), run_key(json{{"parallelism", json{{"method", "sync"}}}}));
}

TEST(matrix_run_key, DefaultsAreThoseTheKeyVersionWasMadeWith) {
  // Changing a default changes what a missing setting means, so the keys of stored runs: raise
  // kRunKeyVersion (stored runs are then re-keyed from their configs) and pin the new defaults here.
  // Settings and parameters added since need no new pin: a stored config without them means their default.
  ASSERT_EQ(kRunKeyVersion, 3) << "pin tests/matrix/run_key_defaults_v" << kRunKeyVersion << ".json";
  const json pinned = pinned_defaults(3);
  const json current = current_defaults();
  for (const auto& [name, value] : pinned.items()) {
    const auto found = current.find(name);
    ASSERT_NE(found, current.end()) << name << " was removed: stored configs still hold it, so their keys would "
                                    << "change at the next re-key; raise kRunKeyVersion and drop it in defining_settings";
    EXPECT_EQ(*found, value) << "the default of " << name << " changed from " << value.dump() << " to "
                             << found->dump() << ": raise kRunKeyVersion";
  }
}

TEST(matrix_run_key, VersionThreeChangedOnlyRandomKScaling) {
  // What a key version changed is what a stored config of the version before meant differently: version 3
  // changed one default, compression randomk's `scaled` (true before: seed 003's RandomK is unscaled).
  const json before = pinned_defaults(2), after = pinned_defaults(3);
  json changed = json::object();
  for (const auto& [name, value] : before.items()) {
    ASSERT_TRUE(after.contains(name)) << name;
    if (after[name] != value) changed[name] = json::array({value, after[name]});
  }
  EXPECT_EQ(changed, (json{{"compression.randomk.scaled", {true, false}}}));
  // A v2 config that relied on the old default holds scaled = true, so it stays a scaled experiment.
  const json sync = {{"parallelism", "sync"}, {"ranks", 2}};
  json asked = sync, stored = sync;
  asked["compression"] = "randomk";
  stored["compression"] = {{"method", "randomk"}, {"scaled", true}};
  EXPECT_EQ(defining_settings(resolve_config(stored))["compression"], stored["compression"]);
  EXPECT_NE(run_key(resolve_config(stored)), run_key(resolve_config(asked)));
}

}  // namespace
}  // namespace iddl::matrix
