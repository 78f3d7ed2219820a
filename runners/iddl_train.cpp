// iddl-train: trains one run spec under MPI and writes its events as JSON lines on stdout.
#include <CLI/CLI.hpp>

#include <fstream>
#include <iostream>
#include <sstream>
#include <thread>

#include "core/comm/make_communicator.hpp"
#include "core/comm/mpi_session.hpp"
#include "hardware/blas_identity.hpp"
#include "hardware/cpu_info.hpp"
#include "hardware/software_info.hpp"
#include "runners/run_training.hpp"

namespace {

std::string read_file(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw std::invalid_argument("cannot read run spec file '" + path + "'");
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

iddl::runners::RunEnvironment environment(int threads) {
  const auto blas = iddl::hardware::loaded_blas_identity();
  const auto cpu = iddl::hardware::read_cpu_info();
  iddl::runners::RunEnvironment env;
  env.host = iddl::hardware::host_name();
  env.cpu_model = cpu.model;
  env.iddl_commit = iddl::hardware::iddl_commit();
  env.compiler = iddl::hardware::compiler_version();
  env.threads = threads;
  env.blas_library = blas.library;
  env.blas_kernel = blas.kernel;
  env.mpi_version = iddl::comm::MpiSession::library_version();
  env.cores = cpu.logical_cpus > 0 ? cpu.logical_cpus : static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  return env;
}

}  // namespace

int main(int argc, char** argv) {
  iddl::comm::MpiSession mpi(&argc, &argv);
  CLI::App app{"Trains one IDDL run (a resolved run spec) under MPI; events go to stdout as JSON lines."};
  std::string spec_file;
  std::string spec_json;
  auto* file_option = app.add_option("--spec", spec_file, "run spec JSON file");
  app.add_option("--spec-json", spec_json, "run spec as JSON text")->excludes(file_option);
  int threads = 0;
  app.add_option("--threads", threads, "intra-op threads per rank (default: the run's setting, else cores / ranks)")
      ->check(CLI::NonNegativeNumber);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return mpi.rank() == 0 ? app.exit(e) : 2;
  }
  iddl::runners::EventWriter events(std::cout, mpi.rank());
  try {
    if (spec_file.empty() && spec_json.empty()) throw std::invalid_argument("give --spec FILE or --spec-json TEXT");
    const auto spec = iddl::runners::parse_run_spec(spec_file.empty() ? spec_json : read_file(spec_file));
    const auto comm = iddl::comm::make_communicator();
    return iddl::runners::run_training(spec, environment(threads), *comm, events);
  } catch (const std::exception& e) {
    std::cerr << "iddl-train (rank " << mpi.rank() << "): " << e.what() << std::endl;
    events.emit("error", {{"message", e.what()}});
    if (mpi.size() > 1) iddl::comm::MpiSession::abort(2);
    return 2;
  }
}
