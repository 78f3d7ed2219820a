#include <gtest/gtest.h>

#include <filesystem>

#include "results/store.hpp"
#include "runners/launch/checkpoint_guard.hpp"
#include "runners/launch/child_process.hpp"
#include "runners/launch/command_text.hpp"
#include "matrix/run_key.hpp"
#include "runners/launch/journal_collect.hpp"
#include "runners/launch/mpirun_command.hpp"
#include "runners/launch/process_tree.hpp"
#include "runners/launch/progress_display.hpp"
#include "runners/launch/run_recorder.hpp"
#include "runners/launch/sbatch_job.hpp"
#include "runners/launch/srun_command.hpp"
#include "runners/launch/sweep_lock.hpp"
#include "runners/launch/sweep_runner.hpp"
#include "tests/support/temp_dir.hpp"

#include <boost/asio/signal_set.hpp>
#include <signal.h>
#include <unistd.h>
#include <algorithm>
#include <fstream>
#include <sstream>
#include <thread>

namespace fs = std::filesystem;
using namespace iddl::launch;

// Checkpoints past the epochs a database holds (taken while nobody recorded) go; earlier ones and other files stay.
TEST(CheckpointGuard, DropsOnlyTheCheckpointsPastTheStoredEpochs) {
  iddl::test_support::TempDir dir;
  const fs::path folder = dir.file("run");
  for (const char* name : {"epoch1", "epoch3", "epoch12", "epochs", "notes"}) {
    fs::create_directories(folder / name);
    std::ofstream(folder / name / "rank0.pt") << "x";
  }
  EXPECT_EQ(drop_checkpoints_after(folder.string(), 2), (std::vector<int64_t>{3, 12}));
  EXPECT_TRUE(fs::exists(folder / "epoch1" / "rank0.pt"));
  EXPECT_FALSE(fs::exists(folder / "epoch3"));
  EXPECT_FALSE(fs::exists(folder / "epoch12"));
  EXPECT_TRUE(fs::exists(folder / "epochs"));
  EXPECT_TRUE(fs::exists(folder / "notes"));
  EXPECT_TRUE(drop_checkpoints_after(folder.string(), 2).empty());
  EXPECT_TRUE(drop_checkpoints_after(dir.file("missing"), 0).empty());
}

// A child's environment names this process and host, which iddl-train watches (runners/train/launcher_watch.hpp).
TEST(AsyncChild, TheEnvironmentNamesTheLauncher) {
  std::vector<std::string> lines;
  run_child({"sh", "-c", "echo \"$IDDL_LAUNCHER_PID\"; echo \"$IDDL_LAUNCHER_HOST\""},
            [&](const std::string& line) { lines.push_back(line); });
  char host[256] = {};
  ::gethostname(host, sizeof host - 1);
  EXPECT_EQ(lines, (std::vector<std::string>{std::to_string(::getpid()), host}));
}

TEST(MpirunCommand, BuildsAnArgumentVectorWithBindingAndEnvironment) {
  MpirunOptions o;
  o.train_exe = "/opt/iddl/bin/iddl-train";
  o.ranks = 2;
  o.threads_per_rank = 1;
  o.as_root = true;
  o.blas_coretype = "SkylakeX";
  o.cores = {2, 3};
  o.gpus = {1};
  o.extra_args = {"--mca", "btl", "self,vader"};
  const std::string spec = R"({"config": {"model": "mlp; rm -rf /"}})";
  const auto argv = mpirun_argv(o, spec);
  const std::vector<std::string> expected{
      "mpirun", "-np", "2", "--oversubscribe", "--allow-run-as-root", "--cpu-set", "2,3", "--bind-to", "core",
      "-x", "OMP_NUM_THREADS=1", "-x", "OPENBLAS_CORETYPE=SkylakeX", "-x", "CUDA_DEVICE_ORDER=PCI_BUS_ID",
      "-x", "CUDA_VISIBLE_DEVICES=1",
      "--mca", "btl", "self,vader", "/opt/iddl/bin/iddl-train", "--threads", "1", "--spec-json", spec};
  EXPECT_EQ(argv, expected);
}

