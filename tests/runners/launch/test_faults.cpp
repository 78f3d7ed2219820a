// Faults a hostile user can cause, each through the built tools on real files and processes (issue 22):
// the sweep lock whatever path names the database, two sweeps on one database, signals and a killed
// orchestrator, launch failures, absurd durations and ranks, command-line errors, bad paths.
#include <signal.h>
#include <sys/mount.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include <boost/process.hpp>

#include "results/store.hpp"
#include "tests/support/sweep_folder.hpp"

namespace fs = std::filesystem;
using namespace iddl::testing;

namespace {

const std::string kSweepExe = std::string(IDDL_BIN_DIR) + "/iddl-sweep";
const std::string kReportExe = std::string(IDDL_BIN_DIR) + "/iddl-report";

// A tiny sweep on generated data; `matrix` holds the [matrix] lines, `seed` keeps run keys (which appear in
// the processes' arguments) apart between tests running at the same time.
std::string tiny_sweep(const std::string& name, int seed, const std::string& matrix, const std::string& extra = "") {
  return "[sweep]\nname = \"" + name + "\"\n[base]\ndataset = \"synthetic\"\ntrain_samples = 256\n"
         "test_samples = 64\nhidden = [16]\nbatch_size = 32\nthreads = 1\nseed = " + std::to_string(seed) +
         "\n" + extra + "[matrix]\n" + matrix + "\n";
}

bool contains(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

// A read-only bind mount of `source` at `target`, unmounted when it goes.
class ReadOnlyMount {
 public:
  ReadOnlyMount(const fs::path& source, const fs::path& target) : target_(target) {
    if (::mount(source.c_str(), target.c_str(), nullptr, MS_BIND, nullptr) != 0) {
      error_ = std::string("mount --bind: ") + std::strerror(errno);
      return;
    }
    mounted_ = true;
    if (::mount(nullptr, target.c_str(), nullptr, MS_REMOUNT | MS_BIND | MS_RDONLY, nullptr) != 0)
      error_ = std::string("mount -o remount,ro,bind: ") + std::strerror(errno);
  }
  ~ReadOnlyMount() {
    if (mounted_) ::umount2(target_.c_str(), MNT_DETACH);
  }
  const std::string& error() const { return error_; }  // "" once mounted read-only

 private:
  fs::path target_;
  bool mounted_ = false;
  std::string error_;
};

// A results database at path with one done run of sweep "kept", its connection closed (no -wal, no -shm left).
void write_done_sweep(const fs::path& path) {
  iddl::results::Store store(path.string());
  const nlohmann::json none = {{"method", "none"}};
  const nlohmann::json config = {{"dataset", "synthetic"}, {"model", "mlp"},     {"sparsification", none},
                                 {"vertical", none},       {"horizontal", none}, {"compression", none},
                                 {"parallelism", {{"method", "single"}}},        {"ranks", 1},
                                 {"seed", 1},              {"epochs", 1},        {"batch_size", 32},
                                 {"lr", 0.1}};
  const int64_t sweep = store.register_sweep("kept", "kept.toml", {{"k1", 0, config}});
  const int64_t run = store.runs_of(sweep).at(0).id;
  store.mark_running(run);
  store.record_epoch(run, {{"epoch", 1}, {"train_loss", 0.5}});
  store.record_finished(run, {{"test_accuracy", 0.75}});
}

// The read-side commands a user runs on a database someone else wrote.
std::vector<std::vector<std::string>> read_commands(const fs::path& db) {
  return {{kReportExe, "markdown", "--db", db.string()},
          {kReportExe, "query", "--db", db.string(), "SELECT status, test_accuracy FROM runs"},
          {kSweepExe, "status", "--db", db.string()},
          {kSweepExe, "list", "--db", db.string()}};
}

class Faults : public SweepFolderTest {
 protected:
  // Starts iddl-sweep in the background with its output in `log`.
  boost::process::child start(const std::vector<std::string>& args, const fs::path& log) {
    return boost::process::child(kSweepExe, boost::process::args(args), boost::process::std_out > log.string(),
                                 boost::process::std_err > log.string() + ".err");
  }
  std::string first_cell(const std::string& sql) {
    const auto rows = query(db, sql);
    return rows.empty() ? "" : rows[0][0];
  }
  long long number(const std::string& sql) {
    const std::string cell = first_cell(sql);
    return cell.empty() || cell == "NULL" ? -1 : std::stoll(cell);
  }
  // The sweep's text from its log file.
  static std::string slurp(const fs::path& path) {
    std::ifstream in(path);
    return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  }
};

}  // namespace

// Item 1: a second process through a symlink, a path with "..", a file: URI or the same path is refused
// with the holder's pid and host, and never touches the first one's run; a hard link is refused too.
TEST_F(Faults, TheSweepLockHoldsTheDatabaseFileWhateverPathNamesIt) {
  const auto file = write("held.toml", tiny_sweep("held", 201, "epochs = [100000]"));
  auto first = start({"run", file.string(), "--db", db.string()}, dir / "first.log");
  ASSERT_TRUE(eventually([&] { return number("SELECT COUNT(*) FROM epochs") >= 1; }, std::chrono::seconds(120)))
      << slurp(dir / "first.log") << slurp(dir / "first.log.err");
  fs::create_symlink(db, dir / "link.db");
  fs::create_directories(dir / "sub");
  for (const std::string& alias : {db.string(), (dir / "link.db").string(), (dir / "sub" / ".." / "results.db").string(),
                                   "file:" + db.string(), "file:" + (dir / "link.db").string()}) {
    const auto second = sweep({"run", file.string(), "--db", alias, "--timeout", "5"});
    EXPECT_EQ(second.exit_code, 3) << alias << "\n" << second.out << second.err;
    EXPECT_TRUE(contains(second.err, "sweep 'held' is already being run on " + db.string())) << second.err;
    EXPECT_TRUE(contains(second.err, "by pid " + std::to_string(first.id()) + " on host ")) << second.err;
  }
  fs::create_hard_link(db, dir / "hard.db");
  const auto hard = sweep({"run", file.string(), "--db", (dir / "hard.db").string(), "--timeout", "5"});
  EXPECT_EQ(hard.exit_code, 2) << hard.out << hard.err;
  EXPECT_TRUE(contains(hard.err, "has 2 hard links")) << hard.err;
  fs::remove(dir / "hard.db");

  EXPECT_EQ(first_cell("SELECT status FROM runs"), "running") << "a second process touched the first one's run";
  const long long epochs = number("SELECT COUNT(*) FROM epochs");
  EXPECT_TRUE(eventually([&] { return number("SELECT COUNT(*) FROM epochs") > epochs; }, std::chrono::seconds(30)))
      << "the first run stopped recording epochs";
  ::kill(first.id(), SIGINT);
  first.wait();
  EXPECT_EQ(first.exit_code(), 130);
  EXPECT_EQ(first_cell("SELECT status FROM runs"), "interrupted");
  EXPECT_EQ(number("SELECT COUNT(*) FROM sweep_locks"), 0) << "the holder's row outlived it";
}

// Issue 13 and item 2: two different sweeps started together on one new database both finish with every
// run stored, while iddl-sweep status and iddl-report read it over and over without a single failure.
TEST_F(Faults, TwoSweepsOnOneDatabaseBothFinishWhileReadersRead) {
  const auto a = write("a.toml", tiny_sweep("first", 211, "epochs = [1, 2]"));
  const auto b = write("b.toml", tiny_sweep("second", 212, "epochs = [1, 2]"));
  auto one = start({"run", a.string(), "--db", db.string()}, dir / "a.log");
  auto two = start({"run", b.string(), "--db", db.string()}, dir / "b.log");
  int reads = 0;
  std::vector<std::string> failures;
  while (one.running() || two.running()) {
    for (const auto& argv : std::vector<std::vector<std::string>>{{kSweepExe, "status", "--db", db.string()},
                                                                  {kReportExe, "json", "--db", db.string()}}) {
      if (!fs::exists(db)) continue;
      const auto read = invoke(argv);
      ++reads;
      // Before the writers made the schema, a reader is told the file is not (yet) at the current version.
      if (read.exit_code != 0 && !contains(read.err, "schema version")) failures.push_back(read.err);
    }
  }
  one.wait();
  two.wait();
  EXPECT_EQ(one.exit_code(), 0) << slurp(dir / "a.log") << slurp(dir / "a.log.err");
  EXPECT_EQ(two.exit_code(), 0) << slurp(dir / "b.log") << slurp(dir / "b.log.err");
  EXPECT_EQ(query(db, "SELECT s.name, COUNT(*) FROM runs r JOIN sweeps s ON s.id = r.sweep_id "
                      "WHERE r.status = 'done' GROUP BY s.name ORDER BY s.name"),
            (std::vector<std::vector<std::string>>{{"first", "2"}, {"second", "2"}}));
  EXPECT_EQ(number("SELECT COUNT(*) FROM epochs"), 6);
  EXPECT_EQ(first_cell("PRAGMA integrity_check"), "ok");
  EXPECT_GT(reads, 4);
  EXPECT_TRUE(failures.empty()) << failures.size() << " of " << reads << " reads failed, e.g.: " << failures[0];
}

// Item 7: SIGHUP (a closed terminal) stops the runs like SIGINT and SIGTERM: interrupted, no exit code
// stored (item 10), no process of the run left.
TEST_F(Faults, SighupStopsTheRunsAndMarksThemInterrupted) {
  const auto file = write("hup.toml", tiny_sweep("hup", 221, "epochs = [100000, 1]"));
  auto background = start({"run", file.string(), "--db", db.string()}, dir / "run.log");
  ASSERT_TRUE(eventually([&] { return number("SELECT COUNT(*) FROM epochs") >= 1; }, std::chrono::seconds(120)));
  const std::string key = first_cell("SELECT run_key FROM runs WHERE epochs = 100000");
  ::kill(background.id(), SIGHUP);
  background.wait();
  EXPECT_EQ(background.exit_code(), 130) << slurp(dir / "run.log");
  EXPECT_TRUE(contains(slurp(dir / "run.log"), "received SIGHUP")) << slurp(dir / "run.log");
  EXPECT_EQ(query(db, "SELECT epochs, status, exit_code FROM runs ORDER BY id"),
            (std::vector<std::vector<std::string>>{{"100000", "interrupted", "NULL"}, {"1", "pending", "NULL"}}));
  EXPECT_TRUE(processes_mentioning(key).empty());
}

// Item 7: after kill -9 of iddl-sweep, its run's mpirun and ranks are gone within a few seconds, even in
// the middle of a long epoch (they used to train on until their next write), so a rerun never trains the
// same run twice at once.
TEST_F(Faults, KillNineOfTheSweepLeavesNoRankTraining) {
  // Batches of one sample with an allreduce per step: an epoch writes nothing for many seconds.
  const auto file = write("orphan.toml",
                          "[sweep]\nname = \"orphan\"\n[base]\ndataset = \"synthetic\"\ntrain_samples = 16384\n"
                          "test_samples = 64\nhidden = [16]\nbatch_size = 1\nthreads = 1\nseed = 231\n"
                          "parallelism = \"sync\"\nranks = 2\n[matrix]\nepochs = [100000]\n");
  auto background = start({"run", file.string(), "--db", db.string()}, dir / "run.log");
  ASSERT_TRUE(eventually([&] { return number("SELECT COUNT(*) FROM runs WHERE host IS NOT NULL") == 1; },
                         std::chrono::seconds(120)));
  const std::string key = first_cell("SELECT run_key FROM runs");
  ASSERT_GE(processes_mentioning(key).size(), 3u) << "mpirun and two ranks";
  ::kill(background.id(), SIGKILL);
  background.wait();
  EXPECT_TRUE(eventually([&] { return processes_mentioning(key).empty(); }, std::chrono::seconds(3)))
      << processes_mentioning(key).size() << " processes of the run outlived the killed iddl-sweep by 3 s";
  EXPECT_EQ(number("SELECT COUNT(*) FROM epochs"), 0) << "the first epoch was meant to be long";
  for (const auto& pid : processes_mentioning(key)) ::kill(std::stoi(pid), SIGKILL);  // what a failed check left
}

// Whether process `pid` still runs (a zombie no longer does: it waits only for its parent to reap it).
bool is_running(const std::string& pid) {
  std::ifstream stat("/proc/" + pid + "/stat");
  std::string line;
  if (!std::getline(stat, line)) return false;
  const auto close = line.rfind(')');
  return close != std::string::npos && close + 2 < line.size() && line[close + 2] != 'Z';
}

// A run of sweep `name` checkpointed every epoch under mpirun on 2 ranks, 6 epochs of 128 steps (an allreduce each);
// IDDL_TEST_PAUSE_AFTER_EPOCH holds it after its first checkpoint, so iddl-sweep is stopped before its end.
std::string checkpointed_sweep(const std::string& name, int seed) {
  return "[sweep]\nname = \"" + name + "\"\n[base]\ndataset = \"synthetic\"\ntrain_samples = 512\n"
         "test_samples = 64\nhidden = [64]\nbatch_size = 4\nlr = 0.01\nthreads = 1\nparallelism = \"sync\"\nranks = 2\n"
         "checkpoint_every = 1\nseed = " + std::to_string(seed) + "\n[matrix]\nepochs = [6]\n";
}

// Issue 21: iddl-sweep stopped after a run's first complete checkpoint, then run again.
class StoppedSweep : public Faults {
 protected:
  // Stops iddl-sweep with `signal` once the run's epoch 1 is checkpointed on both ranks (they pause there). Its mpirun and ranks (by
  // pid) are gone within 5 s, the checkpoint stays and the run's status is `status_after` (a SIGKILLed iddl-sweep
  // records nothing: its run stays 'running'). A rerun resumes from the checkpoint and ends done with every epoch
  // stored once, leaving no checkpoint folder behind.
  void stop_after_first_checkpoint_then_rerun(const std::string& name, int seed, int signal,
                                              const std::string& status_after) {
    const auto file = write(name + ".toml", checkpointed_sweep(name, seed));
    ::setenv("IDDL_TEST_PAUSE_AFTER_EPOCH", "1", 1);  // the ranks hold after epoch 1's checkpoint
    auto background = start({"run", file.string(), "--db", db.string()}, dir / "first.log");
    ::unsetenv("IDDL_TEST_PAUSE_AFTER_EPOCH");
    const fs::path root = db.string() + ".checkpoints";
    std::string key;
    const auto checkpointed = [&] {
      if (key.empty()) key = first_cell("SELECT run_key FROM runs WHERE status = 'running'");
      return !key.empty() && fs::exists(root / name / key / "epoch1" / "rank0.pt") &&
             fs::exists(root / name / key / "epoch1" / "rank1.pt");
    };
    ASSERT_TRUE(eventually(checkpointed, std::chrono::seconds(120)))
        << slurp(dir / "first.log") << slurp(dir / "first.log.err");
    const std::vector<std::string> pids = processes_mentioning(key);
    ASSERT_GE(pids.size(), 3u) << "mpirun and two ranks";
    ::kill(background.id(), signal);
    background.wait();
    EXPECT_NE(background.exit_code(), 0);
    const auto survivors = [&] {
      std::vector<std::string> left;
      for (const auto& pid : pids)
        if (is_running(pid)) left.push_back(pid);
      return left;
    };
    EXPECT_TRUE(eventually([&] { return survivors().empty(); }, std::chrono::seconds(5)))
        << survivors().size() << " of the run's " << pids.size() << " processes outlived iddl-sweep by 5 s";
    for (const auto& pid : survivors()) ::kill(std::stoi(pid), SIGKILL);  // what a failed check left
    EXPECT_EQ(first_cell("SELECT status FROM runs"), status_after) << slurp(dir / "first.log");
    EXPECT_LT(number("SELECT COUNT(*) FROM epochs"), 6) << "the run was meant to be stopped before its end";
    EXPECT_TRUE(fs::exists(root / name / key)) << "the stopped run's checkpoints were deleted";

    const auto rerun = sweep({"run", file.string(), "--db", db.string()});
    ASSERT_EQ(rerun.exit_code, 0) << rerun.out << rerun.err;
    EXPECT_EQ(first_cell("SELECT status FROM runs"), "done");
    EXPECT_GT(number("SELECT resumed_from_epoch FROM runs"), 0) << rerun.out;
    EXPECT_EQ(query(db, "SELECT COUNT(*), COUNT(DISTINCT epoch), MIN(epoch), MAX(epoch) FROM epochs"),
              (std::vector<std::vector<std::string>>{{"6", "6", "1", "6"}}));
    EXPECT_FALSE(fs::exists(root)) << "empty checkpoint folders were left behind";
    EXPECT_EQ(number("SELECT COUNT(*) FROM artifacts"), 0);
  }
};

// Issue 21: iddl-train stops (SIGTERM) as soon as the launcher its environment names is gone, rather than training on
// until mpirun, which takes over a second, stops it.
TEST_F(Faults, IddlTrainStopsWhenItsLauncherIsGone) {
  namespace bp = boost::process;
  bp::child launcher("/bin/sleep", "600");
  char host[256] = {};
  ::gethostname(host, sizeof host - 1);
  const std::string spec =
      R"({"sweep": "watched", "run_key": "watched271", "repeat": 0, "config": {"dataset": "synthetic",
          "train_samples": 2048, "test_samples": 64, "hidden": [16], "batch_size": 4, "threads": 1, "seed": 271,
          "epochs": 100000}})";
  bp::ipstream events;
  bp::child train(std::string(IDDL_BIN_DIR) + "/iddl-train", "--spec-json", spec,
                  bp::env["IDDL_LAUNCHER_PID"] = std::to_string(launcher.id()),
                  bp::env["IDDL_LAUNCHER_HOST"] = std::string(host), bp::std_out > events,
                  bp::std_err > (dir / "train.err").string());
  std::string line;
  while (std::getline(events, line) && !contains(line, "\"event\":\"epoch\"")) {
  }
  ASSERT_TRUE(contains(line, "\"event\":\"epoch\"")) << line << slurp(dir / "train.err");
  launcher.terminate();
  launcher.wait();
  const bool stopped = train.wait_for(std::chrono::seconds(60));
  if (!stopped) train.terminate();
  ASSERT_TRUE(stopped) << "iddl-train trained on after its launcher was gone";
  EXPECT_TRUE(WIFSIGNALED(train.native_exit_code())) << train.native_exit_code();
  EXPECT_EQ(WTERMSIG(train.native_exit_code()), SIGTERM);
}

