#include "runners/launch/sweep_runner.hpp"

#include <fmt/format.h>
#include <signal.h>
#include <stdlib.h>
#include <unistd.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>

#include <cmath>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <filesystem>
#include <list>
#include <set>
#include <stdexcept>
#include <thread>

#include "core/data/dataset_files.hpp"
#include "hardware/blas_kernel.hpp"
#include "hardware/gpu_info.hpp"
#include "hardware/slot_scheduler.hpp"
#include "hardware/thread_budget.hpp"
#include "matrix/axis_value.hpp"
#include "results/storage_faults.hpp"
#include "results/store.hpp"
#include "results/sweep_status.hpp"
#include "runners/launch/child_process.hpp"
#include "runners/launch/command_text.hpp"
#include "runners/launch/job_array_follower.hpp"
#include "runners/launch/mpirun_command.hpp"
#include "runners/launch/progress_display.hpp"
#include "runners/launch/run_recorder.hpp"
#include "runners/launch/slurm_queue.hpp"
#include "runners/launch/slurm_job_record.hpp"
#include "runners/launch/sbatch_job.hpp"
#include "runners/launch/srun_command.hpp"
#include "runners/launch/sweep_lock.hpp"

namespace iddl::launch {
namespace {

namespace fs = std::filesystem;

constexpr auto kTerminateGrace = std::chrono::seconds(5);
// Run specs longer than this go to iddl-train in a file: Linux limits one argument to 128 KiB.
constexpr std::size_t kMaxSpecArgumentBytes = 64 * 1024;

void require_data(const matrix::Sweep& sweep) {
  std::set<std::pair<std::string, std::string>> checked;
  for (const auto& run : sweep.runs) {
    const std::pair<std::string, std::string> where{run.config.at("dataset").get<std::string>(),
                                                    run.config.at("data_dir").get<std::string>()};
    if (!checked.insert(where).second) continue;
    if (!data::missing_files(where.first, where.second).empty())
      throw std::runtime_error(sweep.file + ": " + data::missing_files_message(where.first, where.second));
  }
}

std::vector<results::PlannedRunRow> planned_rows(const matrix::Sweep& sweep) {
  std::vector<results::PlannedRunRow> rows;
  for (const auto& run : sweep.runs) rows.push_back({run.key, run.repeat, run.config});
  return rows;
}

// Registers the sweep's planned runs and marks the stored runs the file no longer plans as stale (kept,
// left out of reports); returns the sweep id.
int64_t register_plan(results::Store& store, const matrix::Sweep& sweep, std::ostream& log) {
  const int64_t sweep_id = store.register_sweep(sweep.name, sweep.file, planned_rows(sweep));
  std::vector<std::string> keys;
  for (const auto& run : sweep.runs) keys.push_back(run.key);
  if (const int stale = store.mark_plan(sweep_id, keys))
    log << fmt::format("sweep {}: {} stored run(s) that {} no longer plans are kept as stale (reports leave them "
                       "out unless given --stale)",
                       sweep.name, stale, sweep.file)
        << std::endl;
  return sweep_id;
}

std::string setting_text(const nlohmann::json& value) {
  if (value.is_object()) return matrix::axis_label(value);
  return value.is_string() ? value.get<std::string>() : value.dump();
}

// "model=mlp parallelism=sync ranks=2": the settings that vary in the sweep.
std::string describe(const matrix::Sweep& sweep, const nlohmann::json& config) {
  std::string text;
  for (const auto& name : sweep.varying)
    text += fmt::format("{}{}={}", text.empty() ? "" : " ", name, setting_text(config.at(name)));
  return text.empty() ? "(base settings)" : text;
}

std::string format_seconds(double seconds) {
  if (!(seconds < 1e9)) return "over 30 years";  // also NaN: an ETA from absurd epochs
  const int64_t total = static_cast<int64_t>(std::max(0.0, seconds) + 0.5);
  if (total < 60) return fmt::format("{}s", total);
  if (total < 3600) return fmt::format("{}m{:02}s", total / 60, total % 60);
  return fmt::format("{}h{:02}m", total / 3600, (total % 3600) / 60);
}

// Which runs this invocation launches, by their recorded status.
bool needs_running(const std::string& status, const SweepOptions& options) {
  if (status == "pending" || status == "interrupted") return true;
  if (status == "failed" || status == "timeout") return options.retry_failed || options.force;
  return status == "done" && options.force;
}

// The launcher of this invocation: --launcher, else the sweep's [launch] launcher.
std::string launcher_of(const matrix::Sweep& sweep, const SweepOptions& options) {
  return options.launcher.empty() ? sweep.launch.launcher : options.launcher;
}

// The run spec iddl-train reads.
nlohmann::json spec_of(const matrix::Sweep& sweep, const matrix::PlannedRun& run) {
  return {{"sweep", sweep.name}, {"run_key", run.key}, {"repeat", run.repeat}, {"config", run.config}};
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
};

// The command of each run under one invocation's launcher, with the cores, GPUs and threads it gets.
class RunCommands {
 public:
  RunCommands(const matrix::Sweep& sweep, const SweepOptions& options, const hardware::BlasChoice& blas)
      : sweep_(sweep),
        options_(options),
        blas_(blas),
        launcher_(launcher_of(sweep, options)),
        cores(static_cast<int>(std::max(1u, std::thread::hardware_concurrency()))),
        gpus(hardware::nvidia_gpu_count()),
        jobs(std::max(1, options.jobs > 0 ? options.jobs : sweep.launch.jobs)) {}