TEST(MpirunCommand, RanksWithSeveralThreadsAreUnbound) {
  MpirunOptions o;
  o.train_exe = "iddl-train";
  o.threads_per_rank = 2;
  const auto argv = mpirun_argv(o, "{}");
  EXPECT_EQ(std::find(argv.begin(), argv.end(), "--allow-run-as-root"), argv.end());
  const auto bind = std::find(argv.begin(), argv.end(), "--bind-to");
  ASSERT_NE(bind, argv.end());
  EXPECT_EQ(*(bind + 1), "none");
  EXPECT_EQ(std::find(argv.begin(), argv.end(), "OMP_NUM_THREADS=2") - argv.begin(), bind - argv.begin() + 3);
}

TEST(MpirunCommand, HostsOrAHostfileReplaceTheCpuSet) {
  MpirunOptions o;
  o.train_exe = "iddl-train";
  o.ranks = 8;
  o.cores = {0, 1};
  o.hosts = {"node1:4", "node2:4"};
  auto argv = mpirun_argv(o, "{}");
  EXPECT_EQ(std::find(argv.begin(), argv.end(), "--cpu-set"), argv.end());
  auto host = std::find(argv.begin(), argv.end(), "--host");
  ASSERT_NE(host, argv.end());
  EXPECT_EQ(*(host + 1), "node1:4,node2:4");
  o.hosts.clear();
  o.hostfile = "/etc/iddl hosts";
  argv = mpirun_argv(o, "{}");
  EXPECT_EQ(std::find(argv.begin(), argv.end(), "--cpu-set"), argv.end());
  const auto hostfile = std::find(argv.begin(), argv.end(), "--hostfile");
  ASSERT_NE(hostfile, argv.end());
  EXPECT_EQ(*(hostfile + 1), "/etc/iddl hosts");
}

// mpirun itself starts two ranks of a stand-in program that prints the GPU variables it was given.
TEST(MpirunCommand, EveryRankSeesTheGpusInPciBusOrder) {
  const fs::path dir = fs::temp_directory_path() / ("iddl-mpirun-env-" + std::to_string(::getpid()));
  fs::create_directories(dir);
  const fs::path program = dir / "print-gpu-env";
  std::ofstream(program) << "#!/bin/sh\necho \"$OMPI_COMM_WORLD_RANK $CUDA_DEVICE_ORDER $CUDA_VISIBLE_DEVICES\"\n";
  fs::permissions(program, fs::perms::owner_all);
  MpirunOptions o;
  o.train_exe = program.string();
  o.ranks = 2;
  o.gpus = {3, 1};
  o.as_root = ::geteuid() == 0;
  auto argv = mpirun_argv(o, "{}");
  argv.insert(argv.begin(), {"env", "-u", "CUDA_DEVICE_ORDER", "-u", "CUDA_VISIBLE_DEVICES"});  // only mpirun's -x
  std::vector<std::string> lines;
  const auto result = run_child(argv, [&](const std::string& line) { lines.push_back(line); });
  fs::remove_all(dir);
  ASSERT_EQ(result.exit_code, 0) << result.stderr_tail;
  std::sort(lines.begin(), lines.end());
  EXPECT_EQ(lines, (std::vector<std::string>{"0 PCI_BUS_ID 3,1", "1 PCI_BUS_ID 3,1"}));
}

TEST(GpuPolicyChoice, TheFlagOverridesTheSweepFileWhichOverridesTopology) {
  const std::string header = "[sweep]\nname = \"t\"\n";
  const auto plain = iddl::matrix::parse_sweep(header, "plain.toml");
  const auto binpack = iddl::matrix::parse_sweep(header + "[launch]\ngpu_policy = \"binpack\"\n", "binpack.toml");
  using iddl::hardware::GpuPolicy;
  SweepOptions options;
  EXPECT_EQ(gpu_policy_of(plain, options), GpuPolicy::Topology);
  EXPECT_EQ(gpu_policy_of(binpack, options), GpuPolicy::Binpack);
  options.gpu_policy = GpuPolicy::Topology;
  EXPECT_EQ(gpu_policy_of(binpack, options), GpuPolicy::Topology);
  options.gpu_policy = GpuPolicy::Binpack;
  EXPECT_EQ(gpu_policy_of(plain, options), GpuPolicy::Binpack);
}

