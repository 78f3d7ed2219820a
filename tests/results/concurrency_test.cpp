// Several processes on one database file at once (issue 22 item 2, issue 13 "Concurrency"): writers of
// different sweeps and readers, each a forked process with its own connections, as iddl-sweep and
// iddl-report are. None may see "database is locked", and nothing written is lost.
#include <gtest/gtest.h>

#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <functional>
#include <sstream>
#include <string>
#include <vector>

#include "results/schema.hpp"
#include "results/store.hpp"
#include "results/sweep_status.hpp"
#include "tests/support/temp_dir.hpp"

namespace iddl::results {
namespace {

constexpr int kRunsPerSweep = 4;
constexpr int kEpochsPerRun = 3;

// Runs `work` in a forked process once `go` (a pipe's read end) can be read; the child writes what it
// threw to `error_file` and exits 1, else exits 0.
pid_t fork_worker(int go, const std::string& error_file, const std::function<void()>& work) {
  const pid_t pid = ::fork();
  if (pid != 0) return pid;
  char byte = 0;
  if (::read(go, &byte, 1) < 0) ::_exit(3);
  try {
    work();
  } catch (const std::exception& e) {
    std::ofstream(error_file) << e.what();
    ::_exit(1);
  }
  ::_exit(0);
}

// One sweep written as iddl-sweep writes it: registered, then each run started, its epochs, finished.
void write_sweep(const std::string& path, const std::string& name) {
  Store store(path);
  std::vector<PlannedRunRow> runs;
  for (int i = 0; i < kRunsPerSweep; ++i)
    runs.push_back({name + "-" + std::to_string(i), 0, {{"model", "mlp"}, {"lr", 0.1 * (i + 1)}, {"ranks", 1}}});
  const int64_t sweep = store.register_sweep(name, name + ".toml", runs);
  store.mark_stale_running_interrupted(sweep);
  for (const auto& run : store.runs_of(sweep)) {
    store.mark_running(run.id);
    store.record_started(run.id, {{"host", "here"}});
    for (int epoch = 1; epoch <= kEpochsPerRun; ++epoch)
      store.record_epoch(run.id, {{"epoch", epoch}, {"train_loss", 1.0 / epoch}});
    store.record_finished(run.id, {{"test_accuracy", 0.5}});
  }
}

// Reads as iddl-sweep status and iddl-report do, each time on a new connection, until `stop` exists
// (at most a minute).
void read_until(const std::string& path, const std::string& stop) {
  const auto end = std::chrono::steady_clock::now() + std::chrono::minutes(1);
  while (!std::ifstream(stop) && std::chrono::steady_clock::now() < end) {
    std::ifstream exists(path);
    if (!exists) continue;
    Database db(path, Database::Mode::ReadOnly);
    configure_connection(db);
    if (schema_version(db) != kSchemaVersion) continue;  // the writers have not made the schema yet
    summarize_sweeps(db);
    run_statuses(db, "sweep-a");
  }
}

std::string slurp(const std::string& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

// Starts the workers together (one pipe byte each) and returns their exit codes.
std::vector<int> run_together(const std::vector<std::function<pid_t(int)>>& workers) {
  int go[2];
  if (::pipe(go) != 0) throw std::runtime_error("pipe");
  std::vector<pid_t> pids;
  for (const auto& start : workers) pids.push_back(start(go[0]));
  const std::string bytes(workers.size(), 'g');
  if (::write(go[1], bytes.data(), bytes.size()) != static_cast<ssize_t>(bytes.size())) throw std::runtime_error("write");
  ::close(go[0]);
  ::close(go[1]);
  std::vector<int> codes;
  for (pid_t pid : pids) {
    int status = 0;
    ::waitpid(pid, &status, 0);
    codes.push_back(WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status));
  }
  return codes;
}

TEST(results_concurrency, TwoWritersOfDifferentSweepsOnANewDatabaseBothFinish25Times) {
  for (int round = 0; round < 25; ++round) {
    test_support::TempDir dir;
    const std::string path = dir.file("shared.db");
    const auto codes = run_together({
        [&](int go) { return fork_worker(go, dir.file("a.err"), [&] { write_sweep(path, "sweep-a"); }); },
        [&](int go) { return fork_worker(go, dir.file("b.err"), [&] { write_sweep(path, "sweep-b"); }); },
    });
    ASSERT_EQ(codes, (std::vector<int>{0, 0})) << "round " << round << ": " << slurp(dir.file("a.err")) << " | "
                                               << slurp(dir.file("b.err"));
    Database db(path, Database::Mode::ReadOnly);
    Statement counts = db.prepare(
        "SELECT (SELECT count(*) FROM runs WHERE status = 'done'), (SELECT count(*) FROM epochs), "
        "(SELECT count(*) FROM sweeps)");
    ASSERT_TRUE(counts.step());
    EXPECT_EQ(counts.column_int(0), 2 * kRunsPerSweep) << "round " << round;
    EXPECT_EQ(counts.column_int(1), 2 * kRunsPerSweep * kEpochsPerRun) << "round " << round;
    EXPECT_EQ(counts.column_int(2), 2) << "round " << round;
  }
}

TEST(results_concurrency, ReadersOpeningDuringWritesNeverFail) {
  test_support::TempDir dir;
  const std::string path = dir.file("shared.db");
  const std::string stop = dir.file("stop");
  std::vector<std::function<pid_t(int)>> workers;
  for (const char* reader : {"r1", "r2"})
    workers.push_back([&, reader](int go) {
      return fork_worker(go, dir.file(std::string(reader) + ".err"), [&] { read_until(path, stop); });
    });
  workers.push_back([&](int go) {
    return fork_worker(go, dir.file("w.err"), [&] {
      try {
        for (int i = 0; i < 15; ++i) write_sweep(path, "sweep-" + std::to_string(i));  // opens and closes 15 times
      } catch (const std::exception&) {
        std::ofstream(stop) << "failed";
        throw;
      }
      std::ofstream(stop) << "done";
    });
  });
  const auto codes = run_together(workers);
  EXPECT_EQ(codes, (std::vector<int>{0, 0, 0})) << slurp(dir.file("r1.err")) << " | " << slurp(dir.file("r2.err"))
                                                << " | " << slurp(dir.file("w.err"));
}

}  // namespace
}  // namespace iddl::results
