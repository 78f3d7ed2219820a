#pragma once
#include <torch/torch.h>

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "core/comm/communicator.hpp"
#include "core/compress/error_feedback.hpp"

namespace iddl::compress {

// PowerSGD (Vogels et al., 2019): the sum over ranks of each gradient matrix M approximated as P Q^T of rank r,
// with P = M Q and Q = M^T P summed by two allreduces; vectors and matrices too small to gain are summed whole.
class PowerSgd {
 public:
  // `rank` of the approximation; `warm_start`: Q starts from the previous step's; `shared_seed`: the same on every
  // rank (the initial Q must agree).
  PowerSgd(int rank, bool warm_start, bool error_feedback, uint64_t shared_seed);

  // Replaces each tensor (2-D: a matrix to approximate, 1-D: a vector) by its approximate sum over the ranks of
  // `comm`; returns the bytes this rank contributed to the allreduces.
  int64_t reduce(std::vector<torch::Tensor>& tensors, comm::Communicator& comm);
  // Whether a rows x cols matrix is sent as rank-r factors (smaller than the matrix itself).
  bool compresses(int64_t rows, int64_t cols) const;
  // The error feedback memory (one unit per tensor of reduce()).
  const ErrorFeedback& memory() const { return memory_; }
  // Its state for a checkpoint: the last Q of each tensor ("q_<i>"), the residuals ("residual_<i>") and the
  // generator of new Qs ("generator").
  std::map<std::string, torch::Tensor> state() const;
  // Puts back what state() returned.
  void restore(const std::map<std::string, torch::Tensor>& state);

 private:
  int rank_;
  bool warm_start_;
  bool error_feedback_;
  torch::Generator generator_;
  std::vector<torch::Tensor> q_;  // per tensor, the last Q (warm start)
  ErrorFeedback memory_;
};

}  // namespace iddl::compress
