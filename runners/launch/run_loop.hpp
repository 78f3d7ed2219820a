// The local scheduling loop of `iddl-sweep run`: queued runs started as their slots fit, their children, signals,
// timeouts and progress.
#pragma once
#include <cstdint>
#include <ostream>
#include <string>
#include <vector>

#include "hardware/slot_scheduler.hpp"
#include "matrix/sweep_file.hpp"
#include "results/store.hpp"
#include "runners/launch/run_commands.hpp"
#include "runners/launch/sweep_options.hpp"

namespace iddl::launch {

// A run waiting for its slot: its row in the database, its plan and its label in the log.
struct QueuedRun {
  int64_t run_id = 0;
  const matrix::PlannedRun* run = nullptr;
  std::string label;
};

// Runs `queue` in order, up to commands.jobs at once on the free slots of `slots`, recording every event in `store`.
// A failed or timed-out run is recorded with its reason and stderr tail and the loop goes on; SIGINT, SIGTERM or
// SIGHUP stops the runs in flight, marks them interrupted and starts no other.
SweepOutcome run_queue(const std::vector<QueuedRun>& queue, const matrix::Sweep& sweep, const SweepOptions& options,
                       results::Store& store, const RunCommands& commands, hardware::SlotScheduler& slots,
                       std::ostream& log);

}  // namespace iddl::launch
