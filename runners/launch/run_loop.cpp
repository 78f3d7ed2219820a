#include "runners/launch/run_loop.hpp"

#include <fmt/format.h>
#include <signal.h>
#include <stdlib.h>
#include <unistd.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <deque>
#include <filesystem>
#include <list>
#include <memory>
#include <stdexcept>

#include "results/artifacts.hpp"
#include "runners/launch/checkpoint_guard.hpp"
#include "runners/launch/child_process.hpp"
#include "runners/launch/progress_display.hpp"
#include "runners/launch/run_recorder.hpp"
#include "results/fields.hpp"

namespace iddl::launch {
namespace {

namespace fs = std::filesystem;

constexpr auto kTerminateGrace = std::chrono::seconds(5);
// Run specs longer than this go to iddl-train in a file: Linux limits one argument to 128 KiB.
constexpr std::size_t kMaxSpecArgumentBytes = 64 * 1024;

// "42s", "3m05s", "2h10m".
std::string format_seconds(double seconds) {
  if (!(seconds < 1e9)) return "over 30 years";  // also NaN: an ETA from absurd epochs
  const int64_t total = static_cast<int64_t>(std::max(0.0, seconds) + 0.5);
  if (total < 60) return fmt::format("{}s", total);
  if (total < 3600) return fmt::format("{}m{:02}s", total / 60, total % 60);
  return fmt::format("{}h{:02}m", total / 3600, (total % 3600) / 60);
}

// A run spec written to a temporary file, removed with this object.
class SpecFile {
 public:
  explicit SpecFile(const std::string& spec) {
    std::string pattern = (fs::temp_directory_path() / "iddl-spec-XXXXXX.json").string();
    const int fd = ::mkstemps(pattern.data(), 5);
    if (fd < 0) throw std::runtime_error("cannot create a run spec file " + pattern + ": " + std::strerror(errno));
    path_ = pattern;
    const bool written = ::write(fd, spec.data(), spec.size()) == static_cast<ssize_t>(spec.size());
    ::close(fd);
    if (!written) throw std::runtime_error("cannot write the run spec file " + path_);
  }
  ~SpecFile() {
    std::error_code ignored;
    fs::remove(path_, ignored);
  }
  SpecFile(const SpecFile&) = delete;
  SpecFile& operator=(const SpecFile&) = delete;
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

// One run in flight.
struct Flight {
  int id = 0;
  int64_t run_id = 0;
  const matrix::PlannedRun* run = nullptr;
  std::string label;
  hardware::Slot slot;
  std::unique_ptr<RunRecorder> recorder;
  std::unique_ptr<SpecFile> spec_file;  // a spec too long for the command line
  std::unique_ptr<AsyncChild> child;
  std::unique_ptr<boost::asio::steady_timer> deadline;
  std::chrono::steady_clock::time_point start;
  bool timed_out = false;
  bool interrupted = false;
  int64_t resumed_from = 0;  // the checkpoint's epoch when the run resumed from one
};

// The scheduling loop of one invocation: queue, slots, children, signals, timeouts, progress.
class SweepExecution {
 public:
  SweepExecution(const std::vector<QueuedRun>& queue, const matrix::Sweep& sweep, const SweepOptions& options,
                 results::Store& store, const RunCommands& commands, hardware::SlotScheduler& slots, std::ostream& log)
      : sweep_(sweep),
        options_(options),
        store_(store),
        commands_(commands),
        display_(log, options.live_progress),
        timeout_s_(timeout_of(sweep, options)),
        slots_(slots),
        stop_signals_(io_, SIGINT, SIGTERM, SIGHUP),
        child_signals_(io_, SIGCHLD),
        queue_(queue.begin(), queue.end()) {}

  SweepOutcome run() {
    const auto start = std::chrono::steady_clock::now();
    wait_for_stop_signal();
    wait_for_child_exits();
    launch_what_fits();
    if (flights_.empty()) {
      stop_signals_.cancel();
      child_signals_.cancel();
    }
    io_.run();
    outcome_.wall_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    return outcome_;
  }

 private:
  void wait_for_stop_signal() {
    stop_signals_.async_wait([this](const boost::system::error_code& error, int signal) {
      if (error) return;
      outcome_.stopped_by_signal = true;
      display_.log(fmt::format("received SIG{}: stopping {} run(s) in flight; {} not started", sigabbrev_np(signal),
                               flights_.size(), queue_.size()));
      queue_.clear();
      for (auto& flight : flights_) {
        flight->interrupted = true;
        flight->child->terminate(kTerminateGrace);
      }
      wait_for_stop_signal();  // a second signal is absorbed while the runs stop
    });
  }

