#pragma once
#include <cstdint>

namespace iddl::comm {

// Bytes moved and seconds spent in communication, summed over calls.
struct CommStats {
  int64_t bytes_sent = 0;
  int64_t bytes_received = 0;
  double seconds = 0.0;

  // Bytes sent per second of communication (0 when nothing was timed).
  double bandwidth_Bps() const { return seconds > 0.0 ? static_cast<double>(bytes_sent) / seconds : 0.0; }

  CommStats& operator+=(const CommStats& other) {
    bytes_sent += other.bytes_sent;
    bytes_received += other.bytes_received;
    seconds += other.seconds;
    return *this;
  }
};

// Bytes one rank sends (and receives) in a ring allreduce of `bytes` over `ranks` ranks.
inline int64_t ring_allreduce_bytes(int64_t bytes, int ranks) {
  return ranks <= 1 ? 0 : 2 * bytes * (ranks - 1) / ranks;
}

}  // namespace iddl::comm
