#pragma once
#include "core/comm/communicator.hpp"

namespace iddl::comm {

// Communicator over MPI_COMM_WORLD; tensors on a GPU are staged through host memory.
class MpiCommunicator : public Communicator {
 public:
  MpiCommunicator();

  int rank() const override { return rank_; }
  int size() const override { return size_; }
  std::string backend() const override { return "mpi"; }
  void allreduce_sum(torch::Tensor& tensor, Traffic traffic) override;
  void broadcast(torch::Tensor& tensor, int root, Traffic traffic) override;
  std::vector<torch::Tensor> allgather(const torch::Tensor& tensor, Traffic traffic) override;
  void send(const torch::Tensor& tensor, int dest, int tag, Traffic traffic) override;
  void recv(torch::Tensor& tensor, int source, int tag, Traffic traffic) override;
  void sendrecv(const torch::Tensor& outgoing, int dest, torch::Tensor& incoming, int source,
                Traffic traffic) override;
  std::optional<Envelope> probe() override;
  void barrier() override;

 private:
  int rank_ = 0;
  int size_ = 1;
};

}  // namespace iddl::comm