TEST_F(StoppedSweep, KillNineAfterACheckpointLeavesNoProcessAndTheRerunResumes) {
  stop_after_first_checkpoint_then_rerun("lifecycle_kill", 261, SIGKILL, "running");
}

TEST_F(StoppedSweep, SigtermAfterACheckpointRecordsTheRunInterruptedAndTheRerunResumes) {
  stop_after_first_checkpoint_then_rerun("lifecycle_term", 262, SIGTERM, "interrupted");
}

// Item 4: a run that cannot be started (no mpirun) is recorded failed with the reason, no exit code, and
// the sweep goes on to its other runs; nothing is left 'running'.
TEST_F(Faults, ARunThatCannotStartIsRecordedFailedAndTheSweepGoesOn) {
  const auto file = write("nompi.toml", tiny_sweep("nompi", 241, "epochs = [1, 2]"));
  const auto missing = sweep({"run", file.string(), "--db", db.string(), "--mpirun", (dir / "no-mpirun").string()});
  EXPECT_EQ(missing.exit_code, 1) << missing.out << missing.err;
  const auto rows = query(db, "SELECT status, exit_code, error FROM runs ORDER BY id");
  ASSERT_EQ(rows.size(), 2u);
  for (const auto& row : rows) {
    EXPECT_EQ(row[0], "failed");
    EXPECT_EQ(row[1], "NULL");
    EXPECT_TRUE(contains(row[2], "cannot start the run")) << row[2];
  }
  const auto no_path = invoke({"/usr/bin/env", "PATH=" + dir.string(), kSweepExe, "run", file.string(), "--db",
                               db.string(), "--retry-failed"});
  EXPECT_EQ(no_path.exit_code, 1) << no_path.out << no_path.err;
  EXPECT_EQ(query(db, "SELECT DISTINCT status, error FROM runs"),
            (std::vector<std::vector<std::string>>{{"failed", "cannot start the run: cannot find 'mpirun' on PATH"}}));
}