TEST(SrunCommand, BuildsAJobStepWithThreadsGpusAndEnvironment) {
  SrunOptions o;
  o.train_exe = "/opt/iddl/bin/iddl-train";
  o.ranks = 4;
  o.threads_per_rank = 2;
  o.gpus_per_rank = 1;
  o.blas_coretype = "Haswell";
  const std::string spec = R"({"config": {"model": "mlp'; rm -rf /"}})";
  ::unsetenv("SLURM_MPI_TYPE");
  std::vector<std::string> expected{
      "srun", "--mpi=pmix", "--ntasks=4", "--cpus-per-task=2", "--kill-on-bad-exit=1", "--gpus-per-task=1",
      "--export=ALL,OMP_NUM_THREADS=2,CUDA_DEVICE_ORDER=PCI_BUS_ID,OPENBLAS_CORETYPE=Haswell", "/opt/iddl/bin/iddl-train", "--threads", "2",
      "--spec-json", spec};
  EXPECT_EQ(srun_argv(o, spec), expected);
  ::setenv("SLURM_MPI_TYPE", "pmi2", 1);  // the site's plugin: srun reads the variable itself
  expected.erase(expected.begin() + 1);
  EXPECT_EQ(srun_argv(o, spec), expected);
  ::unsetenv("SLURM_MPI_TYPE");
}

TEST(CommandText, AShellSplitsTheLineBackIntoTheSameArguments) {
  const std::vector<std::string> argv{"printf", "%s\\n", "plain", "a b", "it's", "$(touch /tmp/never)", "", "*"};
  EXPECT_EQ(command_text({"mpirun", "-np", "2", "a b"}), "mpirun -np 2 'a b'");
  std::vector<std::string> lines;
  run_child({"sh", "-c", command_text(argv)}, [&](const std::string& l) { lines.push_back(l); });
  EXPECT_EQ(lines, (std::vector<std::string>(argv.begin() + 2, argv.end())));
}

TEST(SbatchJob, ScriptIsAJobArrayRunningOneTaskPerLine) {
  SbatchJob job;
  job.sweep = "s";
  job.tasks = 3;
  job.ranks = 2;
  job.cpus_per_task = 4;
  job.time_minutes = 2;
  job.sbatch_args = {"--partition=gpu", "--time=01:00:00"};
  job.sweep_exe = "/opt/iddl/bin/iddl-sweep";
  job.files = sbatch_files("/data/my results", "s");
  EXPECT_EQ(job.files.script, "/data/my results/s.sbatch");
  EXPECT_EQ(job.files.run_list, "/data/my results/s.runs.jsonl");
  EXPECT_EQ(job.files.journal_dir, "/data/my results/s.journals");
  const std::string script = sbatch_script(job);
  EXPECT_EQ(script.rfind("#!/bin/bash\n", 0), 0u);
  for (const std::string line :
       {"#SBATCH --array=0-2\n", "#SBATCH --ntasks=2\n", "#SBATCH --cpus-per-task=4\n",
        "#SBATCH --output=/data/my results/s.journals/slurm-%A_%a.out\n", "#SBATCH --time=2\n",
        "#SBATCH --partition=gpu\n#SBATCH --time=01:00:00\nset -eu\n",
        "exec /opt/iddl/bin/iddl-sweep task --runs '/data/my results/s.runs.jsonl' --journals "
        "'/data/my results/s.journals' --index \"$((SLURM_ARRAY_TASK_ID + ${IDDL_TASK_OFFSET:-0}))\"\n"})
    EXPECT_NE(script.find(line), std::string::npos) << line << "\nin:\n" << script;
  EXPECT_EQ(script.find("gpus-per-task"), std::string::npos);
}

TEST(ChildProcess, StreamsStdoutLinesAndKeepsTheStderrTail) {
  std::vector<std::string> lines;
  const auto result = run_child({"sh", "-c", "echo one; echo two; echo oops >&2; exit 3"},
                                [&](const std::string& line) { lines.push_back(line); });
  EXPECT_EQ(lines, (std::vector<std::string>{"one", "two"}));
  EXPECT_EQ(result.exit_code, 3);
  EXPECT_EQ(result.stderr_tail, "oops\n");
}

