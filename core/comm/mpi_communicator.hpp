#pragma once
#include <mpi.h>

#include "core/comm/communicator.hpp"

namespace iddl::comm {

// Communicator over an MPI communicator (MPI_COMM_WORLD by default); tensors on a GPU are staged
// through host memory.
class MpiCommunicator : public Communicator {
 public:
  MpiCommunicator();
  // Takes ownership of `comm` (freed on destruction), a result of MPI_Comm_split.
  explicit MpiCommunicator(MPI_Comm comm);
  ~MpiCommunicator() override;
  MpiCommunicator(const MpiCommunicator&) = delete;
  MpiCommunicator& operator=(const MpiCommunicator&) = delete;

  int rank() const override { return rank_; }
  int size() const override { return size_; }
  std::string backend() const override { return "mpi"; }
  void allreduce_sum(torch::Tensor& tensor, Traffic traffic) override;
  std::unique_ptr<Request> iallreduce_sum(torch::Tensor& tensor, Traffic traffic) override;
  void broadcast(torch::Tensor& tensor, int root, Traffic traffic) override;
  std::vector<torch::Tensor> allgather(const torch::Tensor& tensor, Traffic traffic) override;
  void send(const torch::Tensor& tensor, int dest, int tag, Traffic traffic) override;
  void recv(torch::Tensor& tensor, int source, int tag, Traffic traffic) override;
  void sendrecv(const torch::Tensor& outgoing, int dest, torch::Tensor& incoming, int source,
                Traffic traffic) override;
  std::unique_ptr<Request> isend(const torch::Tensor& tensor, int dest, int tag, Traffic traffic) override;
  std::unique_ptr<Request> irecv(torch::Tensor& tensor, int source, int tag, Traffic traffic) override;
  std::optional<Envelope> probe() override;
  void barrier() override;
  std::unique_ptr<SharedSum> shared_sum(int64_t elements, torch::ScalarType dtype) override;
  std::unique_ptr<Communicator> split(int color, int key) override;

  // split() as an MPI communicator (what the NCCL communicator builds on).
  std::unique_ptr<MpiCommunicator> split_mpi(int color, int key);
  // The MPI communicator the calls go through.
  MPI_Comm handle() const { return comm_; }

 private:
  MPI_Comm comm_ = MPI_COMM_WORLD;
  bool owned_ = false;
  int rank_ = 0;
  int size_ = 1;
};

}  // namespace iddl::comm
