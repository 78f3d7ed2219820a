#include "runners/launch/journal_collect.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <stdexcept>

#include "matrix/run_key.hpp"
#include "results/sqlite.hpp"
#include "results/store.hpp"
#include "runners/launch/run_recorder.hpp"
#include "runners/launch/sweep_lock.hpp"

namespace iddl::launch {
namespace fs = std::filesystem;
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

// The stored runs of the sweep `sweep_id` by run key.
std::map<std::string, StoredRun> stored_runs(const std::string& db_path, int64_t sweep_id) {
  results::Database db(db_path, results::Database::Mode::ReadOnly);
  auto rows = db.prepare(
      "SELECT id, run_key, status, error, (SELECT COUNT(*) FROM epochs WHERE epochs.run_id = runs.id) FROM runs "
      "WHERE sweep_id = ?");
  rows.bind_int(1, sweep_id);
  std::map<std::string, StoredRun> runs;
  while (rows.step())
    runs[rows.column_text(1)] = {rows.column_int(0), {rows.column_text(2), rows.column_text(3)}, rows.column_int(4)};
  return runs;
}

// The task header of a journal (its first line); throws naming the file when it is not one.
nlohmann::json read_header(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw std::runtime_error(fmt::format("cannot open the journal '{}'", path));
  std::string line;
  std::getline(in, line);
  const auto task = nlohmann::json::parse(line, nullptr, false);
  if (task.is_discarded() || !task.is_object() || task.value("event", "") != "task" || !task.contains("run_key") ||
      !task.contains("sweep") || !task.contains("config"))
    throw std::runtime_error(fmt::format("{}:1: not an IDDL journal (its first line is not a task header)", path));
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
  while (std::getline(in, line)) {
    const auto event = nlohmann::json::parse(line, nullptr, false);
    if (event.is_discarded() || !event.is_object()) continue;  // a line cut short by a killed task
    if (event.value("event", "") == "task_exit") {
      journal.exit_code = event.value("exit_code", 1);
      journal.stderr_tail = event.value("stderr_tail", "");
    } else {
      journal.event_lines.push_back(line);
    }
  }
  return journal;
}

JournalOutcome journal_outcome(const Journal& journal) {
  bool finished = false;
  std::string error;
  for (const auto& line : journal.event_lines) {
    const auto event = nlohmann::json::parse(line);
    const std::string kind = event.value("event", "");
    finished = finished || kind == "run_finished";
    if (kind == "error" && error.empty()) error = event.value("message", "");
  }
  if (finished && journal.exit_code.value_or(0) == 0) return {"done", ""};
  if (!error.empty()) return {"failed", error};
  if (!journal.exit_code) return {"failed", "no run_finished: the journal ends early (the task was killed or still runs)"};
  if (*journal.exit_code != 0) return {"failed", fmt::format("iddl-train exited with code {}", *journal.exit_code)};
  return {"failed", "iddl-train exited without reporting run_finished"};
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
  std::map<std::string, std::map<std::string, StoredRun>> stored;  // sweep -> run key -> stored run
  for (const auto& [sweep, runs] : sweeps)
    stored[sweep] = stored_runs(db_path, store.register_sweep(sweep, files.at(sweep), runs));

  CollectOutcome outcome;
  for (const auto& path : paths) {
    const Journal journal = read_journal(path);
    const StoredRun& run =
        stored.at(journal.task.at("sweep").get<std::string>()).at(current_run_key(journal.task));
    const JournalOutcome result = journal_outcome(journal);
    if (run.outcome.status == result.status && run.outcome.error == result.error && run.epochs == journal_epochs(journal)) {
      ++outcome.unchanged;
      continue;
    }
    store.mark_running(run.id);
    RunRecorder recorder(store, run.id, nullptr);
    for (const auto& line : journal.event_lines) recorder.on_line(line);
    if (result.status == "done") {
      ++outcome.done;
    } else {
      ++outcome.failed;
      store.record_failure(run.id, "failed", journal.exit_code, result.error, journal.stderr_tail);
    }
    log << fmt::format("{}: {}{}", journal.path, result.status, result.error.empty() ? "" : ": " + result.error)
        << std::endl;
  }
  log << fmt::format("collected {} journal(s) into {}: {} done, {} failed, {} unchanged", paths.size(), db_path,
                     outcome.done, outcome.failed, outcome.unchanged)
      << std::endl;
  return outcome;
}

}  // namespace iddl::launch
