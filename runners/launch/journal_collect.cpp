#include "runners/launch/journal_collect.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <limits>
#include <map>
#include <memory>
#include <stdexcept>

#include "hardware/program_output.hpp"
#include "matrix/config.hpp"
#include "matrix/run_key.hpp"
#include "matrix/json_text.hpp"
#include "matrix/settings.hpp"
#include "matrix/sweep_file.hpp"
#include "results/sqlite.hpp"
#include "results/store.hpp"
#include "runners/launch/run_recorder.hpp"
#include "runners/launch/slurm_queue.hpp"
#include "runners/launch/sweep_lock.hpp"

namespace iddl::launch {
namespace fs = std::filesystem;
using results::RunStatus;
namespace {

// The journals of `dirs`, sorted by path.
std::vector<std::string> journal_paths(const std::vector<std::string>& dirs) {
  std::vector<std::string> paths;
  for (const auto& dir : dirs) {
    if (!fs::is_directory(dir)) throw std::runtime_error(fmt::format("no journal folder '{}'", dir));
    for (const auto& entry : fs::directory_iterator(dir))
      if (entry.is_regular_file() && entry.path().extension() == ".jsonl") paths.push_back(entry.path().string());
  }
  std::sort(paths.begin(), paths.end());
  return paths;
}

// A run as stored: its row id, status, error ("" for NULL) and epochs.
struct StoredRun {
  int64_t id = 0;
  JournalOutcome outcome;
  int64_t epochs = 0;
};

// The stored run with row id `run_id`.
StoredRun stored_run(const std::string& db_path, int64_t run_id) {
  results::Database db(db_path, results::Database::Mode::ReadOnly);
  auto rows = db.prepare(
      "SELECT id, status, error, (SELECT COUNT(*) FROM epochs WHERE epochs.run_id = runs.id) FROM runs WHERE id = ?");
  rows.bind_int(1, run_id);
  if (!rows.step()) throw std::runtime_error(fmt::format("{}: no run with id {}", db_path, run_id));
  return {rows.column_int(0), {rows.column_text(1), rows.column_text(2)}, rows.column_int(3)};
}

// The run ids of the sweep `sweep_id` by run key.
std::map<std::string, int64_t> run_ids(results::Store& store, int64_t sweep_id) {
  std::map<std::string, int64_t> ids;
  for (const auto& row : store.runs_of(sweep_id)) ids[row.key] = row.id;
  return ids;
}

// The Slurm state of the task that wrote `journal` ("" when its header names no job or Slurm cannot be asked);
// `jobs` caches each job's tasks.
std::string slurm_state_of(const Journal& journal, std::map<std::string, std::map<int, SlurmTask>>& jobs) {
  const std::string job = journal.task.value("slurm_job", "");
  const int index = journal.task.value("slurm_task", -1);
  if (job.empty() || index < 0 || !hardware::find_program("squeue")) return "";
  if (jobs.count(job) == 0) {
    try {
      jobs[job] = slurm_array_tasks(job);
    } catch (const std::runtime_error&) {  // no answer from Slurm: the journal alone decides
      jobs[job] = {};
    }
  }
  const auto found = jobs[job].find(index);
  return found == jobs[job].end() ? "" : found->second.state;
}

// The task header of a journal (its first line); throws naming the file when it is not one.
nlohmann::json read_header(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw std::runtime_error(fmt::format("cannot open the journal '{}'", path));
  std::string line;
  std::getline(in, line);
  const auto task = matrix::parse_json_or_discarded(line);
  if (task.is_discarded() || !task.is_object() || task.value("event", nlohmann::json()) != "task" ||
      !task.contains("run_key") || !task.contains("sweep") || !task.contains("config"))
    throw std::runtime_error(fmt::format("{}:1: not an IDDL journal (its first line is not a task header)", path));
  const auto refuse = [&](const std::string& why) {
    throw std::runtime_error(fmt::format("{}:1: the task header's {}", path, why));
  };
  for (const char* name : {"sweep", "run_key"})
    if (!task[name].is_string() || task[name].get<std::string>().empty())
      refuse(fmt::format("\"{}\" must be a non-empty string, got {}", name, task[name].dump()));
  if (!matrix::valid_sweep_name(task["sweep"].get<std::string>()))
    refuse("\"sweep\" must be letters, digits, '_', '.' and '-', got " + task["sweep"].dump());
  if (task.contains("sweep_file") && !task["sweep_file"].is_string())
    refuse("\"sweep_file\" must be a string, got " + task["sweep_file"].dump());
  if (task.contains("repeat") && !(task["repeat"].is_number_integer() && task["repeat"].get<int64_t>() >= 0 &&
                                   task["repeat"].get<int64_t>() <= std::numeric_limits<int>::max()))
    refuse("\"repeat\" must be an integer >= 0, got " + task["repeat"].dump());
  try {
    matrix::resolve_config(task["config"]);
  } catch (const matrix::ConfigError& e) {
    refuse(std::string("config: ") + e.what());
  }
  return task;
}

// The epoch events of a journal.
int64_t journal_epochs(const Journal& journal) {
  return std::count_if(journal.event_lines.begin(), journal.event_lines.end(), [](const std::string& line) {
    return nlohmann::json::parse(line).value("event", "") == "epoch";
  });
}

// A journal's run key under this release's key version, from its config: a journal written by an
// earlier release holds the key that release made.
std::string current_run_key(const nlohmann::json& task) { return matrix::run_key(task.at("config")); }

}  // namespace

Journal read_journal(const std::string& path) {
  Journal journal;
  journal.path = path;
  journal.task = read_header(path);
  std::ifstream in(path);
  std::string line;
  std::getline(in, line);
  for (int number = 2; std::getline(in, line); ++number) {
    const auto event = matrix::parse_json_or_discarded(line);
    // Not an event: a line cut short by a killed task, or one iddl-train would never print.
    if (event.is_discarded() || !event.is_object() || !event.contains("event") || !event["event"].is_string()) continue;
    if (event["event"] != "task_exit") {
      journal.event_lines.push_back(line);
      continue;
    }
    const auto code = event.find("exit_code");
    if (code == event.end() || !code->is_number_integer() || code->get<int64_t>() < 0 || code->get<int64_t>() > 255)
      throw std::runtime_error(fmt::format("{}:{}: the task_exit line's \"exit_code\" must be an integer 0-255, got {}",
                                           path, number, code == event.end() ? "none" : code->dump()));
    journal.exit_code = static_cast<int>(code->get<int64_t>());
    const auto tail = event.find("stderr_tail");
    journal.stderr_tail = tail == event.end() ? "" : tail->is_string() ? tail->get<std::string>() : tail->dump();
  }
  return journal;
}

JournalOutcome journal_outcome(const Journal& journal, const std::string& slurm_state) {
  bool finished = false;
  std::string error;
  for (const auto& line : journal.event_lines) {
    const auto event = nlohmann::json::parse(line);
    const std::string kind = event.value("event", "");
    finished = finished || kind == "run_finished";
    const auto message = event.find("message");
    if (kind == "error" && error.empty() && message != event.end())
      error = message->is_string() ? message->get<std::string>() : message->dump();
  }
  if (finished && journal.exit_code.value_or(0) == 0) return {to_string(RunStatus::Done), ""};
  if (!slurm_state.empty() && !slurm_task_ended(slurm_state)) return {to_string(RunStatus::Running), ""};
  if (slurm_state == "TIMEOUT") return {to_string(RunStatus::Timeout), "the Slurm task exceeded its time limit (sbatch --time)"};
  if (slurm_state == "CANCELLED" || slurm_state == "PREEMPTED")
    return {to_string(RunStatus::Interrupted), fmt::format("the Slurm task was {} (scancel or preemption)", slurm_state == "CANCELLED" ? "cancelled" : "preempted")};
  if (!error.empty()) return {to_string(RunStatus::Failed), error};
  if (!journal.exit_code) {
    if (!slurm_state.empty() && slurm_state != "COMPLETED" && slurm_state != "FAILED")
      return {to_string(RunStatus::Failed), fmt::format("Slurm ended the task: {}", slurm_state)};
    return {to_string(RunStatus::Failed), "no run_finished: the journal ends early (the task was killed or still runs)"};
  }
  if (*journal.exit_code != 0) return {to_string(RunStatus::Failed), fmt::format("iddl-train exited with code {}", *journal.exit_code)};
  return {to_string(RunStatus::Failed), "iddl-train exited without reporting run_finished"};
}

bool store_journal(results::Store& store, int64_t run_id, const Journal& journal, JournalOutcome& outcome) {
  const StoredRun run = stored_run(store.path(), run_id);
  if (run.outcome.status == outcome.status && run.outcome.error == outcome.error && run.epochs == journal_epochs(journal))
    return false;
  store.mark_running(run_id);
  RunRecorder recorder(store, run_id, nullptr);
  for (const auto& line : journal.event_lines) recorder.on_line(line);
  if (outcome.status == to_string(RunStatus::Done) && !recorder.finished()) outcome = {to_string(RunStatus::Failed), recorder.error()};  // an event refused
  if (outcome.status != to_string(RunStatus::Done) && outcome.status != to_string(RunStatus::Running))
    store.record_failure(run_id, results::parse_run_status(outcome.status), journal.exit_code, outcome.error, journal.stderr_tail);
  return true;
}

CollectOutcome collect_journals(const std::string& db_path, const std::vector<std::string>& dirs, std::ostream& log) {
  const auto paths = journal_paths(dirs);
  std::map<std::string, std::vector<results::PlannedRunRow>> sweeps;  // sweep -> the runs of its journals
  std::map<std::string, std::string> files;                           // sweep -> its file
  for (const auto& path : paths) {
    const auto task = read_header(path);
    const std::string sweep = task.at("sweep").get<std::string>();
    sweeps[sweep].push_back({current_run_key(task), task.value("repeat", 0), task.at("config")});
    files.emplace(sweep, task.value("sweep_file", ""));
  }
  std::vector<std::unique_ptr<SweepLock>> locks;
  for (const auto& [sweep, runs] : sweeps) locks.push_back(std::make_unique<SweepLock>(db_path, sweep));

  results::Store store(db_path);
  std::map<std::string, std::map<std::string, int64_t>> ids;  // sweep -> run key -> run id
  for (const auto& [sweep, runs] : sweeps) ids[sweep] = run_ids(store, store.register_sweep(sweep, files.at(sweep), runs));

  CollectOutcome outcome;
  std::map<std::string, std::map<int, SlurmTask>> jobs;  // the Slurm jobs asked about, by id
  for (const auto& path : paths) {
    const Journal journal = read_journal(path);
    const int64_t run_id =
        ids.at(journal.task.at("sweep").get<std::string>()).at(current_run_key(journal.task));
    JournalOutcome result = journal_outcome(journal);
    if (result.status != to_string(RunStatus::Done)) result = journal_outcome(journal, slurm_state_of(journal, jobs));
    if (!store_journal(store, run_id, journal, result)) {
      ++outcome.unchanged;
      continue;
    }
    ++(result.status == to_string(RunStatus::Done)       ? outcome.done
       : result.status == to_string(RunStatus::Timeout)  ? outcome.timed_out
       : result.status == to_string(RunStatus::Interrupted) ? outcome.interrupted
       : result.status == to_string(RunStatus::Running)  ? outcome.running
                                     : outcome.failed);
    log << fmt::format("{}: {}{}", journal.path, result.status, result.error.empty() ? "" : ": " + result.error)
        << std::endl;
  }
  log << fmt::format("collected {} journal(s) into {}: {} done, {} failed, {} unchanged, {} timed out, {} interrupted, "
                     "{} still running",
                     paths.size(), db_path, outcome.done, outcome.failed, outcome.unchanged, outcome.timed_out,
                     outcome.interrupted, outcome.running)
      << std::endl;
  return outcome;
}

}  // namespace iddl::launch
