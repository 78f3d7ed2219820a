// iddl-train: trains one run spec under MPI and writes its events as JSON lines on stdout.
#include <CLI/CLI.hpp>

#include <cstdlib>
#include <fstream>
#include <iostream>
#include <memory>
#include <optional>
#include <sstream>
#include <thread>

#include "core/comm/make_communicator.hpp"
#include "core/comm/mpi_session.hpp"
#include "hardware/blas_identity.hpp"
#include "hardware/cpu_info.hpp"
#include "hardware/gpu_info.hpp"
#include "hardware/software_info.hpp"
#include "core/train/heap_policy.hpp"
#include "runners/train/launcher_watch.hpp"
#include "runners/train/run_events.hpp"
#include "runners/train/run_training.hpp"

namespace {

std::string read_file(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw std::invalid_argument("cannot read run spec file '" + path + "'");
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

// The GPUs this process sees (CUDA_VISIBLE_DEVICES), their driver, CUDA version and links.
void add_gpu_facts(iddl::runners::RunEnvironment& env) {
  const char* visible = std::getenv("CUDA_VISIBLE_DEVICES");
  const auto gpus = iddl::hardware::visible_gpus(iddl::hardware::read_gpu_info(),
                                                 visible ? std::optional<std::string>(visible) : std::nullopt);
  const auto summary = iddl::hardware::summarize_gpus(gpus);
  env.gpu_name = summary.name;
  env.gpu_count = summary.count;
  env.gpu_memory_bytes = summary.memory_bytes;
  env.gpu_driver = gpus.driver_version;
  env.cuda_version = gpus.cuda_version;
  env.gpu_topology = iddl::hardware::topology_text(gpus.topology);
}

// The facts the run_started event reports; the GPU ones only for CUDA runs, on rank 0, the rank that reports them.
iddl::runners::RunEnvironment environment(int threads, bool with_gpus) {
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
  env.cpu_sockets = cpu.sockets;
  env.memory_bytes = cpu.memory_bytes;
  env.nccl_version = iddl::hardware::nccl_version();
  if (with_gpus) add_gpu_facts(env);
  return env;
}

}  // namespace

int main(int argc, char** argv) {
  iddl::runners::stop_when_launcher_exits();
  iddl::train::keep_large_buffers_in_heap();
  iddl::comm::MpiSession mpi(&argc, &argv);
  CLI::App app{"Trains one IDDL run (a resolved run spec) under MPI; events go to stdout as JSON lines."};
  std::string spec_file;
  std::string spec_json;
  auto* file_option = app.add_option("--spec", spec_file, "run spec JSON file");
  app.add_option("--spec-json", spec_json, "run spec as JSON text")->excludes(file_option);
  int threads = 0;
  app.add_option("--threads", threads, "intra-op threads per rank (default: the run's setting, else cores / ranks)")
      ->check(CLI::Range(0, 4096));
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int code = mpi.rank() == 0 ? app.exit(e) : e.get_exit_code();  // rank 0 prints the message or --help
    return code == 0 ? 0 : 2;                                            // command-line errors: 2, as every IDDL tool
  }
  iddl::runners::EventWriter events(std::cout, mpi.rank());
  std::unique_ptr<iddl::comm::Communicator> comm;  // outlives the try: an error aborts its collectives
  try {
    if (spec_file.empty() && spec_json.empty()) throw std::invalid_argument("give --spec FILE or --spec-json TEXT");
    const auto spec = iddl::runners::parse_run_spec(spec_file.empty() ? spec_json : read_file(spec_file));
    const bool cuda = iddl::runners::run_device(spec.config).is_cuda();  // before NCCL: sets the current GPU
    comm = iddl::comm::make_communicator();
    return iddl::runners::run_training(spec, environment(threads, mpi.rank() == 0 && cuda), *comm, events);
  } catch (const std::exception& e) {
    std::cerr << "iddl-train (rank " << mpi.rank() << "): " << e.what() << std::endl;
    events.emit(iddl::results::kError, {{iddl::results::field::message, e.what()}});
    if (mpi.size() > 1) {
      if (comm) iddl::comm::abort_communicator(*comm);  // NCCL's collectives end instead of waiting for peers
      iddl::comm::MpiSession::abort(2);
    }
    return 2;
  }
}