// Item 4: a run spec of several MB (a 5 MB data_dir) is passed by file, not as one argument (which Linux
// limits to 128 KiB), and the run trains.
TEST_F(Faults, ARunSpecTooLongForTheCommandLineReachesTheRun) {
  const std::string long_dir = "/tmp/" + std::string(5 * 1024 * 1024, 'd');
  const auto file = write("long.toml", tiny_sweep("long", 251, "epochs = [1]", "data_dir = \"" + long_dir + "\"\n"));
  const auto result = sweep({"run", file.string(), "--db", db.string()});
  EXPECT_EQ(result.exit_code, 0) << result.out.substr(0, 2000) << result.err.substr(0, 2000);
  EXPECT_EQ(first_cell("SELECT status FROM runs"), "done");
  EXPECT_EQ(number("SELECT length(json_extract(config, '$.data_dir')) FROM runs"),
            static_cast<long long>(long_dir.size()));
}

// Item 3: durations beyond 365 days, NaN or unreadable are refused before anything runs, naming the value;
// an ETA of absurdly many epochs stays a readable duration; a timed-out run stores no exit code (item 10).
TEST_F(Faults, DurationsOutOfRangeAreRefusedAndNoTimeArithmeticOverflows) {
  const auto ok = write("ok.toml", tiny_sweep("ok", 261, "epochs = [1]"));
  for (const std::string value : {"1e10", "nan", "inf", "-1", "3x"}) {
    const auto result = sweep({"run", ok.string(), "--db", db.string(), "--timeout", value});
    EXPECT_EQ(result.exit_code, 2) << value << result.err;
    EXPECT_TRUE(contains(result.err, "--timeout")) << result.err;
    EXPECT_TRUE(contains(result.err, "365 days")) << result.err;
  }
  for (const std::string value : {"1e18", "\"99999999999999999999h\"", "\"9000h\""}) {
    const auto file = write("long.toml", tiny_sweep("long", 262, "epochs = [1]", "[launch]\ntimeout = " + value + "\n"));
    const auto result = sweep({"run", file.string(), "--db", db.string()});
    EXPECT_EQ(result.exit_code, 2) << value << result.err;
    EXPECT_TRUE(contains(result.err, file.string() + ":")) << result.err;
    EXPECT_TRUE(contains(result.err, "more than 365 days")) << result.err;
  }
  EXPECT_FALSE(fs::exists(db)) << "a refused sweep wrote the database";

  const auto endless = write("endless.toml", tiny_sweep("endless", 263, "epochs = [1000000000000]"));
  const auto result = sweep({"run", endless.string(), "--db", db.string(), "--timeout", "12"});
  EXPECT_EQ(result.exit_code, 1) << result.out << result.err;
  EXPECT_TRUE(contains(result.out, "ETA over 30 years")) << result.out;
  EXPECT_FALSE(contains(result.out, "-2147483648")) << result.out;
  EXPECT_EQ(query(db, "SELECT status, exit_code, error FROM runs"),
            (std::vector<std::vector<std::string>>{{"timeout", "NULL", "exceeded the per-run timeout of 12s"}}));
}