TEST(ChildProcess, ArgumentsReachTheProgramUnchanged) {
  std::vector<std::string> lines;
  run_child({"printf", "%s\\n", "a b; $(touch /tmp/never)", "*"}, [&](const std::string& l) { lines.push_back(l); });
  EXPECT_EQ(lines, (std::vector<std::string>{"a b; $(touch /tmp/never)", "*"}));
}

TEST(ChildProcess, ReportsAKillingSignal) {
  const auto result = run_child({"sh", "-c", "kill -9 $$"}, [](const std::string&) {});
  EXPECT_EQ(result.exit_code, 128 + 9);
}

TEST(ChildProcess, MissingProgramIsAnError) {
  EXPECT_THROW(run_child({"iddl-no-such-program"}, [](const std::string&) {}), std::runtime_error);
}

TEST(RunRecorder, StoresEventsAndKeepsOtherOutput) {
  const fs::path dir = fs::temp_directory_path() / ("iddl-recorder-" + std::to_string(::getpid()));
  fs::create_directories(dir);
  {
    iddl::results::Store store((dir / "r.db").string());
    const nlohmann::json config{{"dataset", "synthetic"}, {"model", "mlp"}, {"parallelism", "single"}, {"ranks", 1}};
    const int64_t sweep = store.register_sweep("s", "s.toml", {{"k1", 0, config}});
    const int64_t run = store.runs_of(sweep).at(0).id;
    store.mark_running(run);
    std::vector<std::string> seen;
    RunRecorder recorder(store, run, [&](const nlohmann::json& e) { seen.push_back(e.at("event")); });
    recorder.on_line("a warning from mpirun");
    recorder.on_line(R"({"event":"run_started","host":"h","params":10,"flops":20})");
    recorder.on_line(R"({"event":"epoch","epoch":1,"train_loss":0.5,"test_loss":0.4,"test_accuracy":0.9,"epoch_time_s":1.0})");
    EXPECT_FALSE(recorder.finished());
    recorder.on_line(R"({"event":"run_finished","test_accuracy":0.9,"train_time_s":1.0,"params":10,"flops":20})");
    EXPECT_TRUE(recorder.finished());
    EXPECT_EQ(seen, (std::vector<std::string>{"run_started", "epoch", "run_finished"}));
    EXPECT_EQ(recorder.other_output(), "a warning from mpirun\n");
    EXPECT_EQ(store.runs_of(sweep).at(0).status, "done");
  }
  fs::remove_all(dir);
}

// An event the store refuses fails the run instead of throwing out of the sweep; a line nested too deep to
// handle safely is output, not an event (both used to throw out of iddl-sweep; docs/fuzzing.md).
TEST(RunRecorder, ARefusedEventFailsTheRunAndTooDeepALineIsOutput) {
  const fs::path dir = fs::temp_directory_path() / ("iddl-recorder-refused-" + std::to_string(::getpid()));
  fs::create_directories(dir);
  {
    iddl::results::Store store((dir / "r.db").string());
    const nlohmann::json config{{"dataset", "synthetic"}, {"model", "mlp"}, {"parallelism", "single"}, {"ranks", 1}};
    const int64_t sweep = store.register_sweep("s", "s.toml", {{"k1", 0, config}});
    const int64_t run = store.runs_of(sweep).at(0).id;
    store.mark_running(run);
    int seen = 0;
    RunRecorder recorder(store, run, [&](const nlohmann::json&) { ++seen; });
    const std::string deep = R"({"event":"run_started","host":)" + std::string(100000, '[') + std::string(100000, ']') + "}";
    recorder.on_line(deep);
    recorder.on_line(R"({"event":5})");
    EXPECT_EQ(recorder.other_output(), deep + "\n" + R"({"event":5})" + "\n") << "not events: kept as output";
    recorder.on_line(R"({"event":"epoch","epoch":1,"train_loss":null})");
    EXPECT_NO_THROW(recorder.on_line(R"({"event":"epoch","epoch":2,"train_loss":"low"})"));
    recorder.on_line(R"({"event":"run_finished","test_accuracy":0.9,"params":10,"flops":20})");
    EXPECT_FALSE(recorder.finished()) << "an epoch was refused";
    EXPECT_EQ(recorder.error(), (dir / "r.db").string() + ": epoch event of run " + std::to_string(run) +
                                    ": field 'train_loss' must be a number, got \"low\"");
    EXPECT_EQ(seen, 1) << "only the events before the refused one are shown";
  }
  fs::remove_all(dir);
}

