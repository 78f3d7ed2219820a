#include "runners/launch/job_array_follower.hpp"

#include <fmt/format.h>
#include <signal.h>

#include <algorithm>
#include <chrono>
#include <csignal>
#include <filesystem>
#include <fstream>
#include <optional>
#include <sstream>
#include <thread>
#include <vector>

#include "hardware/program_output.hpp"
#include "runners/launch/journal_collect.hpp"
#include "runners/launch/progress_display.hpp"
#include "runners/launch/slurm_queue.hpp"

namespace iddl::launch {
namespace {

using results::RunStatus;

volatile std::sig_atomic_t stop_signal = 0;

void note_stop_signal(int signal) { stop_signal = signal; }

// SIGINT and SIGTERM only set stop_signal while it lives; the previous handlers come back after.
class StopSignals {
 public:
  StopSignals() {
    stop_signal = 0;
    struct sigaction action {};
    action.sa_handler = note_stop_signal;
    sigemptyset(&action.sa_mask);
    sigaction(SIGINT, &action, &previous_int_);
    sigaction(SIGTERM, &action, &previous_term_);
  }
  ~StopSignals() {
    sigaction(SIGINT, &previous_int_, nullptr);
    sigaction(SIGTERM, &previous_term_, nullptr);
  }
  StopSignals(const StopSignals&) = delete;
  StopSignals& operator=(const StopSignals&) = delete;

 private:
  struct sigaction previous_int_ {};
  struct sigaction previous_term_ {};
};

// One array task as followed.
struct FollowedTask {
  int index = 0;
  std::string run_key;
  int64_t run_id = 0;          // 0: the database has no such run (the sweep file changed)
  std::string label;           // "[task i] <run key> <settings>"
  std::string state;           // the Slurm state last seen; "" before the first poll
  bool settled = false;        // ended, and its journal stored
  std::string status;          // the status this follower stored for its run; "" when none (never started, or
                               // stored so already by an earlier invocation)
  int64_t epochs_shown = -1;   // the epoch last shown
};

// The journal `record`'s job wrote for `run_key`; none when there is none yet or it is another job's.
std::optional<Journal> task_journal(const SlurmJobRecord& record, const std::string& run_key) {
  const std::string path = record.journal_dir + "/" + run_key + ".jsonl";
  if (!std::filesystem::exists(path)) return std::nullopt;
  try {
    Journal journal = read_journal(path);
    if (journal.task.value("slurm_job", "") != record.job_id) return std::nullopt;
    return journal;
  } catch (const std::exception&) {  // its header is being written
    return std::nullopt;
  }
}

// The last event of `kind` in the journal (null when none).
nlohmann::json last_event(const Journal& journal, const std::string& kind) {
  nlohmann::json found;
  for (const auto& line : journal.event_lines) {
    auto event = nlohmann::json::parse(line);
    if (event.value("event", "") == kind) found = std::move(event);
  }
  return found;
}

// The end of Slurm's own output file of a task (where a task that could not start says why).
std::string slurm_output_tail(const SlurmJobRecord& record, int index) {
  std::ifstream in(fmt::format("{}/slurm-{}_{}.out", record.journal_dir, record.job_id, index));
  std::stringstream text;
  text << in.rdbuf();
  const std::string all = text.str();
  return all.size() <= 2000 ? all : all.substr(all.size() - 2000);
}

// "2 PENDING, 1 RUNNING, 1 COMPLETED": the tasks counted by state, in the order the states first appear.
std::string count_states(const std::vector<std::string>& states) {
  std::vector<std::pair<std::string, int>> counts;
  for (const auto& state : states) {
    auto found = std::find_if(counts.begin(), counts.end(), [&](const auto& c) { return c.first == state; });
    if (found == counts.end())
      counts.emplace_back(state, 1);
    else
      ++found->second;
  }
  std::string text;
  for (const auto& [state, count] : counts) text += fmt::format("{}{} {}", text.empty() ? "" : ", ", count, state);
  return text;
}

// Follows one job array: the loop of follow_job_array.
class JobArrayFollower {
 public:
  JobArrayFollower(results::Store& store, int64_t sweep_id, const SlurmJobRecord& record,
                   const std::map<std::string, std::string>& labels, const FollowOptions& options, std::ostream& log)
      : store_(store), record_(record), options_(options), display_(log, options.live_progress) {
    std::map<std::string, int64_t> ids;
    for (const auto& row : store.runs_of(sweep_id)) ids[row.key] = row.id;
    const auto keys = task_run_keys(record);
    for (std::size_t i = 0; i < keys.size(); ++i) {
      FollowedTask task;
      task.index = static_cast<int>(i);
      task.run_key = keys[i];
      task.run_id = ids.count(keys[i]) ? ids.at(keys[i]) : 0;
      const auto label = labels.find(keys[i]);
      task.label = fmt::format("[task {}] {}", i, label == labels.end() ? keys[i] : label->second);
      tasks_.push_back(task);
    }
  }