// Item 9: command-line errors exit 2 (not CLI11's 105-109) with ranges a person can read.
TEST_F(Faults, CommandLineErrorsExitTwoWithReadableRanges) {
  const auto file = write("ok.toml", tiny_sweep("ok", 271, "epochs = [1]"));
  const auto jobs = sweep({"run", file.string(), "--db", db.string(), "--jobs", "0"});
  EXPECT_EQ(jobs.exit_code, 2) << jobs.err;
  EXPECT_TRUE(contains(jobs.err, "--jobs")) << jobs.err;
  EXPECT_TRUE(contains(jobs.err, "not in range 1 to 100000")) << jobs.err;
  EXPECT_LT(jobs.err.size(), 300u) << jobs.err;
  for (const auto& args : std::vector<std::vector<std::string>>{
           {"frobnicate"}, {"run"}, {"run", file.string(), "--no-such-option"}, {"task", "--runs", "x", "--journals", "y",
                                                                                  "--index", "-1"}}) {
    const auto result = sweep(args);
    EXPECT_EQ(result.exit_code, 2) << args[0] << ": " << result.err;
  }
  for (const std::string bad : {"--threads=-1", "--no-such-option"})
    EXPECT_EQ(invoke({"/usr/bin/env", "OMPI_ALLOW_RUN_AS_ROOT=1", "OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1",
                      std::string(IDDL_BIN_DIR) + "/iddl-train", bad})
                  .exit_code,
              2)
        << bad;
  EXPECT_EQ(invoke({kReportExe, "query", "--db", db.string(), "--timeout", "0", "SELECT 1"}).exit_code, 2);
}