// Whether `pid` runs (a zombie waiting for its parent to reap it has ended).
bool alive(pid_t pid) {
  std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
  std::string line;
  if (!std::getline(stat, line)) return false;
  const auto close = line.rfind(')');
  return close != std::string::npos && close + 2 < line.size() && line[close + 2] != 'Z';
}

TEST(ChildProcess, LastLineWithoutNewlineIsDelivered) {
  std::vector<std::string> lines;
  run_child({"printf", "a\nb"}, [&](const std::string& l) { lines.push_back(l); });
  EXPECT_EQ(lines, (std::vector<std::string>{"a", "b"}));
}

TEST(AsyncChild, TerminateStopsTheWholeProcessTreeEvenWhatIgnoresSigterm) {
  boost::asio::io_context io;
  boost::asio::signal_set children(io, SIGCHLD);
  std::vector<pid_t> tree;
  bool finished = false;
  // The grandchildren ignore SIGTERM and leave the child's process group; the child waits for them.
  std::unique_ptr<AsyncChild> child;
  child = std::make_unique<AsyncChild>(
      io, std::vector<std::string>{"sh", "-c", "setsid sh -c 'trap \"\" TERM; sleep 60; true' & echo started; wait"},
      [&](const std::string& line) {
        if (line != "started") return;
        std::this_thread::sleep_for(std::chrono::milliseconds(200));
        tree = descendants(child->pid());
        child->terminate(std::chrono::milliseconds(300));
      },
      [&](const ChildResult&) {
        finished = true;
        children.cancel();
      });
  std::function<void()> wait = [&] {
    children.async_wait([&](const boost::system::error_code& e, int) {
      if (e) return;
      child->poll_exit();
      if (!child->finished()) wait();
    });
  };
  wait();
  io.run();
  EXPECT_TRUE(finished);
  ASSERT_EQ(tree.size(), 2u) << "the setsid shell and its sleep";
  for (pid_t pid : tree) {
    for (int wait_ms = 0; alive(pid) && wait_ms < 2000; wait_ms += 20)  // a killed process takes a moment to end
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    EXPECT_FALSE(alive(pid)) << "process " << pid << " survived";
  }
}

// The lock is a kernel lock on the database file itself: releasing it leaves no file but the database.
TEST(SweepLock, OneHolderPerSweepAndDatabase) {
  const iddl::test_support::TempDir dir;
  const std::string db = dir.file("lock.db");
  {
    SweepLock first(db, "a");
    EXPECT_THROW(SweepLock(db, "a"), std::runtime_error);
    SweepLock other_sweep(db, "b");
  }
  EXPECT_NO_THROW(SweepLock(db, "a"));
  std::vector<std::string> left;
  for (const auto& entry : fs::directory_iterator(fs::path(db).parent_path()))
    left.push_back(entry.path().filename().string());
  EXPECT_EQ(left, std::vector<std::string>{"lock.db"});
}

TEST(ProgressDisplay, PlainOutputIsOneLinePerUpdate) {
  std::ostringstream out;
  ProgressDisplay display(out, false);
  display.log("started");
  display.update(1, "epoch 1");
  display.remove(1);
  EXPECT_EQ(out.str(), "started\nepoch 1\n");
}

TEST(ProgressDisplay, LiveOutputRedrawsTheLinesOfRunsInFlight) {
  std::ostringstream out;
  ProgressDisplay display(out, true);
  display.update(1, "run 1: epoch 1");
  display.update(2, "run 2: epoch 1");
  display.log("run 3 started");
  display.remove(1);
  EXPECT_EQ(out.str(),
            "run 1: epoch 1\n"
            "\x1b[1F\x1b[J" "run 1: epoch 1\nrun 2: epoch 1\n"
            "\x1b[2F\x1b[J" "run 3 started\nrun 1: epoch 1\nrun 2: epoch 1\n"
            "\x1b[2F\x1b[J" "run 2: epoch 1\n");
}

