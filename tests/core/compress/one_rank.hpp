#pragma once
// A communicator of one rank for the averager's tests in one process.
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "core/comm/communicator.hpp"

namespace iddl::testing {

// A transfer that completed when it was started.
class Completed : public comm::Request {
 public:
  bool test() override { return true; }
};

// A communicator of one rank: collectives return their input; point-to-point calls have no peer.
class OneRank : public comm::Communicator {
 public:
  int rank() const override { return 0; }
  int size() const override { return 1; }
  std::string backend() const override { return "one-rank"; }
  void allreduce_sum(torch::Tensor&, comm::Traffic) override {}
  std::unique_ptr<comm::Request> iallreduce_sum(torch::Tensor&, comm::Traffic) override {
    return std::make_unique<Completed>();
  }
  void broadcast(torch::Tensor&, int, comm::Traffic) override {}
  std::vector<torch::Tensor> allgather(const torch::Tensor& tensor, comm::Traffic) override { return {tensor}; }
  void send(const torch::Tensor&, int, int, comm::Traffic) override { throw std::logic_error("no peer"); }
  void recv(torch::Tensor&, int, int, comm::Traffic) override { throw std::logic_error("no peer"); }
  void sendrecv(const torch::Tensor&, int, torch::Tensor&, int, comm::Traffic) override {
    throw std::logic_error("no peer");
  }
  std::unique_ptr<comm::Request> isend(const torch::Tensor&, int, int, comm::Traffic) override {
    throw std::logic_error("no peer");
  }
  std::unique_ptr<comm::Request> irecv(torch::Tensor&, int, int, comm::Traffic) override {
    throw std::logic_error("no peer");
  }
  std::optional<comm::Envelope> probe() override { return std::nullopt; }
  void barrier() override {}
  std::unique_ptr<comm::Communicator> split(int, int) override { return std::make_unique<OneRank>(); }
};

}  // namespace iddl::testing