  // Threads per rank: the run's setting, or its share of the cores left to each of the jobs.
  int threads_for(const matrix::PlannedRun& run) const {
    return hardware::threads_per_rank(run.config.at("threads").get<int>(), run.config.at("ranks").get<int>(),
                                      std::max(1, cores / jobs));
  }

  // Whether the ranks run on this machine's cores (not on other hosts or Slurm's nodes).
  bool ranks_stay_here() const {
    return launcher_ == "mpirun" && sweep_.launch.hosts.empty() && sweep_.launch.hostfile.empty();
  }

  hardware::SlotRequest request_for(const matrix::PlannedRun& run) const {
    if (!ranks_stay_here()) return {1, 0};  // placed by mpirun's hosts or by Slurm: only jobs limits them
    const int ranks = run.config.at("ranks").get<int>();
    const int threads = threads_for(run);
    const std::string device = run.config.at("device").get<std::string>();
    const bool wants_gpus = device == "cuda" || (device == "auto" && gpus > 0);
    return {ranks * threads, wants_gpus ? ranks : 0};
  }

  // The argument vector that starts `run` on `slot` under this invocation's launcher; with mpirun on this
  // machine, the spec is read from `spec_file` when one is given.
  std::vector<std::string> command_for(const matrix::PlannedRun& run, const hardware::Slot& slot,
                                       const std::string& spec_file = "") const {
    const std::string spec = spec_of(sweep_, run).dump();
    if (launcher_ == "srun") {
      SrunOptions o;
      o.train_exe = options_.bin_dir + "/iddl-train";
      o.ranks = run.config.at("ranks").get<int>();
      o.threads_per_rank = threads_for(run);
      o.gpus_per_rank = run.config.at("device") == "cuda" ? 1 : 0;
      o.blas_coretype = blas_.coretype_env;
      return srun_argv(o, spec);
    }
    MpirunOptions o;
    o.mpirun = options_.mpirun;
    o.train_exe = options_.bin_dir + "/iddl-train";
    o.ranks = run.config.at("ranks").get<int>();
    o.threads_per_rank = threads_for(run);
    o.cores = slot.cores;
    o.gpus = slot.gpus;
    o.as_root = geteuid() == 0;
    o.blas_coretype = blas_.coretype_env;
    o.extra_args = sweep_.launch.mpirun_args;
    o.hosts = sweep_.launch.hosts;
    o.hostfile = sweep_.launch.hostfile;
    if (ranks_stay_here()) o.spec_file = spec_file;
    return mpirun_argv(o, spec);
  }