// A journal in `dir` for run `key` of sweep "j": a task header, then `lines`.
// The config of the journal called `name`: one seed per name, so each journal is its own run.
nlohmann::json journal_config(const std::string& name) {
  return {{"dataset", "synthetic"}, {"model", "mlp"}, {"parallelism", "single"}, {"ranks", 1}, {"seed", 100 + name[0]}};
}

// The run key of the journal called `name`.
std::string journal_key(const std::string& name) { return iddl::matrix::run_key(journal_config(name)); }

void write_journal(const fs::path& dir, const std::string& name, const std::vector<std::string>& lines) {
  const nlohmann::json config = journal_config(name);
  std::ofstream out(dir / (name + ".jsonl"));
  out << nlohmann::json{{"event", "task"}, {"sweep", "j"}, {"sweep_file", "j.toml"}, {"run_key", journal_key(name)},
                        {"repeat", 0}, {"config", config}}.dump() << "\n";
  for (const auto& line : lines) out << line << "\n";
}

const std::string kStarted = R"({"event":"run_started","host":"h","params":10,"flops":20})";
const std::string kEpoch =
    R"({"event":"epoch","epoch":1,"train_loss":0.5,"test_loss":0.4,"test_accuracy":0.9,"epoch_time_s":1.0})";
const std::string kFinished = R"({"event":"run_finished","test_accuracy":0.9,"train_time_s":1.0,"params":10,"flops":20})";

TEST(JournalOutcome, EndsARunAsALiveRunWould) {
  Journal journal;
  journal.event_lines = {kStarted, kEpoch, kFinished};
  journal.exit_code = 0;
  EXPECT_EQ(journal_outcome(journal).status, "done");
  journal.exit_code.reset();  // killed after run_finished: the results are complete
  EXPECT_EQ(journal_outcome(journal).status, "done");
  journal.event_lines = {kStarted, kEpoch};
  EXPECT_EQ(journal_outcome(journal).error, "no run_finished: the journal ends early (the task was killed or still runs)");
  journal.exit_code = 137;
  EXPECT_EQ(journal_outcome(journal).error, "iddl-train exited with code 137");
  journal.event_lines.push_back(R"({"event":"error","message":"loss is not finite"})");
  EXPECT_EQ(journal_outcome(journal).status, "failed");
  EXPECT_EQ(journal_outcome(journal).error, "loss is not finite");
}

TEST(JournalOutcome, AJournalEndingEarlyIsJudgedByItsSlurmState) {
  Journal journal;
  journal.event_lines = {kStarted, kEpoch};
  EXPECT_EQ(journal_outcome(journal, "RUNNING").status, "running");
  EXPECT_EQ(journal_outcome(journal, "PENDING").status, "running") << "requeued: it runs again";
  EXPECT_EQ(journal_outcome(journal, "TIMEOUT").status, "timeout");
  EXPECT_EQ(journal_outcome(journal, "CANCELLED").status, "interrupted");
  EXPECT_EQ(journal_outcome(journal, "PREEMPTED").status, "interrupted");
  EXPECT_EQ(journal_outcome(journal, "NODE_FAIL").error, "Slurm ended the task: NODE_FAIL");
  EXPECT_EQ(journal_outcome(journal, "COMPLETED").error,
            "no run_finished: the journal ends early (the task was killed or still runs)");
  journal.event_lines.push_back(kFinished);
  EXPECT_EQ(journal_outcome(journal, "TIMEOUT").status, "done") << "finished just before its limit";
}

