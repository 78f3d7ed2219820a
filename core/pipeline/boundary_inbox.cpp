#include "core/pipeline/boundary_inbox.hpp"

#include <stdexcept>
#include <string>

#include "core/comm/request.hpp"

namespace iddl::pipeline {

BoundaryInbox::BoundaryInbox(comm::Communicator& comm, std::vector<ExpectedMessage> expected, comm::Traffic traffic,
                             int depth)
    : comm_(comm), expected_(std::move(expected)), traffic_(traffic), depth_(static_cast<size_t>(depth)) {
  if (depth < 1) throw std::invalid_argument("pipeline: an inbox needs depth >= 1, got " + std::to_string(depth));
  post();
}

void BoundaryInbox::post() {
  while (posted_.size() < depth_ && to_post_ < expected_.size()) {
    const ExpectedMessage& m = expected_[to_post_++];
    torch::Tensor buffer = torch::empty(m.sizes, m.options);
    std::unique_ptr<comm::Request> request = comm_.irecv(buffer, m.source, m.tag, traffic_);
    posted_.push_back({std::move(buffer), std::move(request)});
  }
}

torch::Tensor BoundaryInbox::take(double timeout_s) {
  if (empty()) throw std::logic_error("pipeline: no boundary message left to receive");
  const ExpectedMessage& m = expected_[next_];
  if (!comm::wait_for(*posted_.front().request, timeout_s))
    throw std::runtime_error("pipeline: rank " + std::to_string(comm_.rank()) + " received nothing from rank " +
                             std::to_string(m.source) + " (tag " + std::to_string(m.tag) + ") within " +
                             std::to_string(timeout_s) + " s");
  torch::Tensor buffer = std::move(posted_.front().buffer);
  posted_.pop_front();
  ++next_;
  post();
  return buffer;
}

}  // namespace iddl::pipeline
