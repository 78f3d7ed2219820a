// DeviceTimer on every device of tests/support/devices.hpp: it measures a sleep, counts the work queued after its
// start (on a GPU: the kernels, not their launches) and not the work queued before it; a stop() ends a span without
// waiting for the device.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <chrono>
#include <thread>

#include "core/comm/device_timer.hpp"
#include "tests/support/devices.hpp"

namespace {

using iddl::comm::DeviceSpan;
using iddl::comm::DeviceTimer;

class DeviceTimerOn : public iddl::testing::OnDevice {
 protected:
  // Queues about a second's worth of matrix products on device() (a CPU runs them at once).
  torch::Tensor queue_work() {
    const int64_t n = device().is_cuda() ? 4096 : 256;
    const int repeats = device().is_cuda() ? 50 : 40;
    torch::Tensor a = torch::randn({n, n}, on_device()) / std::sqrt(static_cast<double>(n));
    torch::Tensor x = a;
    for (int i = 0; i < repeats; ++i) x = torch::mm(x, a);
    return x;
  }
  // Seconds until the device has finished everything queued so far, by the host clock.
  static double host_wait(const torch::Device& device) {
    const auto start = std::chrono::steady_clock::now();
    if (device.is_cuda()) torch::cuda::synchronize(device.index());
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  }
};

TEST_P(DeviceTimerOn, MeasuresASleepWithinTolerance) {
  const DeviceTimer timer(device());
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  const double seconds = timer.seconds();
  EXPECT_GE(seconds, 0.29);
  EXPECT_LT(seconds, 3.0) << "a loaded machine may add some, not seconds";
  const DeviceTimer copy = timer;  // copies share the start
  EXPECT_GE(copy.seconds(), seconds);
}

TEST_P(DeviceTimerOn, CountsTheWorkQueuedAfterItsStart) {
  const auto reference_start = std::chrono::steady_clock::now();
  queue_work();
  host_wait(device());
  const double reference = std::chrono::duration<double>(std::chrono::steady_clock::now() - reference_start).count();

  const DeviceTimer timer(device());
  const torch::Tensor result = queue_work();
  const double timed = timer.seconds();
  EXPECT_GT(timed, 0.25 * reference) << "timed " << timed << " s of work that takes " << reference << " s";
  EXPECT_LT(host_wait(device()), 0.25 * reference) << "seconds() returned before the work was done";
  EXPECT_TRUE(torch::isfinite(result).all().item<bool>());
}

TEST_P(DeviceTimerOn, DoesNotCountTheWorkQueuedBeforeItsStart) {
  const DeviceTimer whole(device());
  const torch::Tensor before = queue_work();
  const DeviceTimer timer(device());
  const torch::Tensor after = before.sum();
  const double timed = timer.seconds();
  const double reference = whole.seconds();
  EXPECT_LT(timed, 0.25 * reference) << "timed " << timed << " s after queuing " << reference << " s of work";
  EXPECT_TRUE(torch::isfinite(after).item<bool>());
}

TEST_P(DeviceTimerOn, AStopEndsTheSpanWithoutWaitingAndTheSpanCountsTheWorkUntilThen) {
  const auto reference_start = std::chrono::steady_clock::now();
  queue_work();
  host_wait(device());
  const double reference = std::chrono::duration<double>(std::chrono::steady_clock::now() - reference_start).count();

  const DeviceTimer timer(device());
  const torch::Tensor first = queue_work();
  const DeviceSpan span = timer.stop();
  if (device().is_cuda()) {
    EXPECT_FALSE(span.done()) << "the stop waited for about a second of queued work";
  }
  const torch::Tensor second = queue_work();  // after the stop: not in the span
  span.wait();
  EXPECT_TRUE(span.done());
  EXPECT_GT(span.seconds(), 0.25 * reference) << "the span missed the work queued before its stop";
  EXPECT_LT(span.seconds(), timer.seconds()) << "the span counted the work queued after its stop";
  EXPECT_TRUE(torch::isfinite(first).all().item<bool>() && torch::isfinite(second).all().item<bool>());
}

IDDL_ON_DEVICES(DeviceTimerOn);

}  // namespace