// Journals fuzz_journal found unreadable (docs/fuzzing.md): each is skipped where a killed task could have cut it,
// else refused naming the journal and line, never thrown as a JSON library error.
TEST(ReadJournal, BadLinesAreSkippedOrNamed) {
  const fs::path dir = fs::temp_directory_path() / ("iddl-read-journal-" + std::to_string(::getpid()));
  fs::create_directories(dir);
  const auto journal_with = [&](const std::string& header, const std::vector<std::string>& lines) {
    std::ofstream out(dir / "k.jsonl");
    out << header << "\n";
    for (const auto& line : lines) out << line << "\n";
    return (dir / "k.jsonl").string();
  };
  const std::string header = R"({"event":"task","sweep":"j","run_key":"k","config":{}})";
  const auto journal = read_journal(journal_with(header, {R"({"event":10,"flops":20})", kStarted, R"({"event":"task_exit","exit_code":0,"stderr_tail":7})"}));
  EXPECT_EQ(journal.event_lines, (std::vector<std::string>{kStarted})) << "an event that is not a string is no event";
  EXPECT_EQ(journal.exit_code, 0);
  EXPECT_EQ(journal.stderr_tail, "7");
  const auto refused = [&](const std::string& first, const std::vector<std::string>& lines) {
    try {
      read_journal(journal_with(first, lines));
    } catch (const std::runtime_error& e) {
      return std::string(e.what());
    }
    return std::string("(read)");
  };
  const std::string path = (dir / "k.jsonl").string();
  EXPECT_EQ(refused(R"({"event":"task","sweep":"j","run_key":"k","config":{"model":2}})", {}),
            path + ":1: the task header's config: model = 2 is not a string");
  EXPECT_EQ(refused(R"({"event":"task","sweep":5,"run_key":"k","config":{}})", {}),
            path + ":1: the task header's \"sweep\" must be a non-empty string, got 5");
  EXPECT_EQ(refused(R"({"event":"task","sweep":"a/b","run_key":"k","config":{}})", {}),
            path + ":1: the task header's \"sweep\" must be letters, digits, '_', '.' and '-', got \"a/b\"");
  EXPECT_EQ(refused(header, {kStarted, R"({"event":"task_exit","exit_code":"x"})"}),
            path + ":3: the task_exit line's \"exit_code\" must be an integer 0-255, got \"x\"");
  fs::remove_all(dir);
}

TEST(CollectJournals, StoresRunsOnceAndPicksUpARetriedTask) {
  const fs::path dir = fs::temp_directory_path() / ("iddl-collect-" + std::to_string(::getpid()));
  fs::create_directories(dir / "journals");
  const std::string db = (dir / "r.db").string();
  write_journal(dir / "journals", "aaaa", {kStarted, kEpoch, kFinished, R"({"event":"task_exit","exit_code":0})"});
  write_journal(dir / "journals", "bbbb", {kStarted, kEpoch, R"({"event":"epo)"});  // cut short by a kill
  std::ostringstream log;
  CollectOutcome first = collect_journals(db, {(dir / "journals").string()}, log);
  EXPECT_EQ(first.done, 1);
  EXPECT_EQ(first.failed, 1);
  EXPECT_EQ(first.unchanged, 0);
  iddl::results::Store store(db);
  const auto statuses = store.run_statuses("j");
  EXPECT_EQ(statuses,
            (std::map<std::string, std::string>{{journal_key("aaaa"), "done"}, {journal_key("bbbb"), "failed"}}));

  CollectOutcome again = collect_journals(db, {(dir / "journals").string()}, log);
  EXPECT_EQ(again.unchanged, 2) << "collecting twice changes nothing";
  EXPECT_EQ(again.done + again.failed, 0);

  const std::string epoch2 = R"({"event":"epoch","epoch":2,"train_loss":0.4,"test_loss":0.3,"test_accuracy":0.9})";
  write_journal(dir / "journals", "bbbb", {kStarted, kEpoch, epoch2});  // still running: one epoch more
  CollectOutcome growing = collect_journals(db, {(dir / "journals").string()}, log);
  EXPECT_EQ(growing.failed, 1) << "a journal with new epochs is stored again";
  EXPECT_EQ(growing.unchanged, 1);

  write_journal(dir / "journals", "bbbb", {kStarted, kEpoch, kFinished, R"({"event":"task_exit","exit_code":0})"});
  CollectOutcome retried = collect_journals(db, {(dir / "journals").string()}, log);
  EXPECT_EQ(retried.done, 1);
  EXPECT_EQ(retried.unchanged, 1);
  EXPECT_EQ(store.run_statuses("j").at(journal_key("bbbb")), "done");

  std::ofstream(dir / "journals" / "bad.jsonl") << "not json\n";
  EXPECT_THROW(collect_journals(db, {(dir / "journals").string()}, log), std::runtime_error);
  EXPECT_THROW(collect_journals(db, {(dir / "missing").string()}, log), std::runtime_error);
  fs::remove_all(dir);
}
