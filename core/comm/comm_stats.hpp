#pragma once
#include <cstdint>

namespace iddl::comm {

// Bytes moved and seconds spent in communication, summed over calls.
struct CommStats {
  int64_t bytes_sent = 0;
  int64_t bytes_received = 0;
  double seconds = 0.0;        // exposed: the time the calls kept the caller waiting
  double total_seconds = 0.0;  // from each call's start to its completion (more than `seconds` by what overlapped)

  // Bytes sent per second the calls were in flight (0 when nothing was timed).
  double bandwidth_Bps() const {
    return total_seconds > 0.0 ? static_cast<double>(bytes_sent) / total_seconds : 0.0;
  }

  CommStats& operator+=(const CommStats& other) {
    bytes_sent += other.bytes_sent;
    bytes_received += other.bytes_received;
    seconds += other.seconds;
    total_seconds += other.total_seconds;
    return *this;
  }
};

// Bytes one rank sends (and receives) in a ring allreduce of `bytes` over `ranks` ranks.
inline int64_t ring_allreduce_bytes(int64_t bytes, int ranks) {
  return ranks <= 1 ? 0 : 2 * bytes * (ranks - 1) / ranks;
}

// Bytes one rank sends in an allgather where it contributes `own_bytes` to `ranks` ranks: its payload
// to each other rank (equals the ring's (n-1)/n of the total when all payloads have one size).
inline int64_t allgather_sent_bytes(int64_t own_bytes, int ranks) { return ranks <= 1 ? 0 : own_bytes * (ranks - 1); }

}  // namespace iddl::comm
