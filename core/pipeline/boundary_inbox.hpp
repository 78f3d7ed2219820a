#pragma once
#include <torch/torch.h>

#include <cstddef>
#include <deque>
#include <memory>
#include <vector>

#include "core/comm/communicator.hpp"

namespace iddl::pipeline {

// One message a rank expects across a stage boundary: from `source` with `tag`, into a fresh buffer of
// `sizes` and `options`.
struct ExpectedMessage {
  int source = 0;
  int tag = 0;
  std::vector<int64_t> sizes;
  torch::TensorOptions options;
};

// The boundary messages a rank receives in one step, taken in the order they are listed: each receive is
// posted ahead (up to `depth` in flight) into a buffer allocated for it, so that MPI can complete it during
// any other call (a send, a test) before the rank needs it, and the message lands in place, not copied.
// Messages of one source and tag must be listed in the order they are sent (MPI matches them in order).
// Receives still in flight when the inbox is destroyed are cancelled.
class BoundaryInbox {
 public:
  // Throws std::invalid_argument for depth < 1.
  BoundaryInbox(comm::Communicator& comm, std::vector<ExpectedMessage> expected, comm::Traffic traffic,
                int depth = 2);

  // Whether every expected message has been taken.
  bool empty() const { return next_ == expected_.size(); }
  // How many receives are posted and not yet taken.
  size_t in_flight() const { return posted_.size(); }
  // The next expected message, once arrived (and the next receive posted); throws std::runtime_error
  // naming the rank, source and tag when it has not arrived within `timeout_s` (0 waits forever),
  // std::logic_error when none is left.
  torch::Tensor take(double timeout_s);

 private:
  // Posts receives until `depth` are in flight or none is left to post.
  void post();

  struct Posted {
    torch::Tensor buffer;
    std::unique_ptr<comm::Request> request;
  };

  comm::Communicator& comm_;
  std::vector<ExpectedMessage> expected_;
  comm::Traffic traffic_;
  size_t depth_;
  size_t next_ = 0;       // the next message take() returns
  size_t to_post_ = 0;    // the next message to post a receive for
  std::deque<Posted> posted_;
};

}  // namespace iddl::pipeline