  void wait_for_child_exits() {
    child_signals_.async_wait([this](const boost::system::error_code& error, int) {
      if (error) return;
      for (auto& flight : flights_) flight->child->poll_exit();
      wait_for_child_exits();
    });
  }

  // Starts queued runs, in order, while the runs in flight are fewer than jobs and their slots fit.
  void launch_what_fits() {
    for (auto it = queue_.begin(); it != queue_.end() && static_cast<int>(flights_.size()) < commands_.jobs;) {
      auto slot = slots_.acquire(commands_.request_for(*it->run));
      if (!slot) {
        ++it;
        continue;
      }
      launch(*it, *slot);
      it = queue_.erase(it);
    }
  }

  void launch(const QueuedRun& queued, const hardware::Slot& slot) {
    const matrix::PlannedRun& run = *queued.run;
    auto flight = std::make_unique<Flight>();
    Flight& f = *flight;
    f.id = next_id_++;
    f.run_id = queued.run_id;
    f.run = &run;
    f.label = queued.label;
    f.slot = slot;
    f.start = std::chrono::steady_clock::now();

    store_.mark_running(f.run_id);
    const RunFolders folders = run_folders(sweep_, run, options_);
    if (!folders.checkpoints.empty()) {
      store_.add_artifact(f.run_id, results::kCheckpointsArtifact, folders.checkpoints);
      const std::vector<int64_t> ahead = drop_checkpoints_after(folders.checkpoints, store_.stored_epochs(f.run_id));
      if (!ahead.empty())
        display_.log(fmt::format("{}: removed the checkpoint of epoch {}: its epochs were never stored (a killed "
                                 "iddl-sweep); resuming from an earlier one or from the start",
                                 f.label, fmt::join(ahead, ", ")));
    }
    try {
      start_child(f, slot);
    } catch (const std::exception& e) {  // e.g. mpirun not found, or an argument list too long
      const std::string reason = std::string("cannot start the run: ") + e.what();
      ++outcome_.failed;
      store_.record_failure(f.run_id, results::RunStatus::Failed, std::nullopt, reason, "");
      display_.log(f.label + ": FAILED: " + reason);
      slots_.release(slot);
      return;
    }
    flights_.push_back(std::move(flight));
  }

  // Starts f's processes on slot, with their event reader and deadline.
  void start_child(Flight& f, const hardware::Slot& slot) {
    const matrix::PlannedRun& run = *f.run;
    const std::string spec = spec_of(sweep_, run, options_).dump();
    if (spec.size() > kMaxSpecArgumentBytes) f.spec_file = std::make_unique<SpecFile>(spec);
    const int64_t epochs = run.config.at("epochs").get<int64_t>();
    f.recorder = std::make_unique<RunRecorder>(store_, f.run_id, [this, &f, epochs](const nlohmann::json& event) {
      show_progress(f, event, epochs);
    });
    f.child = std::make_unique<AsyncChild>(
        io_, commands_.command_for(run, slot, f.spec_file ? f.spec_file->path() : ""),
        [&f](const std::string& line) { f.recorder->on_line(line); },
        [this, &f](const ChildResult& result) { boost::asio::post(io_, [this, &f, result] { finish(f, result); }); });
    display_.log(commands_.ranks_stay_here() ? fmt::format("{}: started on cores {}", f.label, fmt::join(slot.cores, ","))
                                             : f.label + ": started");
    if (timeout_s_ > 0) {
      f.deadline = std::make_unique<boost::asio::steady_timer>(io_);
      f.deadline->expires_after(std::chrono::duration_cast<std::chrono::steady_clock::duration>(
          std::chrono::duration<double>(timeout_s_)));
      f.deadline->async_wait([this, &f](const boost::system::error_code& error) {
        if (error || f.child->finished()) return;
        f.timed_out = true;
        display_.log(fmt::format("{}: exceeded the timeout of {}; stopping it", f.label, format_seconds(timeout_s_)));
        f.child->terminate(kTerminateGrace);
      });
    }
  }