// Item 10: a directory given as the database or as the sweep file, and a version-0 file holding tables
// named like IDDL's, are each one clear line.
TEST_F(Faults, BadPathsAndForeignDatabasesAreNamedInOneLine) {
  const auto file = write("ok.toml", tiny_sweep("ok", 281, "epochs = [1]"));
  fs::create_directories(dir / "folder.db");
  for (const auto& args : std::vector<std::vector<std::string>>{{"run", file.string(), "--db", (dir / "folder.db").string()},
                                                                {"status", "--db", (dir / "folder.db").string()}}) {
    const auto result = sweep(args);
    EXPECT_EQ(result.exit_code, 2) << result.err;
    EXPECT_TRUE(contains(result.err, (dir / "folder.db").string() + ": is a directory, not a database file")) << result.err;
  }
  const auto folder_sweep = sweep({"run", dir.string(), "--db", db.string()});
  EXPECT_EQ(folder_sweep.exit_code, 2);
  EXPECT_TRUE(contains(folder_sweep.err, dir.string() + ": is a directory, not a sweep file")) << folder_sweep.err;

  { iddl::results::Store store(db.string()); }
  sqlite3* handle = nullptr;
  ASSERT_EQ(sqlite3_open(db.c_str(), &handle), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(handle, "PRAGMA user_version = 0", nullptr, nullptr, nullptr), SQLITE_OK);
  sqlite3_close(handle);
  const auto foreign = sweep({"run", file.string(), "--db", db.string()});
  EXPECT_EQ(foreign.exit_code, 2);
  EXPECT_TRUE(contains(foreign.err, "user_version) is 0")) << foreign.err;
  EXPECT_EQ(std::count(foreign.err.begin(), foreign.err.end(), '\n'), 1) << foreign.err;
}

