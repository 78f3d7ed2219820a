#include "core/comm/mpi_communicator.hpp"

#include <mpi.h>

#include <chrono>
#include <stdexcept>
#include <string>

namespace iddl::comm {
namespace {

MPI_Datatype mpi_type(const torch::Tensor& tensor) {
  switch (tensor.scalar_type()) {
    case torch::kFloat32: return MPI_FLOAT;
    case torch::kFloat64: return MPI_DOUBLE;
    case torch::kInt64: return MPI_INT64_T;
    case torch::kInt32: return MPI_INT32_T;
    default:
      throw std::invalid_argument(std::string("MPI communicator: unsupported tensor type ") +
                                  std::string(c10::toString(tensor.scalar_type())));
  }
}

void check(int code, const char* what) {
  if (code != MPI_SUCCESS) throw std::runtime_error(std::string(what) + " failed with MPI error " + std::to_string(code));
}

void require_contiguous(const torch::Tensor& tensor) {
  if (!tensor.is_contiguous()) throw std::invalid_argument("MPI communicator: tensor must be contiguous");
}

// Runs `body` on a host copy of `tensor` and copies the result back when it lives on a GPU.
template <typename Body>
void on_host(torch::Tensor& tensor, Body body) {
  if (tensor.device().is_cpu()) {
    body(tensor);
    return;
  }
  torch::Tensor host = tensor.to(torch::kCPU).contiguous();
  body(host);
  tensor.copy_(host);
}

double seconds_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

}  // namespace

MpiCommunicator::MpiCommunicator() {
  MPI_Comm_rank(MPI_COMM_WORLD, &rank_);
  MPI_Comm_size(MPI_COMM_WORLD, &size_);
}

void MpiCommunicator::allreduce_sum(torch::Tensor& tensor, Traffic traffic) {
  require_contiguous(tensor);
  const auto start = std::chrono::steady_clock::now();
  on_host(tensor, [&](torch::Tensor& host) {
    check(MPI_Allreduce(MPI_IN_PLACE, host.data_ptr(), static_cast<int>(host.numel()), mpi_type(host), MPI_SUM,
                        MPI_COMM_WORLD),
          "MPI_Allreduce");
  });
  const int64_t bytes = ring_allreduce_bytes(tensor.numel() * static_cast<int64_t>(tensor.element_size()), size_);
  count({bytes, bytes, seconds_since(start)}, traffic);
}

void MpiCommunicator::broadcast(torch::Tensor& tensor, int root, Traffic traffic) {
  require_contiguous(tensor);
  const auto start = std::chrono::steady_clock::now();
  on_host(tensor, [&](torch::Tensor& host) {
    check(MPI_Bcast(host.data_ptr(), static_cast<int>(host.numel()), mpi_type(host), root, MPI_COMM_WORLD),
          "MPI_Bcast");
  });
  const int64_t bytes = tensor.numel() * static_cast<int64_t>(tensor.element_size());
  const CommStats call = rank_ == root ? CommStats{bytes * (size_ - 1), 0, seconds_since(start)}
                                       : CommStats{0, bytes, seconds_since(start)};
  count(call, traffic);
}

void MpiCommunicator::barrier() { check(MPI_Barrier(MPI_COMM_WORLD), "MPI_Barrier"); }

}  // namespace iddl::comm
