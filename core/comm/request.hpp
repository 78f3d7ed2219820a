#pragma once

namespace iddl::comm {

// A transfer in flight, started by Communicator::isend, irecv or iallreduce_sum.
class Request {
 public:
  virtual ~Request() = default;
  // Whether the transfer has completed; never blocks. A completed receive holds its data.
  virtual bool test() = 0;
  // Blocks until the transfer has completed (by default: test() until it has).
  virtual void wait();
};

// Waits until `request` completes and returns true, or returns false once `timeout_s` seconds have
// passed first (`timeout_s` <= 0 waits without limit).
bool wait_for(Request& request, double timeout_s);

}  // namespace iddl::comm
