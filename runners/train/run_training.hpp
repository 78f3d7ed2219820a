#pragma once
#include <cstdint>
#include <string>

#include "core/comm/communicator.hpp"
#include "runners/train/event_writer.hpp"
#include "runners/train/run_spec.hpp"

namespace iddl::runners {

// Facts about the process a run executes in, reported in its run_started event.
struct RunEnvironment {
  std::string host;
  std::string cpu_model;
  int cores = 1;
  std::string blas_library;
  std::string blas_kernel;
  std::string mpi_version;
  std::string iddl_commit;
  std::string compiler;
  int threads = 0;  // threads per rank chosen by the launcher; 0: the run's setting, else cores / ranks
  int cpu_sockets = 1;
  int64_t memory_bytes = 0;
  std::string gpu_name;        // the GPUs the run sees, distinct names joined by ", "; "" without GPUs
  int gpu_count = 0;
  int64_t gpu_memory_bytes = 0;  // the smallest memory of those GPUs
  std::string gpu_driver;
  std::string cuda_version;    // the CUDA version the driver supports
  std::string gpu_topology;    // their interconnect matrix, rows joined by "; " ("X NV2; NV2 X")
  std::string nccl_version;    // the NCCL IDDL was compiled with, "none" without
};

// Trains the run described by `spec` on this rank, emitting its events; returns the exit code
// (0 done, 3 when the loss stopped being finite). Throws on invalid settings or data.
int run_training(const RunSpec& spec, const RunEnvironment& environment, comm::Communicator& comm,
                 EventWriter& events);

}  // namespace iddl::runners