// Item 10: more ranks than this machine has cores are refused before anything runs unless asked for; a
// sweep name plan accepts is one run accepts (at most 100 characters).
TEST_F(Faults, MoreRanksThanCoresAndOverlongNamesAreRefusedUpFront) {
  const auto many = write("many.toml", tiny_sweep("many", 291, "epochs = [1]", "parallelism = \"sync\"\nranks = 100000\n"));
  const auto refused = sweep({"run", many.string(), "--db", db.string()});
  EXPECT_EQ(refused.exit_code, 2) << refused.out << refused.err;
  EXPECT_TRUE(contains(refused.err, "has ranks = 100000 but this machine has")) << refused.err;
  EXPECT_TRUE(contains(refused.err, "--oversubscribe")) << refused.err;
  EXPECT_FALSE(fs::exists(db));
  const auto asked = sweep({"run", many.string(), "--db", db.string(), "--oversubscribe", "--dry-run"});
  EXPECT_EQ(asked.exit_code, 0) << asked.err;
  EXPECT_TRUE(contains(asked.out, "-np 100000")) << asked.out;

  const auto named = write("named.toml", tiny_sweep(std::string(5000, 'n'), 292, "epochs = [1]"));
  for (const std::string command : {"plan", "run"}) {
    const auto result = sweep({command, named.string(), "--db", db.string()});
    EXPECT_EQ(result.exit_code, 2) << command;
    EXPECT_TRUE(contains(result.err, "at most 100 long")) << result.err.substr(0, 500);
    EXPECT_LT(result.err.size(), 400u) << command;
  }
}

