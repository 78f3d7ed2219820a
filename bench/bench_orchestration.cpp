// Orchestration overhead of iddl-sweep per run: the wall time of a sweep of tiny runs minus the
// time their own processes (mpirun + iddl-train) ran, divided by the number of runs.
#include <fmt/format.h>
#include <unistd.h>

#include <chrono>
#include <climits>
#include <filesystem>
#include <iostream>
#include <sstream>

#include "matrix/sweep_file.hpp"
#include "runners/launch/sweep_runner.hpp"

namespace fs = std::filesystem;

int main(int argc, char** argv) {
  const int runs = argc > 1 ? std::max(1, std::atoi(argv[1])) : 10;
  char self[PATH_MAX];
  const ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
  const std::string bin_dir = fs::path(std::string(self, n > 0 ? static_cast<size_t>(n) : 0)).parent_path().string();
  const fs::path dir = fs::temp_directory_path() / ("iddl-bench-orchestration-" + std::to_string(::getpid()));
  fs::create_directories(dir);

  std::string seeds;
  for (int i = 0; i < runs; ++i) seeds += (i ? ", " : "") + std::to_string(i + 1);
  const std::string text = "[sweep]\nname = \"overhead\"\nseeds = [" + seeds +
                           "]\n[base]\ndataset = \"synthetic\"\ntrain_samples = 64\ntest_samples = 16\n"
                           "hidden = [8]\nepochs = 1\n";
  const auto sweep = iddl::matrix::parse_sweep(text, (dir / "overhead.toml").string());

  iddl::launch::SweepOptions options;
  options.db_path = (dir / "bench.db").string();
  options.bin_dir = bin_dir;
  std::ostringstream log;
  const auto start = std::chrono::steady_clock::now();
  const auto outcome = iddl::launch::run_sweep(sweep, options, log);
  const double total = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  fs::remove_all(dir);
  if (outcome.done != runs) {
    std::cerr << log.str() << "bench: only " << outcome.done << " of " << runs << " runs finished\n";
    return 1;
  }
  std::cout << fmt::format(
      "runs: {}\ninvocation: {:.3f} s (BLAS check, database set-up and the runs)\n"
      "run loop: {:.3f} s, of which the runs' own processes: {:.3f} s ({:.1f} ms per run)\n"
      "orchestration overhead per run: {:.1f} ms\n",
      runs, total, outcome.wall_seconds, outcome.child_seconds, 1000.0 * outcome.child_seconds / runs,
      1000.0 * (outcome.wall_seconds - outcome.child_seconds) / runs);
  return 0;
}