  SweepOutcome run() {
    const StopSignals signals;
    const auto start = std::chrono::steady_clock::now();
    display_.log(fmt::format("following Slurm job {} ({} tasks, asking squeue every {}s; Ctrl-C stops following, "
                             "not the job)",
                             record_.job_id, tasks_.size(), options_.poll_s));
    SweepOutcome outcome;
    while (!poll_or_wait()) {
      if (!pause()) {
        outcome.stopped_by_signal = true;
        display_.log(fmt::format("stopped following Slurm job {}; its tasks go on: `iddl-sweep run` again follows "
                                 "it, `scancel {}` cancels it",
                                 record_.job_id, record_.job_id));
        break;
      }
    }
    for (const auto& task : tasks_) {
      outcome.done += task.status == to_string(RunStatus::Done) ? 1 : 0;
      outcome.failed += task.status == to_string(RunStatus::Failed) ? 1 : 0;
      outcome.timed_out += task.status == to_string(RunStatus::Timeout) ? 1 : 0;
      outcome.interrupted += task.status == to_string(RunStatus::Interrupted) ? 1 : 0;
    }
    outcome.wall_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    return outcome;
  }

 private:
  // poll(), except that a question Slurm does not answer is asked again at the next poll.
  bool poll_or_wait() {
    try {
      const bool ended = poll();
      unanswered_ = false;
      return ended;
    } catch (const std::runtime_error& e) {
      if (!unanswered_) display_.log(fmt::format("{}; asking again every {}s", e.what(), options_.poll_s));
      unanswered_ = true;
      return false;
    }
  }

  // Asks Slurm once and handles what changed; returns whether every task has ended.
  bool poll() {
    const auto slurm = slurm_array_tasks(record_.job_id);
    std::vector<std::string> states;
    bool all_ended = true;
    for (auto& task : tasks_) {
      const auto found = slurm.find(task.index);
      // A task Slurm no longer lists has ended long ago (MinJobAge): its journal alone tells how.
      const SlurmTask now = found == slurm.end() ? SlurmTask{"ENDED", ""} : found->second;
      const std::string state = now.state == "ENDED" ? "" : now.state;
      states.push_back(now.state);
      if (now.state == "ENDED" || slurm_task_ended(now.state)) {
        // Settled once; again only when Slurm tells another end (not when it merely forgets the task).
        if (!task.settled || (now.state != "ENDED" && task.state != now.state)) settle(task, state);
      } else {
        all_ended = false;
        follow_running(task, now);
      }
      task.state = now.state;
    }
    const std::string summary = count_states(states);
    if (summary != last_summary_) display_.log(fmt::format("Slurm job {}: {}", record_.job_id, summary));
    last_summary_ = summary;
    return all_ended;
  }

  // A task that is pending or running: shows its state changes and the epochs of its journal.
  void follow_running(FollowedTask& task, const SlurmTask& now) {
    const bool was_running = task.state == "RUNNING";
    const bool waits_again = now.state == "PENDING" || now.state.rfind("REQUEUE", 0) == 0;
    if ((task.settled || task.state == "RUNNING" || task.state == "COMPLETING") && waits_again) {
      display_.remove(task.index);
      display_.log(fmt::format("{}: requeued by Slurm: {} ({})", task.label, now.state, now.where));
    }
    task.settled = false;
    if (now.state != "RUNNING") return;
    if (!was_running) {
      if (task.run_id != 0) store_.mark_running(task.run_id);
      task.epochs_shown = -1;
      display_.log(fmt::format("{}: RUNNING on {}", task.label, now.where));
    }
    const auto journal = task_journal(record_, task.run_key);
    if (!journal) return;
    const auto epoch = last_event(*journal, "epoch");
    const int64_t done = epoch.is_null() ? 0 : epoch.value("epoch", int64_t{0});
    if (done == task.epochs_shown) return;
    task.epochs_shown = done;
    const int64_t total = journal->task.at("config").value("epochs", int64_t{0});
    display_.update(task.index,
                    epoch.is_null()
                        ? fmt::format("{}: RUNNING: starting", task.label)
                        : fmt::format("{}: RUNNING: epoch {}/{}  train_loss {:.4f}  test_accuracy {:.2f}%", task.label,
                                      done, total, epoch.value("train_loss", 0.0),
                                      100.0 * epoch.value("test_accuracy", 0.0)));
  }

