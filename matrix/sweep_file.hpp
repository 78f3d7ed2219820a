#pragma once
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "hardware/gpu_placement.hpp"
#include "matrix/launcher.hpp"

namespace iddl::matrix {

// One run a sweep plans: its key, its repeat number (0-based) and its resolved config.
struct PlannedRun {
  std::string key;
  int repeat = 0;
  nlohmann::json config;  // resolved
};

// The longest sweep name (letters, digits, '_', '.' and '-').
inline constexpr std::size_t kMaxSweepNameLength = 100;

// The longest per-run timeout, in seconds: 365 days.
inline constexpr double kMaxTimeoutSeconds = 365.0 * 24 * 3600;

// How iddl-sweep launches the runs of a sweep: the [launch] table.
struct LaunchSettings {
  Launcher launcher = Launcher::Mpirun;  // what starts each run's ranks
  std::vector<std::string> mpirun_args;  // extra arguments for mpirun, placed before the program
  std::vector<std::string> hosts;        // mpirun --host entries across machines, e.g. "a:4"; empty: this machine
  std::string hostfile;                  // mpirun --hostfile, resolved against the sweep file's folder; "": none
  std::vector<std::string> sbatch_args;  // sbatch options of the job-array script, e.g. "--partition=gpu"
  double timeout_s = 0;                  // wall-clock limit of one run in seconds, up to kMaxTimeoutSeconds; 0: none
  int jobs = 1;                          // runs at once (>= 1)
  hardware::GpuPolicy gpu_policy = hardware::GpuPolicy::Topology;  // which free GPUs of this machine a run gets
  bool oversubscribe = false;            // allow runs with more ranks than this machine has cores
};

// A checked sweep file and the runs it expands to.
struct Sweep {
  std::string name;
  std::string file;
  int repeats = 1;                   // runs of each combination: [sweep] repeats, or the number of [sweep] seeds
  nlohmann::json base;               // the [base] table as given
  std::vector<std::string> varying;  // settings taking more than one value across the runs: axis settings in
                                     // axis order, then [[include]] settings, then "seed"
  std::vector<PlannedRun> runs;      // the crossed axes (first slowest) less the [[exclude]]d combinations, then
                                     // the [[include]] runs in file order; repeats innermost
  LaunchSettings launch;             // the [launch] table
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

// Whether `name` can name a sweep: letters, digits, '_', '.' and '-' (it becomes part of file names).
bool valid_sweep_name(const std::string& name);

// Reads, checks and expands the sweep file at `path` with `overrides` ("key=value", iddl-sweep --set) applied;
// throws SweepError.
Sweep load_sweep(const std::string& path, const std::vector<std::string>& overrides = {});

// Checks and expands the sweep written in `toml_text`, naming it `path_for_errors`, with `overrides` applied;
// throws SweepError.
Sweep parse_sweep(std::string_view toml_text, const std::string& path_for_errors,
                  const std::vector<std::string>& overrides = {});

}  // namespace iddl::matrix
