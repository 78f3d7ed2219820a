// iddl-train: trains one run spec under MPI and writes its events as JSON lines on stdout.
#include <CLI/CLI.hpp>

#include <fstream>
#include <iostream>
#include <sstream>
#include <thread>

#include "core/comm/mpi_communicator.hpp"
#include "core/comm/mpi_session.hpp"
#include "hardware/blas_identity.hpp"
#include "hardware/cpu_info.hpp"
#include "runners/run_training.hpp"

namespace {

std::string read_file(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw std::invalid_argument("cannot read run spec file '" + path + "'");
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

iddl::runners::RunEnvironment environment() {
  const auto blas = iddl::hardware::loaded_blas_identity();
  iddl::runners::RunEnvironment env;
  env.host = iddl::hardware::host_name();
  env.blas_library = blas.library;
  env.blas_kernel = blas.kernel;
  env.mpi_version = iddl::comm::MpiSession::library_version();
  env.cores = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
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
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return mpi.rank() == 0 ? app.exit(e) : 2;
  }
  iddl::runners::EventWriter events(std::cout, mpi.rank());
  try {
    if (spec_file.empty() && spec_json.empty()) throw std::invalid_argument("give --spec FILE or --spec-json TEXT");
    const auto spec = iddl::runners::parse_run_spec(spec_file.empty() ? spec_json : read_file(spec_file));
    iddl::comm::MpiCommunicator comm;
    return iddl::runners::run_training(spec, environment(), comm, events);
  } catch (const std::exception& e) {
    std::cerr << "iddl-train (rank " << mpi.rank() << "): " << e.what() << std::endl;
    events.emit("error", {{"message", e.what()}});
    if (mpi.size() > 1) iddl::comm::MpiSession::abort(2);
    return 2;
  }
}
