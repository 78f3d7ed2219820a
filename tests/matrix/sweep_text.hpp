#pragma once
// Helpers for tests of sweep files: writing them to temporary files, loading them, catching their errors.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "matrix/config.hpp"
#include "matrix/setting_values.hpp"
#include "matrix/settings.hpp"
#include "matrix/sweep_file.hpp"
#include "tests/support/temp_dir.hpp"

namespace iddl::matrix {

// The message of the ConfigError that resolving `partial` throws ("" when it resolves).
inline std::string resolve_error(const nlohmann::json& partial) {
  try {
    resolve_config(partial);
  } catch (const ConfigError& e) {
    return e.what();
  }
  return "";
}

// The [sweep] table of most test files: lines 1 and 2.
inline const std::string kHeader = "[sweep]\nname = \"t\"\n";

// Writes `text` to a fresh file in this process's temporary directory (removed when the process ends) and returns
// its path.
inline std::string write_sweep(const std::string& text) {
  static const test_support::TempDir dir;
  static int counter = 0;
  const auto* test = ::testing::UnitTest::GetInstance()->current_test_info();
  const std::string path = dir.file(std::string(test->name()) + "_" + std::to_string(counter++) + ".toml");
  std::ofstream(path) << text;
  return path;
}

// The error message of loading `text` from a file, which must start with "file:line:col: ".
inline std::string load_error(const std::string& text, int line, int column) {
  const std::string path = write_sweep(text);
  try {
    load_sweep(path);
  } catch (const SweepError& e) {
    const std::string message = e.what();
    const std::string prefix = path + ":" + std::to_string(line) + ":" + std::to_string(column) + ": ";
    EXPECT_EQ(message.rfind(prefix, 0), 0u) << "expected prefix " << prefix << "\nin: " << message;
    return message.substr(std::min(message.size(), prefix.size()));
  }
  ADD_FAILURE() << "no SweepError for:\n" << text;
  return "";
}

// The sweep `text` describes, loaded from a file.
inline Sweep load_text(const std::string& text) { return load_sweep(write_sweep(text)); }

// The value of `setting` in each run, as written in a sweep file.
inline std::vector<std::string> values_of(const Sweep& sweep, const std::string& setting) {
  std::vector<std::string> values;
  for (const auto& run : sweep.runs) values.push_back(value_text(run.config[setting]));
  return values;
}

}  // namespace iddl::matrix
