// The launchers against a live single-node Slurm cluster started by the test (tests/runners/launch/slurm_cluster.hpp):
// sbatch job arrays followed to their end, srun with PMIx, a failing run, Slurm's time limit, scancel and
// requeue, each checked in the database.
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <future>

#include <nlohmann/json.hpp>

#include "tests/runners/launch/slurm_cluster.hpp"
#include "tests/support/sweep_folder.hpp"

namespace fs = std::filesystem;
using namespace iddl::testing;

namespace {

SlurmCluster* cluster = nullptr;
std::string unavailable;  // why no cluster runs here ("" when one does)

// One cluster for every test of the process; SLURM_CONF points the clients (and iddl-sweep) at it.
class SlurmEnvironment : public ::testing::Environment {
 public:
  void SetUp() override {
    unavailable = slurm_cluster_unavailable_reason();
    if (!unavailable.empty()) return;
    try {
      cluster = new SlurmCluster();
      ::setenv("SLURM_CONF", cluster->conf().c_str(), 1);
    } catch (const std::exception& e) {
      unavailable = e.what();
    }
  }
  void TearDown() override {
    delete cluster;  // cancels what a failed test left running, stops the daemons by pid
    cluster = nullptr;
    ::unsetenv("SLURM_CONF");
  }
};

[[maybe_unused]] const auto* const environment = ::testing::AddGlobalTestEnvironment(new SlurmEnvironment);

std::vector<std::string> lines_of(const fs::path& file) {
  std::ifstream in(file);
  std::vector<std::string> lines;
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

// Small MLPs on one thread per rank.
const std::string kSmall = "test_samples = 64\nhidden = [16]\nbatch_size = 32\nthreads = 1\n";
// ... on 256 generated samples.
const std::string kSynthetic = kSmall + "dataset = \"synthetic\"\ntrain_samples = 256\n";
// Runs that take some seconds, so that a test can act on them while they run: 100 epochs of 2048 samples.
const std::string kLongRuns = kSmall + "dataset = \"synthetic\"\ntrain_samples = 2048\nepochs = 100\n";

class Slurm : public SweepFolderTest {
 protected:
  void SetUp() override {
    SweepFolderTest::SetUp();
    if (!unavailable.empty()) GTEST_SKIP() << "no Slurm cluster here: " << unavailable;
  }
  void TearDown() override {
    if (HasFailure() && cluster != nullptr) std::cerr << cluster->log_tail();
    SweepFolderTest::TearDown();
  }

  // The sweep file `name`: its [base] settings `base`, then the tables `rest`.
  fs::path sweep_file(const std::string& name, const std::string& base, const std::string& rest) {
    return write(name + ".toml", "[sweep]\nname = \"" + name + "\"\n[base]\n" + base + rest);
  }
  // The job id of the sweep's last submission (its record next to the database).
  std::string job_of(const std::string& sweep_name) {
    std::ifstream in(db.string() + "." + sweep_name + ".slurm.json");
    return nlohmann::json::parse(in).at("job_id").get<std::string>();
  }
  std::string one(const std::string& sql) {
    const auto rows = query(db, sql);
    return rows.empty() ? "" : rows[0][0];
  }
  // The journal of the run `run_key` of sweep `name`.
  fs::path journal(const std::string& name, const std::string& run_key) {
    return dir / (name + ".journals") / (run_key + ".jsonl");
  }
  // Whether a running run of the sweep has written an epoch to its journal; sets `run_key` to it.
  bool run_in_flight(const std::string& name, std::string& run_key) {
    for (const auto& row : query(db, "SELECT run_key FROM runs WHERE status = 'running'")) {
      for (const auto& line : lines_of(journal(name, row[0])))
        if (line.find("\"event\":\"epoch\"") != std::string::npos) {
          run_key = row[0];
          return true;
        }
    }
    return false;
  }
  // Runs iddl-sweep in the background.
  std::future<Invocation> start(const std::vector<std::string>& args) {
    return std::async(std::launch::async, [args] { return sweep(args); });
  }
};

}  // namespace

TEST_F(Slurm, SbatchArrayOfFourRunsIsFollowedAndCollected) {
  const auto file = sweep_file("four", kSynthetic + "epochs = 2\nparallelism = \"sync\"\nranks = 2\n",
                               "[matrix]\nseed = [1, 2, 3, 4]\n[launch]\nlauncher = \"sbatch\"\n");
  const auto run = sweep({"run", file.string(), "--db", db.string(), "--poll", "1"});
  ASSERT_EQ(run.exit_code, 0) << run.out << run.err;
  const std::string job = job_of("four");
  EXPECT_NE(run.out.find("submitted Slurm job " + job), std::string::npos) << run.out;
  EXPECT_NE(run.out.find("Slurm job " + job + ": 4 COMPLETED"), std::string::npos) << "the follower saw the end: " << run.out;
  EXPECT_NE(run.out.find(": RUNNING on " + cluster->node()), std::string::npos) << run.out;
  EXPECT_NE(run.out.find("4 done, 0 failed, 0 timed out, 0 interrupted"), std::string::npos) << run.out;

  EXPECT_EQ(query(db, "SELECT status, ranks, COUNT(*) FROM runs GROUP BY status, ranks"),
            (std::vector<std::vector<std::string>>{{"done", "2", "4"}}));
  EXPECT_EQ(one("SELECT COUNT(*) FROM runs WHERE test_accuracy > 0 AND train_time_s > 0 AND bytes_sent > 0 AND params > 0 AND host = '" +
                cluster->node() + "'"),
            "4")
      << "metrics of two synchronous ranks, from the journals";
  EXPECT_EQ(query(db, "SELECT COUNT(*), MIN(epoch), MAX(epoch) FROM epochs"),
            (std::vector<std::vector<std::string>>{{"8", "1", "2"}}));
  for (const auto& key : query(db, "SELECT run_key FROM runs"))
    EXPECT_NE(lines_of(journal("four", key[0])).at(0).find("\"slurm_job\":\"" + job + "\""), std::string::npos);

  const auto again = sweep({"collect", "--db", db.string(), (dir / "four.journals").string()});
  ASSERT_EQ(again.exit_code, 0) << again.err;
  EXPECT_NE(again.out.find("0 done, 0 failed, 4 unchanged"), std::string::npos) << again.out;
  EXPECT_EQ(one("SELECT COUNT(*) FROM epochs"), "8") << "collecting again adds nothing";

  const auto status = sweep({"status", "--db", db.string()});
  ASSERT_EQ(status.exit_code, 0) << status.err;
  EXPECT_NE(status.out.find("sweep four: Slurm job " + job), std::string::npos) << status.out;
  EXPECT_NE(status.out.find("tasks: 4 COMPLETED"), std::string::npos) << status.out;
  const auto resubmit = sweep({"run", file.string(), "--db", db.string(), "--poll", "1"});
  EXPECT_NE(resubmit.out.find("nothing to submit"), std::string::npos) << resubmit.out;
}

TEST_F(Slurm, NoWaitSubmitsOnlyAndCollectStoresTheRunsLater) {
  const auto file = sweep_file("later", kSynthetic + "epochs = 2\n", "[matrix]\nseed = [1, 2]\n[launch]\nlauncher = \"sbatch\"\n");
  const auto submitted = sweep({"run", file.string(), "--db", db.string(), "--no-wait"});
  ASSERT_EQ(submitted.exit_code, 0) << submitted.out << submitted.err;
  const std::string job = job_of("later");
  EXPECT_NE(submitted.out.find("not following it (--no-wait)"), std::string::npos) << submitted.out;
  EXPECT_EQ(one("SELECT COUNT(*) FROM runs WHERE status = 'pending'"), "2") << "nothing stored yet";
  const auto status = sweep({"status", "--db", db.string()});
  EXPECT_NE(status.out.find("sweep later: Slurm job " + job), std::string::npos) << status.out;
  ASSERT_TRUE(eventually([&] { return invoke({"squeue", "--noheader", "--jobs=" + job}).out.empty(); },
                         std::chrono::seconds(120)))
      << "the array did not end";
  const auto collected = sweep({"collect", "--db", db.string(), (dir / "later.journals").string()});
  ASSERT_EQ(collected.exit_code, 0) << collected.err;
  EXPECT_NE(collected.out.find("2 done, 0 failed, 0 unchanged"), std::string::npos) << collected.out;
  EXPECT_EQ(query(db, "SELECT status, COUNT(*) FROM runs GROUP BY status"),
            (std::vector<std::vector<std::string>>{{"done", "2"}}));
  EXPECT_EQ(one("SELECT COUNT(*) FROM epochs"), "4");
}

TEST_F(Slurm, SrunStartsTwoRanksThroughPmix) {
  const auto file = sweep_file("srun_two", kSynthetic + "epochs = 2\nparallelism = \"sync\"\nranks = 2\n",
                               "[launch]\nlauncher = \"srun\"\ntimeout = 120\n");
  const auto dry = sweep({"run", file.string(), "--db", db.string(), "--dry-run"});
  EXPECT_NE(dry.out.find("\n  srun --mpi=pmix --ntasks=2 "), std::string::npos) << dry.out;
  const auto run = sweep({"run", file.string(), "--db", db.string()});
  ASSERT_EQ(run.exit_code, 0) << run.out << run.err;
  EXPECT_EQ(query(db, "SELECT status, ranks, host FROM runs"),
            (std::vector<std::vector<std::string>>{{"done", "2", cluster->node()}}));
  EXPECT_GT(std::stoll(one("SELECT bytes_sent FROM runs")), 0) << "the two ranks exchanged gradients";
  EXPECT_EQ(one("SELECT COUNT(*) FROM epochs"), "2");
  const auto jobs = invoke({"squeue", "--noheader", "--states=all", "--format=%j|%T|%D"});
  EXPECT_NE(jobs.out.find("iddl-train|COMPLETED|1"), std::string::npos) << "srun made its own allocation: " << jobs.out;
}

TEST_F(Slurm, FailingRunAmongGoodOnesIsRecordedFailedWithItsStderr) {
  fs::create_directories(dir / "bad");
  for (const char* name : {"train-images-idx3-ubyte", "train-labels-idx1-ubyte", "t10k-images-idx3-ubyte",
                           "t10k-labels-idx1-ubyte"})
    std::ofstream(dir / "bad" / name) << "not an IDX file";
  const auto file = sweep_file("one_bad", kSmall + "train_samples = 256\nepochs = 1\ndata_dir = \"" + (dir / "bad").string() + "\"\n",
                               "[[zip]]\ndataset = [\"synthetic\", \"mnist\", \"synthetic\"]\nseed = [1, 2, 3]\n"
                               "[launch]\nlauncher = \"sbatch\"\n");
  const auto run = sweep({"run", file.string(), "--db", db.string(), "--poll", "1"});
  EXPECT_EQ(run.exit_code, 1) << "a failed run: " << run.out << run.err;
  EXPECT_EQ(query(db, "SELECT dataset, status FROM runs ORDER BY seed"),
            (std::vector<std::vector<std::string>>{{"synthetic", "done"}, {"mnist", "failed"}, {"synthetic", "done"}}));
  const auto failed = query(db, "SELECT error, stderr_tail FROM runs WHERE status = 'failed'").at(0);
  EXPECT_NE(failed[0].find("train-images-idx3-ubyte"), std::string::npos) << "the error names the bad file: " << failed[0];
  EXPECT_NE(failed[1], "NULL");
  EXPECT_FALSE(failed[1].empty()) << "its stderr tail is kept";
}

TEST_F(Slurm, TaskOverItsTimeLimitIsRecordedAsTimeout) {
  const auto file = sweep_file("too_long", kSynthetic + "epochs = 100000\n", "[launch]\nlauncher = \"sbatch\"\ntimeout = 1\n");
  const auto run = sweep({"run", file.string(), "--db", db.string(), "--poll", "1"});
  EXPECT_EQ(run.exit_code, 1) << run.out << run.err;
  const auto script = lines_of(dir / "too_long.sbatch");
  EXPECT_NE(std::find(script.begin(), script.end(), "#SBATCH --time=1"), script.end()) << "1 s rounds up to 1 minute";
  EXPECT_NE(run.out.find(": TIMEOUT: timeout: "), std::string::npos) << run.out;
  EXPECT_EQ(query(db, "SELECT status, error FROM runs"),
            (std::vector<std::vector<std::string>>{
                {"timeout", "the Slurm task exceeded its time limit (sbatch --time)"}}));
  EXPECT_GT(std::stoi(one("SELECT COUNT(*) FROM epochs")), 0) << "its epochs before the limit are kept";
  const auto again = sweep({"collect", "--db", db.string(), (dir / "too_long.journals").string()});
  EXPECT_NE(again.out.find("1 unchanged"), std::string::npos) << "collect asks Slurm how the task ended: " << again.out;
}

TEST_F(Slurm, ScancelMidSweepInterruptsRunsInFlightAndRunAgainFinishesThem) {
  const auto file = sweep_file("cancelled", kLongRuns,
                               "[matrix]\nseed = [1, 2, 3]\n[launch]\nlauncher = \"sbatch\"\n");
  auto running = start({"run", file.string(), "--db", db.string(), "--poll", "1"});
  std::string in_flight;
  ASSERT_TRUE(eventually([&] { return run_in_flight("cancelled", in_flight); }, std::chrono::seconds(90)))
      << "no run got going";
  ASSERT_EQ(invoke({"scancel", job_of("cancelled")}).exit_code, 0);
  const auto first = running.get();
  EXPECT_NE(first.out.find(": CANCELLED: interrupted: the Slurm task was cancelled"), std::string::npos) << first.out;
  EXPECT_EQ(one("SELECT status FROM runs WHERE run_key = '" + in_flight + "'"), "interrupted") << first.out;
  EXPECT_EQ(one("SELECT COUNT(*) FROM runs WHERE status IN ('done', 'failed', 'timeout', 'running')"), "0")
      << "3 runs of 100 epochs cannot have finished; the others were cancelled before they started: " << first.out;

  const auto second = sweep({"run", file.string(), "--db", db.string(), "--poll", "1"});
  ASSERT_EQ(second.exit_code, 0) << second.out << second.err;
  EXPECT_NE(second.out.find("3 done, 0 failed"), std::string::npos) << second.out;
  EXPECT_EQ(query(db, "SELECT status, COUNT(*) FROM runs GROUP BY status"),
            (std::vector<std::vector<std::string>>{{"done", "3"}}));
  EXPECT_EQ(one("SELECT COUNT(*) FROM epochs"), "300");
}

TEST_F(Slurm, RequeuedTaskRecordsItsRunOnce) {
  const auto file = sweep_file("requeued", kLongRuns, "[matrix]\nseed = [1, 2]\n[launch]\nlauncher = \"sbatch\"\n");
  auto running = start({"run", file.string(), "--db", db.string(), "--poll", "1"});
  std::string in_flight;
  ASSERT_TRUE(eventually([&] { return run_in_flight("requeued", in_flight); }, std::chrono::seconds(90)))
      << "no run got going";
  const auto header = nlohmann::json::parse(lines_of(journal("requeued", in_flight)).at(0));
  const std::string task = job_of("requeued") + "_" + std::to_string(header.at("slurm_task").get<int>());
  const auto requeue = invoke({"scontrol", "requeue", task});
  ASSERT_EQ(requeue.exit_code, 0) << requeue.err;
  const auto run = running.get();
  ASSERT_EQ(run.exit_code, 0) << run.out << run.err;
  EXPECT_NE(run.out.find("requeued by Slurm"), std::string::npos) << run.out;
  EXPECT_EQ(query(db, "SELECT status, COUNT(*) FROM runs GROUP BY status"),
            (std::vector<std::vector<std::string>>{{"done", "2"}}));
  EXPECT_EQ(one("SELECT COUNT(*) FROM epochs"), "200") << "100 epochs per run, the requeued one's once";
  const auto lines = lines_of(journal("requeued", in_flight));
  EXPECT_EQ(nlohmann::json::parse(lines.at(0)).value("restart", 0), 1) << "the journal is the second attempt's";
  EXPECT_EQ(std::count_if(lines.begin(), lines.end(),
                          [](const std::string& line) { return line.find("\"event\":\"run_started\"") != std::string::npos; }),
            1);
  const auto again = sweep({"collect", "--db", db.string(), (dir / "requeued.journals").string()});
  EXPECT_NE(again.out.find("0 done, 0 failed, 2 unchanged"), std::string::npos) << again.out;
}
