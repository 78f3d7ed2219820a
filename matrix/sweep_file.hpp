#pragma once
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

namespace iddl::matrix {

// One run a sweep plans: its key, its repeat number (0-based) and its resolved config.
struct PlannedRun {
  std::string key;
  int repeat = 0;
  nlohmann::json config;  // resolved
};

// A checked sweep file and the runs it expands to.
struct Sweep {
  std::string name;
  std::string file;
  int repeats = 1;
  nlohmann::json base;                // the [base] table as given
  std::vector<std::string> varying;   // setting names given as [matrix] axes, in file order (plus "seed" when repeats > 1)
  std::vector<PlannedRun> runs;       // first matrix axis slowest, repeats innermost
};

// A sweep file that cannot be used; the message starts with "file:line:col: " where a place is known.
struct SweepError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// A place in a sweep file (1-based line and column).
struct SourcePosition {
  int line = 1;
  int column = 1;
};

// The SweepError "file:line:col: message".
SweepError sweep_error(const std::string& file, SourcePosition where, const std::string& message);

// Reads, checks and expands the sweep file at `path`; throws SweepError.
Sweep load_sweep(const std::string& path);

// Checks and expands the sweep written in `toml_text`, naming it `path_for_errors`; throws SweepError.
Sweep parse_sweep(std::string_view toml_text, const std::string& path_for_errors);

}  // namespace iddl::matrix