// Item 6: reports, status and list read a database on a read-only mount (SQLite cannot create its WAL
// index there) as they read any other.
TEST_F(Faults, ReadersReadADatabaseOnAReadOnlyMount) {
  if (::geteuid() != 0) GTEST_SKIP() << "a bind mount needs root (CI runs as root)";
  fs::create_directories(dir / "data");
  fs::create_directories(dir / "ro");
  write_done_sweep(dir / "data" / "results.db");
  ASSERT_FALSE(fs::exists(dir / "data" / "results.db-wal"));
  const ReadOnlyMount mount(dir / "data", dir / "ro");
  ASSERT_EQ(mount.error(), "");
  for (const auto& argv : read_commands(dir / "ro" / "results.db")) {
    const auto result = invoke(argv);
    EXPECT_EQ(result.exit_code, 0) << argv[1] << ": " << result.err;
    EXPECT_TRUE(contains(result.out, argv[1] == "query" ? "0.75" : "kept")) << argv[1] << ": " << result.out;
  }
  EXPECT_FALSE(fs::exists(dir / "ro" / "results.db-shm"));
}

// Item 6: the same as a user who may read the database but not write its folder (mode 555).
TEST_F(Faults, ReadersReadADatabaseInAFolderTheyCannotWrite) {
  if (::geteuid() != 0) GTEST_SKIP() << "running the readers as another user needs root (CI runs as root)";
  fs::create_directories(dir / "shared");
  write_done_sweep(dir / "shared" / "results.db");
  fs::permissions(dir / "shared", fs::perms::owner_read | fs::perms::owner_exec | fs::perms::group_read |
                                      fs::perms::group_exec | fs::perms::others_read | fs::perms::others_exec);
  for (auto argv : read_commands(dir / "shared" / "results.db")) {
    argv.insert(argv.begin(), {"/usr/bin/setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups"});
    const auto result = invoke(argv);
    EXPECT_EQ(result.exit_code, 0) << argv[5] << ": " << result.err;
    EXPECT_TRUE(contains(result.out, argv[5] == "query" ? "0.75" : "kept")) << argv[5] << ": " << result.out;
  }
  EXPECT_FALSE(fs::exists(dir / "shared" / "results.db-shm"));
  fs::permissions(dir / "shared", fs::perms::owner_all, fs::perm_options::add);
}

