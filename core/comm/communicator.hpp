#pragma once
#include <torch/torch.h>

#include <algorithm>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/comm/comm_stats.hpp"
#include "core/comm/request.hpp"

namespace iddl::comm {

class SharedSum;

// Whether a call's traffic is counted as training communication or is bookkeeping (metrics).
enum class Traffic { Training, Bookkeeping };

// A message waiting to be received: who sent it, its tag and its size.
struct Envelope {
  int source = 0;
  int tag = 0;
  int64_t bytes = 0;
};

// Collective and point-to-point operations on tensors across the ranks of one run (float32, float64,
// float16, bfloat16, int32 and int64 tensors).
class Communicator {
 public:
  virtual ~Communicator() = default;

  virtual int rank() const = 0;
  virtual int size() const = 0;
  // The transport's name, e.g. "mpi".
  virtual std::string backend() const = 0;

  // Sums a contiguous tensor over all ranks, in place.
  virtual void allreduce_sum(torch::Tensor& tensor, Traffic traffic) = 0;
  // Starts summing a contiguous tensor over all ranks, in place; `tensor` must live, untouched, until the
  // request completes. Every rank starts its sums in the same order.
  virtual std::unique_ptr<Request> iallreduce_sum(torch::Tensor& tensor, Traffic traffic) = 0;
  // Copies a contiguous tensor from `root` to all ranks, in place.
  virtual void broadcast(torch::Tensor& tensor, int root, Traffic traffic) = 0;
  // Gathers a 1-D contiguous tensor of any length (0 included) from every rank; returns them in rank order, on the
  // tensor's device.
  virtual std::vector<torch::Tensor> allgather(const torch::Tensor& tensor, Traffic traffic) = 0;
  // Sends a contiguous tensor to rank `dest` with `tag`; returns once the buffer may be reused.
  virtual void send(const torch::Tensor& tensor, int dest, int tag, Traffic traffic) = 0;
  // Receives into a contiguous tensor of the message's exact size from rank `source` with `tag`.
  virtual void recv(torch::Tensor& tensor, int source, int tag, Traffic traffic) = 0;
  // Sends `outgoing` to `dest` while receiving `incoming` from `source` (a ring exchange step).
  virtual void sendrecv(const torch::Tensor& outgoing, int dest, torch::Tensor& incoming, int source,
                        Traffic traffic) = 0;
  // Starts sending a contiguous tensor to rank `dest` with `tag`; the request keeps the data alive
  // until it completes (destroyed before, it is released without waiting for the peer), and must
  // not outlive the communicator.
  virtual std::unique_ptr<Request> isend(const torch::Tensor& tensor, int dest, int tag, Traffic traffic) = 0;
  // Starts receiving into a contiguous tensor of the message's exact size from rank `source` with `tag`;
  // `tensor` holds the data once the request completes and must live until then (destroyed before,
  // the request cancels the receive).
  virtual std::unique_ptr<Request> irecv(torch::Tensor& tensor, int source, int tag, Traffic traffic) = 0;
  // The next message from any rank with any tag, if one has arrived; does not receive it.
  virtual std::optional<Envelope> probe() = 0;
  // Waits for every rank.
  virtual void barrier() = 0;
  // A buffer of `elements` values of `dtype` per rank that all ranks read in place, for sums without copies
  // (SharedSum); null unless every rank is on this machine and its shared memory holds them (every rank calls it;
  // IDDL_SHARED_SUM=0 in the environment turns it off).
  virtual std::unique_ptr<SharedSum> shared_sum(int64_t elements, torch::ScalarType dtype);
  // A communicator of the ranks that pass the same `color`, ranked by `key` (ties: by this rank);
  // every rank calls it. Its traffic is counted by the new communicator, not by this one.
  virtual std::unique_ptr<Communicator> split(int color, int key) = 0;

  // Training traffic counted since construction or the last take_stats().
  CommStats take_stats() {
    count_pending();
    CommStats out = stats_;
    stats_ = {};
    return out;
  }

 protected:
  // Counts the calls whose figures are not known yet (collectives still queued on a GPU), waiting for them.
  virtual void count_pending() {}
  // Counts a call's traffic; its total time is at least the time it kept the caller waiting (a blocking call's).
  void count(CommStats call, Traffic traffic) {
    call.total_seconds = std::max(call.total_seconds, call.seconds);
    if (traffic == Traffic::Training) stats_ += call;
  }

 private:
  CommStats stats_;
};

}  // namespace iddl::comm