 private:
  const matrix::Sweep& sweep_;
  const SweepOptions& options_;
  const hardware::BlasChoice& blas_;
  const std::string launcher_;

 public:
  const int cores;  // this machine's cores
  const int gpus;   // this machine's NVIDIA GPUs
  const int jobs;   // runs at once
};

// The scheduling loop of one invocation: queue, slots, children, signals, timeouts, progress.
class SweepExecution {
 public:
  SweepExecution(const matrix::Sweep& sweep, const SweepOptions& options, results::Store& store,
                 const RunCommands& commands, std::ostream& log)
      : sweep_(sweep),
        store_(store),
        commands_(commands),
        display_(log, options.live_progress),
        cores_(commands.cores),
        gpus_(commands.gpus),
        jobs_(commands.jobs),
        timeout_s_(options.timeout_s >= 0 ? options.timeout_s : sweep.launch.timeout_s),
        slots_(cores_, gpus_, gpu_policy_of(sweep, options),
               gpus_ > 0 ? hardware::read_gpu_topology() : hardware::GpuTopology{}),
        stop_signals_(io_, SIGINT, SIGTERM, SIGHUP),
        child_signals_(io_, SIGCHLD) {}

  void enqueue(int64_t run_id, const matrix::PlannedRun& run, const std::string& label) {
    queue_.push_back({run_id, &run, label});
  }

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
  struct Queued {
    int64_t run_id;
    const matrix::PlannedRun* run;
    std::string label;
  };

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
    for (auto it = queue_.begin(); it != queue_.end() && static_cast<int>(flights_.size()) < jobs_;) {
      auto slot = slots_.acquire(commands_.request_for(*it->run));
      if (!slot) {
        ++it;
        continue;
      }
      launch(*it, *slot);
      it = queue_.erase(it);
    }
  }

  void launch(const Queued& queued, const hardware::Slot& slot) {
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
    try {
      start_child(f, slot);
    } catch (const std::exception& e) {  // e.g. mpirun not found, or an argument list too long
      const std::string reason = std::string("cannot start the run: ") + e.what();
      ++outcome_.failed;
      store_.record_failure(f.run_id, "failed", std::nullopt, reason, "");
      display_.log(f.label + ": FAILED: " + reason);
      slots_.release(slot);
      return;
    }
    flights_.push_back(std::move(flight));
  }

