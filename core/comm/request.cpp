#include "core/comm/request.hpp"

#include <chrono>
#include <thread>

namespace iddl::comm {

void Request::wait() {
  while (!test()) {
  }
}

bool wait_for(Request& request, double timeout_s) {
  using Clock = std::chrono::steady_clock;
  const auto start = Clock::now();
  // Spin briefly (messages between neighbours usually arrive within microseconds), then poll gently.
  for (int spins = 0; !request.test(); ++spins) {
    if (timeout_s > 0.0 && std::chrono::duration<double>(Clock::now() - start).count() > timeout_s) return false;
    if (spins > 1000) std::this_thread::sleep_for(std::chrono::microseconds(20));
  }
  return true;
}

}  // namespace iddl::comm