// Item 10: an endless query is stopped at its time limit (iddl-report query --timeout, default 10 s).
TEST_F(Faults, AnEndlessQueryIsStoppedAtItsTimeLimit) {
  write_done_sweep(db);
  const auto result = invoke({"/usr/bin/timeout", "30", kReportExe, "query", "--db", db.string(), "--timeout", "1",
                              "WITH RECURSIVE n(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM n) SELECT count(*) FROM n"});
  EXPECT_EQ(result.exit_code, 2) << result.err;
  EXPECT_TRUE(contains(result.err, "longer than its time limit of 1 s")) << result.err;
  const auto pragma = invoke({kReportExe, "query", "--db", db.string(), "PRAGMA writable_schema = 1"});
  EXPECT_EQ(pragma.exit_code, 2);
  EXPECT_TRUE(contains(pragma.err, "read-only")) << pragma.err;
}

// Item 8: a --where that tries to leave its expression is refused, not pasted into the SQL.
TEST_F(Faults, AWhereThatLeavesItsExpressionIsRefused) {
  write_done_sweep(db);
  const auto result = invoke({kReportExe, "json", "--db", db.string(), "--where", "1) LIMIT (1"});
  EXPECT_EQ(result.exit_code, 2) << result.out;
  EXPECT_TRUE(contains(result.err, "bad where expression \"1) LIMIT (1\"")) << result.err;
}