  // A task that ended in `state` ("" when Slurm no longer knows it): stores its journal.
  void settle(FollowedTask& task, const std::string& state) {
    display_.remove(task.index);
    task.settled = true;
    const std::string shown = state.empty() ? "ended" : state;
    if (task.run_id == 0) {
      display_.log(fmt::format("{}: {}; the database has no run {} (the sweep file changed)", task.label, shown,
                               task.run_key));
      return;
    }
    const auto journal = task_journal(record_, task.run_key);
    if (!journal) {
      if (state.empty() || state == "CANCELLED" || state == "PREEMPTED") {
        display_.log(fmt::format("{}: {} before it started; the run stays as it was", task.label, shown));
        return;
      }
      task.status = to_string(RunStatus::Failed);
      store_.record_failure(task.run_id, RunStatus::Failed, std::nullopt,
                            fmt::format("the Slurm task ended ({}) without writing its journal; see {}/slurm-{}_{}.out",
                                        shown, record_.journal_dir, record_.job_id, task.index),
                            slurm_output_tail(record_, task.index));
      display_.log(fmt::format("{}: {} without a journal: FAILED", task.label, shown));
      return;
    }
    JournalOutcome outcome = journal_outcome(*journal, state);
    if (!store_journal(store_, task.run_id, *journal, outcome)) return;  // stored so already
    task.status = outcome.status;
    if (outcome.status == to_string(RunStatus::Done)) {
      const auto finished = last_event(*journal, "run_finished");
      display_.log(fmt::format("{}: {}: done: test_accuracy {:.2f}%  train_time {:.1f}s", task.label, shown,
                               100.0 * finished.value("test_accuracy", 0.0), finished.value("train_time_s", 0.0)));
    } else {
      display_.log(fmt::format("{}: {}: {}: {}", task.label, shown, outcome.status, outcome.error));
    }
  }

  // Waits options_.poll_s; false when a stop signal came.
  bool pause() const {
    const auto end = std::chrono::steady_clock::now() + std::chrono::duration<double>(options_.poll_s);
    while (std::chrono::steady_clock::now() < end) {
      if (stop_signal != 0) return false;
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    return stop_signal == 0;
  }

  results::Store& store_;
  const SlurmJobRecord& record_;
  const FollowOptions& options_;
  ProgressDisplay display_;
  std::vector<FollowedTask> tasks_;
  std::string last_summary_;
  bool unanswered_ = false;  // the last question to Slurm got no answer
};

}  // namespace

SweepOutcome follow_job_array(results::Store& store, int64_t sweep_id, const SlurmJobRecord& record,
                              const std::map<std::string, std::string>& labels, const FollowOptions& options,
                              std::ostream& log) {
  if (!hardware::find_program("squeue"))
    throw std::runtime_error("squeue is not on PATH: cannot follow Slurm job " + record.job_id);
  return JobArrayFollower(store, sweep_id, record, labels, options, log).run();
}

bool job_array_active(const SlurmJobRecord& record) {
  if (!hardware::find_program("squeue")) return false;
  for (const auto& [index, task] : slurm_array_tasks(record.job_id))
    if (!slurm_task_ended(task.state)) return true;
  return false;
}

std::string job_array_status(const SlurmJobRecord& record) {
  std::string text = fmt::format("Slurm job {} (submitted {}; journals in {})\n", record.job_id, record.submitted_at,
                                 record.journal_dir);
  if (!hardware::find_program("squeue")) return text + "  squeue is not on PATH here: ask Slurm on the cluster\n";
  std::map<int, SlurmTask> slurm;
  try {
    slurm = slurm_array_tasks(record.job_id);
  } catch (const std::runtime_error& e) {
    return text + fmt::format("  {}\n", e.what());
  }
  std::vector<std::string> keys;
  try {
    keys = task_run_keys(record);
  } catch (const std::exception& e) {
    text += fmt::format("  {}\n", e.what());
  }
  std::vector<std::string> states;
  std::string lines;
  for (std::size_t i = 0; i < std::max(keys.size(), slurm.empty() ? 0 : std::size_t(slurm.rbegin()->first + 1)); ++i) {
    const auto found = slurm.find(static_cast<int>(i));
    const SlurmTask task = found == slurm.end() ? SlurmTask{"ENDED", "(no longer known to Slurm)"} : found->second;
    states.push_back(task.state);
    lines += fmt::format("  task {:>3}  {:<20}  {:<10}  {}\n", i, i < keys.size() ? keys[i] : "?", task.state, task.where);
  }
  return text + fmt::format("  tasks: {}\n", count_states(states)) + lines;
}

}  // namespace iddl::launch