  // Starts f's processes on slot, with their event reader and deadline.
  void start_child(Flight& f, const hardware::Slot& slot) {
    const matrix::PlannedRun& run = *f.run;
    const std::string spec = spec_of(sweep_, run).dump();
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

  void show_progress(const Flight& f, const nlohmann::json& event, int64_t epochs) {
    const std::string kind = event.value("event", "");
    // A stored event's number field, 0 when it is missing or null (the store accepts both).
    const auto number = [&event](const char* name) {
      const auto found = event.find(name);
      return found != event.end() && found->is_number() ? found->get<double>() : 0.0;
    };
    if (kind == "epoch") {
      const int64_t epoch = event.value("epoch", int64_t{0});
      const double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - f.start).count();
      const double eta = epoch > 0 ? elapsed / static_cast<double>(epoch) * static_cast<double>(epochs - epoch) : 0.0;
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

  void finish(Flight& f, const ChildResult& result) {
    if (f.deadline) f.deadline->cancel();
    display_.remove(f.id);
    outcome_.child_seconds += result.seconds;
    const std::string tail = f.recorder->other_output() + result.stderr_tail;
    if (f.interrupted) {
      ++outcome_.interrupted;
      store_.record_failure(f.run_id, "interrupted", std::nullopt, "stopped by a signal to iddl-sweep", tail);
      display_.log(f.label + ": interrupted");
    } else if (f.timed_out) {
      ++outcome_.timed_out;
      store_.record_failure(f.run_id, "timeout", std::nullopt,
                            "exceeded the per-run timeout of " + format_seconds(timeout_s_), tail);
      display_.log(f.label + ": TIMEOUT");
    } else if (result.exit_code == 0 && f.recorder->finished()) {
      ++outcome_.done;
    } else {
      ++outcome_.failed;
      std::string reason = f.recorder->error();
      if (reason.empty())
        reason = result.exit_code == 0 ? "iddl-train exited without reporting run_finished"
                                       : fmt::format("iddl-train exited with code {}", result.exit_code);
      store_.record_failure(f.run_id, "failed", result.exit_code, reason, tail);
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
  results::Store& store_;
  const RunCommands& commands_;
  ProgressDisplay display_;
  const int cores_;
  const int gpus_;
  const int jobs_;
  const double timeout_s_;
  hardware::SlotScheduler slots_;
  boost::asio::io_context io_;
  boost::asio::signal_set stop_signals_;
  boost::asio::signal_set child_signals_;
  std::deque<Queued> queue_;
  std::list<std::unique_ptr<Flight>> flights_;
  int next_id_ = 0;
  SweepOutcome outcome_;
};

// The runs to run, by their status in the database (every run when the database or sweep is new).
std::vector<const matrix::PlannedRun*> runs_to_run(const matrix::Sweep& sweep, const SweepOptions& options) {
  const auto statuses = results::read_run_statuses(options.db_path, sweep.name);
  std::vector<const matrix::PlannedRun*> runs;
  for (const auto& run : sweep.runs) {
    const auto found = statuses.find(run.key);
    if (needs_running(found == statuses.end() ? "pending" : found->second, options)) runs.push_back(&run);
  }
  return runs;
}

// The job array of the runs to run: ranks, threads and GPUs sized for the largest run.
SbatchJob job_array(const matrix::Sweep& sweep, const SweepOptions& options,
                    const std::vector<const matrix::PlannedRun*>& runs) {
  SbatchJob job;
  job.sweep = sweep.name;
  job.tasks = static_cast<int>(runs.size());
  for (const auto* run : runs) {
    job.ranks = std::max(job.ranks, run->config.at("ranks").get<int>());
    job.cpus_per_task = std::max(job.cpus_per_task, run->config.at("threads").get<int>());
    if (run->config.at("device") == "cuda") job.gpus_per_task = 1;
  }
  const double timeout_s = options.timeout_s >= 0 ? options.timeout_s : sweep.launch.timeout_s;
  if (timeout_s > 0) job.time_minutes = static_cast<int>(std::ceil(timeout_s / 60.0));  // Slurm counts minutes
  job.sbatch_args = sweep.launch.sbatch_args;
  job.sweep_exe = options.bin_dir + "/iddl-sweep";
  job.blas_coretype = options.blas_coretype;
  job.files = sbatch_files(options.job_dir.empty() ? fs::absolute(options.db_path).parent_path().string() : options.job_dir,
                           sweep.name);
  return job;
}

// "<run key> <settings>" of every run of the sweep, by run key.
std::map<std::string, std::string> run_labels(const matrix::Sweep& sweep) {
  std::map<std::string, std::string> labels;
  for (const auto& run : sweep.runs) labels[run.key] = run.key + " " + describe(sweep, run.config);
  return labels;
}

// Adds the counts of `more` to `outcome`.
void add_outcome(SweepOutcome& outcome, const SweepOutcome& more) {
  outcome.done += more.done;
  outcome.failed += more.failed;
  outcome.timed_out += more.timed_out;
  outcome.interrupted += more.interrupted;
  outcome.stopped_by_signal = outcome.stopped_by_signal || more.stopped_by_signal;
  outcome.wall_seconds += more.wall_seconds;
}

// "sweep S: nothing to submit: ...": every run is done or failed.
std::string nothing_to_submit(const matrix::Sweep& sweep) {
  return fmt::format("sweep {}: nothing to submit: its {} runs are done or failed (failed ones run again with "
                     "--retry-failed)",
                     sweep.name, sweep.runs.size());
}

// "sweep S: N done, ...": what following the job arrays stored.
std::string followed_summary(const matrix::Sweep& sweep, const SweepOutcome& outcome, const std::string& db_path) {
  return fmt::format("sweep {}: {} done, {} failed, {} timed out, {} interrupted, {} not run again; results in {}",
                     sweep.name, outcome.done, outcome.failed, outcome.timed_out, outcome.interrupted,
                     outcome.skipped, db_path);
}

// Prints what each array task would run; writes nothing.
void print_job_array(const matrix::Sweep& sweep, const SweepOptions& options,
                     const std::vector<const matrix::PlannedRun*>& runs, const SbatchJob& job, std::ostream& log) {
  log << fmt::format("dry run of sweep {} (sbatch): {} of {} runs as array tasks 0-{}; nothing is written\n",
                     sweep.name, runs.size(), sweep.runs.size(), runs.size() - 1);
  for (std::size_t i = 0; i < runs.size(); ++i) {
    SrunOptions task;
    task.train_exe = options.bin_dir + "/iddl-train";
    task.ranks = runs[i]->config.at("ranks").get<int>();
    task.threads_per_rank = job.cpus_per_task;
    task.gpus_per_rank = job.gpus_per_task;
    task.blas_coretype = options.blas_coretype;
    log << fmt::format("[task {}] {} {}\n  {}\n", i, runs[i]->key, describe(sweep, runs[i]->config),
                       command_text(srun_argv(task, spec_of(sweep, *runs[i]).dump())));
  }
  log << "would write " << job.files.script << " and " << job.files.run_list
      << ", then run: " << command_text({"sbatch", job.files.script}) << std::endl;
}

// sbatch: registers the runs; follows (or collects) the job array the sweep was submitted as before; writes the
// job-array files for the runs to run, submits them when sbatch is on PATH and follows them unless no_wait
// (with dry_run: prints what each task would run, and writes nothing).
SweepOutcome submit_job_array(const matrix::Sweep& sweep, const SweepOptions& options, std::ostream& log) {
  if (options.dry_run) {
    const auto runs = runs_to_run(sweep, options);
    if (runs.empty()) log << nothing_to_submit(sweep) << std::endl;
    else print_job_array(sweep, options, runs, job_array(sweep, options, runs), log);
    SweepOutcome outcome;
    outcome.skipped = static_cast<int>(sweep.runs.size() - runs.size());
    return outcome;
  }
  const SweepLock lock(options.db_path, sweep.name);
  results::Store store(options.db_path);
  const int64_t sweep_id = register_plan(store, sweep, log);
  const std::string record_path = slurm_job_record_path(options.db_path, sweep.name);
  const FollowOptions follow{options.poll_s, options.live_progress};
  SweepOutcome outcome;
  const auto earlier = read_slurm_job_record(record_path);
  if (earlier && !fs::exists(earlier->run_list))
    log << fmt::format("the run list {} of Slurm job {} is gone: not following that job", earlier->run_list,
                       earlier->job_id)
        << std::endl;
  else if (earlier && on_path("squeue")) {
    if (options.no_wait && job_array_active(*earlier)) {
      log << fmt::format("sweep {}: its Slurm job {} still has tasks pending or running; nothing submitted\n{}",
                         sweep.name, earlier->job_id, job_array_status(*earlier))
          << std::flush;
      return outcome;
    }
    // What the earlier job array did while nobody followed it, or the rest of it when it still runs.
    add_outcome(outcome, follow_job_array(store, sweep_id, *earlier, run_labels(sweep), follow, log));
    if (outcome.stopped_by_signal) return outcome;
  }
  store.mark_stale_running_interrupted(sweep_id);
  const auto runs = runs_to_run(sweep, options);
  outcome.skipped = static_cast<int>(sweep.runs.size() - runs.size());
  if (runs.empty()) {
    log << nothing_to_submit(sweep) << std::endl;
    if (outcome.done + outcome.failed + outcome.timed_out + outcome.interrupted > 0)
      log << followed_summary(sweep, outcome, options.db_path) << std::endl;
    return outcome;
  }
  const SbatchJob job = job_array(sweep, options, runs);
  const std::vector<std::string> submit{"sbatch", job.files.script};
  std::vector<nlohmann::json> specs;
  for (const auto* run : runs) {
    nlohmann::json spec = spec_of(sweep, *run);
    spec["sweep_file"] = fs::absolute(sweep.file).string();
    specs.push_back(spec);
  }
  write_sbatch_job(job, specs);
  const std::string collect = command_text(
      {options.bin_dir + "/iddl-sweep", "collect", "--db", options.db_path, job.files.journal_dir});
  log << fmt::format("sweep {}: {} of {} runs written as a Slurm job array:\n  script    {}\n  run list  {}\n"
                     "  journals  {}\n",
                     sweep.name, runs.size(), sweep.runs.size(), job.files.script, job.files.run_list,
                     job.files.journal_dir);
  if (!on_path("sbatch")) {
    log << "sbatch is not on PATH here; submit on the cluster with: " << command_text(submit)
        << "\nafter the tasks end: " << collect << std::endl;
    return outcome;
  }
  log << "submitting: " << command_text(submit) << std::endl;
  const SlurmJobRecord record =
      new_slurm_job_record(sbatch_submit(job.files.script), job.files.run_list, job.files.journal_dir);
  write_slurm_job_record(record_path, record);
  log << fmt::format("submitted Slurm job {}", record.job_id) << std::endl;
  if (options.no_wait) {
    log << fmt::format("not following it (--no-wait): `iddl-sweep status --db {}` shows its tasks; after they end: {}",
                       options.db_path, collect)
        << std::endl;
    return outcome;
  }
  add_outcome(outcome, follow_job_array(store, sweep_id, record, run_labels(sweep), follow, log));
  log << followed_summary(sweep, outcome, options.db_path) << std::endl;
  return outcome;
}

// Prints the command of every run that would run, on the cores it would get; launches nothing.
SweepOutcome print_dry_run(const matrix::Sweep& sweep, const SweepOptions& options, std::ostream& log) {
  const auto runs = runs_to_run(sweep, options);
  const hardware::BlasChoice blas = hardware::choose_blas(options.bin_dir + "/iddl-blas-probe", options.blas_coretype);
  const RunCommands commands(sweep, options, blas);
  log << fmt::format("dry run of sweep {} ({}): {} of {} runs would run, {} at once; nothing is launched{}\n",
                     sweep.name, launcher_of(sweep, options), runs.size(), sweep.runs.size(), commands.jobs,
                     commands.ranks_stay_here() ? " (cores as when the runs start in order)" : "");
  hardware::SlotScheduler slots(commands.cores, commands.gpus, gpu_policy_of(sweep, options),
                                commands.gpus > 0 ? hardware::read_gpu_topology() : hardware::GpuTopology{});
  std::vector<hardware::Slot> held;
  for (std::size_t i = 0; i < runs.size(); ++i) {
    const auto request = commands.request_for(*runs[i]);
    auto slot = static_cast<int>(held.size()) < commands.jobs ? slots.acquire(request) : std::nullopt;
    if (!slot) {  // the runs before it end first
      for (const auto& h : held) slots.release(h);
      held.clear();
      slot = slots.acquire(request);
    }
    held.push_back(*slot);
    log << fmt::format("[{}/{}] {} {}\n  {}\n", i + 1, runs.size(), runs[i]->key, describe(sweep, runs[i]->config),
                       command_text(commands.command_for(*runs[i], *slot)));
  }
  SweepOutcome outcome;
  outcome.skipped = static_cast<int>(sweep.runs.size() - runs.size());
  return outcome;
}

// Throws when a run whose ranks stay on this machine has more ranks than it has cores, unless
// --oversubscribe or [launch] oversubscribe asks for that.
void refuse_oversubscription(const matrix::Sweep& sweep, const SweepOptions& options) {
  const bool here = launcher_of(sweep, options) == "mpirun" && sweep.launch.hosts.empty() && sweep.launch.hostfile.empty();
  if (!here || options.oversubscribe || sweep.launch.oversubscribe) return;
  const int cores = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  for (const auto& run : sweep.runs) {
    const int ranks = run.config.at("ranks").get<int>();
    if (ranks > cores)
      throw std::runtime_error(fmt::format(
          "{}: run {} ({}) has ranks = {} but this machine has {} cores; give --oversubscribe or [launch] "
          "oversubscribe = true to run more ranks than cores, or [launch] hosts for more machines",
          sweep.file, run.key, describe(sweep, run.config), ranks, cores));
  }
}

}  // namespace

hardware::GpuPolicy gpu_policy_of(const matrix::Sweep& sweep, const SweepOptions& options) {
  return options.gpu_policy ? *options.gpu_policy : hardware::parse_gpu_policy(sweep.launch.gpu_policy);
}

SweepOutcome run_sweep(const matrix::Sweep& sweep, const SweepOptions& options, std::ostream& log) try {
  if (launcher_of(sweep, options) == "sbatch") return submit_job_array(sweep, options, log);
  refuse_oversubscription(sweep, options);
  if (options.dry_run) return print_dry_run(sweep, options, log);
  require_data(sweep);
  results::require_writable_database(options.db_path);
  const SweepLock lock(options.db_path, sweep.name);
  const hardware::BlasChoice blas = hardware::choose_blas(options.bin_dir + "/iddl-blas-probe", options.blas_coretype);
  log << fmt::format("BLAS: {} kernel {} ({})", blas.library, blas.kernel, blas.reason) << std::endl;

  results::Store store(options.db_path);
  const int64_t sweep_id = register_plan(store, sweep, log);
  if (const int stale = store.mark_stale_running_interrupted(sweep_id))
    log << fmt::format("{} run(s) left running by an earlier invocation marked interrupted", stale) << std::endl;

  std::map<std::string, const matrix::PlannedRun*> planned;
  for (const auto& run : sweep.runs) planned[run.key] = &run;

  const RunCommands commands(sweep, options, blas);
  SweepExecution execution(sweep, options, store, commands, log);
  int index = 0;
  int skipped = 0;
  const int total = static_cast<int>(sweep.runs.size());
  for (const auto& row : store.runs_of(sweep_id)) {
    const auto found = planned.find(row.key);
    if (found == planned.end()) continue;
    const std::string label = fmt::format("[{}/{}] {} {}", ++index, total, row.key, describe(sweep, found->second->config));
    if (!needs_running(row.status, options)) {
      ++skipped;
      log << label << ": " << row.status << ", not run again" << std::endl;
      continue;
    }
    execution.enqueue(row.id, *found->second, label);
  }
  SweepOutcome outcome = execution.run();
  outcome.skipped = skipped;
  log << fmt::format("sweep {}: {} done, {} failed, {} timed out, {} interrupted, {} not run again; results in {}",
                     sweep.name, outcome.done, outcome.failed, outcome.timed_out, outcome.interrupted, outcome.skipped,
                     options.db_path)
      << std::endl;
  return outcome;
} catch (const results::SqliteError& e) {  // e.g. a full disk; by now the runs in flight are stopped
  throw std::runtime_error(results::storage_failure_message(options.db_path, e));
}

}  // namespace iddl::launch