  void show_progress(Flight& f, const nlohmann::json& event, int64_t epochs) {
    const std::string kind = event.value("event", "");
    // A stored event's number field, 0 when it is missing or null (the store accepts both).
    const auto number = [&event](const char* name) {
      const auto found = event.find(name);
      return found != event.end() && found->is_number() ? found->get<double>() : 0.0;
    };
    if (kind == "run_started" && number(results::field::resumed_from_epoch) > 0) {
      f.resumed_from = static_cast<int64_t>(number(results::field::resumed_from_epoch));
      display_.update(f.id, fmt::format("{}: resumed from epoch {}", f.label, f.resumed_from));
    } else if (kind == "epoch") {
      const int64_t epoch = event.value("epoch", int64_t{0});
      const double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - f.start).count();
      const int64_t run_here = epoch - f.resumed_from;  // epochs this launch ran, the measure of the ETA
      const double eta =
          run_here > 0 ? elapsed / static_cast<double>(run_here) * static_cast<double>(epochs - epoch) : 0.0;
      display_.update(f.id, fmt::format("{}: epoch {}/{}  train_loss {:.4f}  test_accuracy {:.2f}%  ETA {}", f.label,
                                        epoch, epochs, number("train_loss"), 100.0 * number("test_accuracy"),
                                        format_seconds(eta)));
    } else if (kind == "run_finished") {
      display_.remove(f.id);
      display_.log(fmt::format("{}: done: test_accuracy {:.2f}%  train_time {}  params {:.0f}  flops {:.0f}", f.label,
                               100.0 * number("test_accuracy"), format_seconds(number("train_time_s")),
                               number("params"), number("flops")));
    }
  }

  // A done run: iddl-train removed its checkpoints (their sweep's folder goes when left empty) and wrote its final
  // weights (save_model), one file per rank.
  void record_done_files(const Flight& f) {
    const RunFolders folders = run_folders(sweep_, *f.run, options_);
    store_.drop_artifacts(f.run_id, results::kCheckpointsArtifact);
    if (!folders.checkpoints.empty())
      results::remove_emptied_folders({results::kCheckpointsArtifact, folders.checkpoints}, options_.db_path);
    if (folders.models.empty()) return;
    const int ranks = f.run->config.at("ranks").get<int>();
    for (int rank = 0; rank < ranks; ++rank) {
      const std::filesystem::path file = std::filesystem::path(folders.models) / ("rank" + std::to_string(rank) + ".pt");
      if (std::filesystem::exists(file)) store_.add_artifact(f.run_id, results::kModelArtifact, file.string());
    }
  }

  void finish(Flight& f, const ChildResult& result) {
    if (f.deadline) f.deadline->cancel();
    display_.remove(f.id);
    outcome_.child_seconds += result.seconds;
    const std::string tail = f.recorder->other_output() + result.stderr_tail;
    if (f.interrupted) {
      ++outcome_.interrupted;
      store_.record_failure(f.run_id, results::RunStatus::Interrupted, std::nullopt, "stopped by a signal to iddl-sweep", tail);
      display_.log(f.label + ": interrupted");
    } else if (f.timed_out) {
      ++outcome_.timed_out;
      store_.record_failure(f.run_id, results::RunStatus::Timeout, std::nullopt,
                            "exceeded the per-run timeout of " + format_seconds(timeout_s_), tail);
      display_.log(f.label + ": TIMEOUT");
    } else if (result.exit_code == 0 && f.recorder->finished()) {
      ++outcome_.done;
      record_done_files(f);
    } else {
      ++outcome_.failed;
      std::string reason = f.recorder->error();
      if (reason.empty())
        reason = result.exit_code == 0 ? "iddl-train exited without reporting run_finished"
                                       : fmt::format("iddl-train exited with code {}", result.exit_code);
      store_.record_failure(f.run_id, results::RunStatus::Failed, result.exit_code, reason, tail);
      display_.log(f.label + ": FAILED: " + reason);
    }
    slots_.release(f.slot);
    flights_.remove_if([&f](const std::unique_ptr<Flight>& p) { return p.get() == &f; });
    launch_what_fits();
    if (flights_.empty() && queue_.empty()) {
      stop_signals_.cancel();
      child_signals_.cancel();
    }
  }

  const matrix::Sweep& sweep_;
  const SweepOptions& options_;
  results::Store& store_;
  const RunCommands& commands_;
  ProgressDisplay display_;
  const double timeout_s_;
  hardware::SlotScheduler& slots_;
  boost::asio::io_context io_;
  boost::asio::signal_set stop_signals_;
  boost::asio::signal_set child_signals_;
  std::deque<QueuedRun> queue_;
  std::list<std::unique_ptr<Flight>> flights_;
  int next_id_ = 0;
  SweepOutcome outcome_;
};

}  // namespace

SweepOutcome run_queue(const std::vector<QueuedRun>& queue, const matrix::Sweep& sweep, const SweepOptions& options,
                       results::Store& store, const RunCommands& commands, hardware::SlotScheduler& slots,
                       std::ostream& log) {
  return SweepExecution(queue, sweep, options, store, commands, slots, log).run();
}

}  // namespace iddl::launch
