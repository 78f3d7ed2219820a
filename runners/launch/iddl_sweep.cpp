// iddl-sweep: plans and runs the experiment matrix of a TOML sweep file.
#include <CLI/CLI.hpp>
#include <fmt/format.h>
#include <unistd.h>

#include <climits>
#include <iostream>

#include "hardware/blas_kernel.hpp"
#include "matrix/sweep_file.hpp"
#include "reports/table.hpp"
#include "runners/launch/sweep_runner.hpp"

namespace {

// The directory holding this executable (and iddl-train, iddl-blas-probe next to it).
std::string own_directory() {
  char path[PATH_MAX];
  const ssize_t n = readlink("/proc/self/exe", path, sizeof(path) - 1);
  if (n <= 0) return ".";
  const std::string exe(path, static_cast<size_t>(n));
  return exe.substr(0, exe.find_last_of('/'));
}

std::string cell(const nlohmann::json& value) { return value.is_string() ? value.get<std::string>() : value.dump(); }

void print_plan(const iddl::matrix::Sweep& sweep) {
  iddl::reports::Table table;
  table.columns = {{"#", iddl::reports::Align::Right}, {"run key"}};
  for (const auto& name : sweep.varying) table.columns.push_back({name});
  int index = 0;
  for (const auto& run : sweep.runs) {
    std::vector<std::string> row{std::to_string(++index), run.key};
    for (const auto& name : sweep.varying) row.push_back(cell(run.config.at(name)));
    table.add_row(row);
  }
  std::cout << fmt::format("sweep {} ({}): {} runs\n\n", sweep.name, sweep.file, sweep.runs.size())
            << iddl::reports::render_markdown(table);
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"IDDL sweep engine: expands a TOML sweep into runs, launches them under MPI, stores results in SQLite."};
  app.require_subcommand(1);
  std::string file;
  iddl::launch::SweepOptions options;
  options.bin_dir = own_directory();

  auto* plan = app.add_subcommand("plan", "list the runs a sweep file expands to");
  plan->add_option("file", file, "sweep TOML file")->required();

  auto* run = app.add_subcommand("run", "run every run of a sweep that is not done yet");
  run->add_option("file", file, "sweep TOML file")->required();
  run->add_option("--db", options.db_path, "SQLite database")->capture_default_str();
  run->add_option("--blas-coretype", options.blas_coretype, "OpenBLAS kernel for the runs (OPENBLAS_CORETYPE)");
  run->add_option("--mpirun", options.mpirun, "the mpirun executable")->capture_default_str();

  auto* blas = app.add_subcommand("blas", "show the BLAS library and the kernel the runs will use");
  blas->add_option("--blas-coretype", options.blas_coretype, "OpenBLAS kernel to check instead of choosing one");

  CLI11_PARSE(app, argc, argv);
  try {
    if (*blas) {
      const auto choice = iddl::hardware::choose_blas(options.bin_dir + "/iddl-blas-probe", options.blas_coretype);
      std::cout << fmt::format("library: {}\ndefault kernel: {} ({:.1f} GFLOP/s)\nkernel for runs: {} ({:.1f} GFLOP/s)\n"
                               "OPENBLAS_CORETYPE: {}\nreason: {}\n",
                               choice.library, choice.default_kernel, choice.default_gflops, choice.kernel,
                               choice.chosen_gflops, choice.coretype_env.empty() ? "(unset)" : choice.coretype_env,
                               choice.reason);
      return 0;
    }
    const iddl::matrix::Sweep sweep = iddl::matrix::load_sweep(file);
    if (*plan) {
      print_plan(sweep);
      return 0;
    }
    const auto outcome = iddl::launch::run_sweep(sweep, options, std::cout);
    return outcome.failed == 0 ? 0 : 1;
  } catch (const std::exception& e) {
    std::cerr << "iddl-sweep: " << e.what() << std::endl;
    return 2;
  }
}
