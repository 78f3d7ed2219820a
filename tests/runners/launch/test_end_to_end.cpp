// The whole path: iddl-sweep -> mpirun -> iddl-train -> SQLite, on generated synthetic data.
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include <boost/process.hpp>
#include <signal.h>

#include <chrono>
#include <functional>
#include <thread>

#include "hardware/blas_kernel_flags.hpp"
#include "hardware/cpu_info.hpp"
#include "tests/support/sweep_folder.hpp"

namespace fs = std::filesystem;
using namespace iddl::testing;

namespace {

// A sweep on generated data whose runs differ in epochs; `seed` keeps run keys (which appear in
// the processes' arguments) apart between tests running at the same time.
std::string slow_sweep(const std::string& name, int seed, const std::string& epochs, const std::string& extra = "") {
  return "[sweep]\nname = \"" + name + "\"\n[base]\ndataset = \"synthetic\"\ntrain_samples = 256\n"
         "test_samples = 64\nhidden = [16]\nbatch_size = 32\nseed = " + std::to_string(seed) +
         "\n[matrix]\nepochs = " + epochs + "\n" + extra;
}

class EndToEnd : public SweepFolderTest {
 protected:
  // Starts iddl-sweep in the background with its output in `log`.
  boost::process::child start(const std::vector<std::string>& args, const fs::path& log) {
    return boost::process::child(std::string(IDDL_BIN_DIR) + "/iddl-sweep", boost::process::args(args),
                                 boost::process::std_out > log.string(), boost::process::std_err > log.string() + ".err");
  }
  std::string count(const std::string& sql) {
    const auto rows = query(db, sql);
    return rows.empty() ? "" : rows[0][0];
  }
};

const std::string kSweeps = std::string(IDDL_SOURCE_DIR) + "/sweeps/";

}  // namespace

TEST_F(EndToEnd, SyntheticSweepOnOneAndTwoRanksIsStoredAndResumes) {
  const auto first = sweep({"run", kSweeps + "synthetic_e2e.toml", "--db", db.string()});
  ASSERT_EQ(first.exit_code, 0) << first.out << first.err;

  const auto runs = query(db, "SELECT parallelism, ranks, status, test_accuracy, bytes_sent, params, flops, "
                              "blas_library, host, finished_at FROM runs ORDER BY ranks");
  ASSERT_EQ(runs.size(), 2u);
  for (const auto& run : runs) {
    EXPECT_EQ(run[2], "done");
    EXPECT_GT(std::stod(run[3]), 0.5) << "accuracy well above chance (0.1)";
    EXPECT_GT(std::stoll(run[5]), 0);
    EXPECT_GT(std::stoll(run[6]), 0);
    EXPECT_NE(run[7], "NULL");
    EXPECT_NE(run[8], "NULL");
  }
  EXPECT_EQ(runs[0][0], "single");
  EXPECT_EQ(std::stoll(runs[0][4]), 0);
  EXPECT_EQ(runs[1][0], "sync");
  EXPECT_GT(std::stoll(runs[1][4]), 0) << "two-rank sync sends gradients";

  const auto epochs = query(db, "SELECT run_id, COUNT(*), MIN(epoch), MAX(epoch) FROM epochs GROUP BY run_id");
  ASSERT_EQ(epochs.size(), 2u);
  for (const auto& row : epochs) EXPECT_EQ((std::vector<std::string>{row[1], row[2], row[3]}),
                                           (std::vector<std::string>{"3", "1", "3"}));

  const auto again = sweep({"run", kSweeps + "synthetic_e2e.toml", "--db", db.string()});
  ASSERT_EQ(again.exit_code, 0) << again.err;
  EXPECT_NE(again.out.find("0 done, 0 failed, 0 timed out, 0 interrupted, 2 not run again"), std::string::npos)
      << again.out;
  const auto plan = sweep({"plan", kSweeps + "synthetic_e2e.toml", "--db", db.string()});
  EXPECT_NE(plan.out.find("2 runs, 2 done, 0 to run"), std::string::npos) << plan.out;
  const auto status = sweep({"status", "--db", db.string()});
  EXPECT_NE(status.out.find("| synthetic_e2e | 0 | 0 | 2 | 0 | 0 | 0 | 2 |"), std::string::npos) << status.out;
  EXPECT_EQ(query(db, "SELECT finished_at FROM runs ORDER BY ranks"),
            (std::vector<std::vector<std::string>>{{runs[0][9]}, {runs[1][9]}}));
}

// Partition and ensemble under mpirun -np 2 and early exits (the default branches on the MLP, seed
// 000's on LeNet): done, above chance, with the metrics each structure adds (docs/structure.md) in run_metrics.
TEST_F(EndToEnd, StructureSweepRecordsPartsMembersAndExits) {
  const auto result = sweep({"run", kSweeps + "structure_e2e.toml", "--db", db.string()});
  ASSERT_EQ(result.exit_code, 0) << result.out << result.err;
  const auto runs = query(db, "SELECT vertical, horizontal, ranks, status, test_accuracy, bytes_sent, params, flops "
                              "FROM runs ORDER BY id");
  ASSERT_EQ(runs.size(), 6u);
  for (const auto& run : runs) {
    EXPECT_EQ(run[3], "done") << run[0] << " " << run[1];
    EXPECT_GT(std::stod(run[4]), 0.5) << run[0] << " " << run[1];
  }
  const int64_t dense_params = std::stoll(runs[0][6]);  // 784-64-32-10
  EXPECT_EQ(dense_params, 784 * 64 + 64 + 64 * 32 + 32 + 32 * 10 + 10);
  // partition: two halves 784-32-16 joined by one classifier (one bias): every cross-part link dropped
  EXPECT_EQ(std::stoll(runs[1][6]), 2 * (784 * 32 + 32 + 32 * 16 + 16 + 16 * 10) + 10);
  // its training forward sends one batch of partial logits per step: 2048 / 32 steps x 32 x 10 floats x 3 epochs
  EXPECT_EQ(std::stoll(runs[1][5]), 64 * 32 * 10 * 4 * 3);
  EXPECT_EQ(std::stoll(runs[2][5]), 0) << "a mean ensemble trains without communicating";
  EXPECT_GT(std::stoll(runs[3][5]), 0) << "fitting the linear combiner gathers the members' logits";

  const auto metrics = [&](int64_t run) {
    return query(db, "SELECT name FROM run_metrics WHERE run_id = " + std::to_string(run) + " ORDER BY name");
  };
  EXPECT_EQ(metrics(3), (std::vector<std::vector<std::string>>{
                            {"member_accuracy.0"}, {"member_accuracy.1"}, {"samples_per_s"}}));
  EXPECT_EQ(metrics(5), (std::vector<std::vector<std::string>>{{"baseline_flops"},
                                                               {"baseline_inference_time_s"},
                                                               {"baseline_latency_ms"},
                                                               {"exit_accuracy.1"},
                                                               {"exit_accuracy.2"},
                                                               {"exit_flops.1"},
                                                               {"exit_flops.2"},
                                                               {"exit_fraction.1"},
                                                               {"exit_fraction.2"},
                                                               {"exit_time_s.1"},
                                                               {"exit_time_s.2"},
                                                               {"mean_inference_flops"},
                                                               {"samples_per_s"}}));
  EXPECT_NEAR(std::stod(count("SELECT SUM(value) FROM run_metrics WHERE run_id = 5 AND name LIKE 'exit_fraction.%'")),
              1.0, 1e-9);
  // the early-exit run's flops: its samples' mean, between leaving at exit 1 and at the output
  const double mean_flops = std::stod(runs[4][7]);
  EXPECT_GE(mean_flops, std::stod(count("SELECT value FROM run_metrics WHERE run_id = 5 AND name = 'exit_flops.1'")));
  EXPECT_LE(mean_flops, std::stod(count("SELECT value FROM run_metrics WHERE run_id = 5 AND name = 'exit_flops.2'")));
  // seed 000's early exit on LeNet: each of its three exits evaluated on every test sample and timed
  EXPECT_EQ(runs[5][1], "early_exit");
  for (const int run : {5, 6})
    for (int exit = 1; exit <= (run == 5 ? 2 : 3); ++exit) {
      const std::string where = " FROM run_metrics WHERE run_id = " + std::to_string(run) + " AND name = '";
      const std::string k = std::to_string(exit);
      EXPECT_GT(std::stod(count("SELECT value" + where + "exit_time_s." + k + "'")), 0.0) << run << " " << k;
      EXPECT_GT(std::stod(count("SELECT value" + where + "exit_accuracy." + k + "'")), 0.1) << run << " " << k;
    }
  EXPECT_EQ(count("SELECT COUNT(*) FROM run_metrics WHERE run_id = 6 AND name LIKE 'exit_time_s.%'"), "3");
}

// Augmented training on CIFAR-shaped data: flips and cutout (and a 1-pixel crop; the synthetic classes are white-noise
// prototypes, which wider crops scramble) still learn; a global batch of 32 on two sync ranks takes 16 steps an epoch.
TEST_F(EndToEnd, AugmentedSyntheticCifarRunsLearnAndAGlobalBatchSplitsOverTheRanks) {
  const auto file = write("augment.toml", R"([sweep]
name = "augment_e2e"
[base]
dataset = "synthetic-cifar"
train_samples = 512
test_samples = 128
model = "mlp"
hidden = [32]
epochs = 3
batch_size = 32
threads = 1
[[zip]]
augment = ["none", {method = "crop_flip", pad = 0, cutout = 8},
           {method = "crop_flip", pad = 1, padding = "zeros", cutout = 8}]
parallelism = ["single", "single", "sync"]
ranks = [1, 1, 2]
batch_scope = ["rank", "rank", "global"]
)");
  const auto result = sweep({"run", file.string(), "--db", db.string()});
  ASSERT_EQ(result.exit_code, 0) << result.out << result.err;
  const auto runs = query(db, "SELECT status, test_accuracy, json_extract(config, '$.augment.method'), "
                              "json_extract(config, '$.augment.cutout'), json_extract(config, '$.batch_scope'), "
                              "bytes_sent, params FROM runs ORDER BY id");
  ASSERT_EQ(runs.size(), 3u);
  for (const auto& run : runs) {
    EXPECT_EQ(run[0], "done");
    EXPECT_GT(std::stod(run[1]), 0.4) << run[2] << ": well above chance (0.1)";
  }
  EXPECT_EQ((std::vector<std::string>{runs[0][2], runs[1][2], runs[1][3], runs[2][4]}),
            (std::vector<std::string>{"none", "crop_flip", "8", "global"}));
  // 512 / 32 = 16 steps an epoch, each an allreduce of the float32 gradients (4 x params bytes on 2 ranks)
  EXPECT_EQ(std::stoll(runs[2][5]), 3 * 16 * 4 * std::stoll(runs[2][6]));
  EXPECT_NE(result.out.find("augment=crop_flip(cutout=8, pad=0)"), std::string::npos)
      << result.out;
}

TEST_F(EndToEnd, AFailingRunIsRecordedAndTheSweepGoesOn) {
  const auto file = write("failing.toml", R"([sweep]
name = "failing"
[base]
dataset = "synthetic"
train_samples = 256
test_samples = 64
hidden = [16]
epochs = 1
[matrix]
model = ["vgg16", "mlp"]
)");
  const auto result = sweep({"run", file.string(), "--db", db.string()});
  EXPECT_EQ(result.exit_code, 1) << result.out << result.err;
  const auto runs = query(db, "SELECT device, status, error, exit_code FROM runs ORDER BY id");
  ASSERT_EQ(runs.size(), 2u);
  EXPECT_EQ(runs[0][1], "failed");
  EXPECT_NE(runs[0][2].find("vgg16: an input side of 28 pixels shrinks to nothing"), std::string::npos) << runs[0][2];
  EXPECT_NE(runs[0][3], "0");
  EXPECT_EQ(runs[1][1], "done");
}

TEST_F(EndToEnd, MissingCifarFilesStopBeforeAnythingRuns) {
  const auto result = sweep({"run", kSweeps + "cifar10.toml", "--db", db.string()});
  EXPECT_EQ(result.exit_code, 2);
  EXPECT_NE(result.err.find("data_batch_1.bin"), std::string::npos) << result.err;
  EXPECT_NE(result.err.find("data_dir"), std::string::npos) << result.err;
  EXPECT_FALSE(fs::exists(db));
}

TEST_F(EndToEnd, PlanListsTheRunsWithoutData) {
  const auto result = sweep({"plan", kSweeps + "cifar10.toml", "--db", db.string()});
  EXPECT_EQ(result.exit_code, 0) << result.err;
  EXPECT_NE(result.out.find("resnet18"), std::string::npos) << result.out;
  EXPECT_NE(result.out.find("42 runs, 0 done, 42 to run"), std::string::npos) << result.out;
  EXPECT_FALSE(fs::exists(db)) << "plan must not create the database";
}

TEST_F(EndToEnd, BadSweepFileNamesTheFileAndLine) {
  const auto file = write("bad.toml", "[sweep]\nname = \"bad\"\n[base]\nmodle = \"mlp\"\n");
  const auto result = sweep({"plan", file.string()});
  EXPECT_EQ(result.exit_code, 2);
  EXPECT_NE(result.err.find("bad.toml:4"), std::string::npos) << result.err;
  EXPECT_NE(result.err.find("model"), std::string::npos) << result.err;
}

TEST_F(EndToEnd, TheChosenBlasKernelReachesEveryRunAndIsRecorded) {
  const auto file = write("blas.toml", R"([sweep]
name = "blas"
[base]
dataset = "synthetic"
train_samples = 128
test_samples = 32
hidden = [8]
epochs = 1
[[zip]]
parallelism = ["single", "sync"]
ranks = [1, 2]
)");
  const auto result = sweep({"run", file.string(), "--db", db.string(), "--blas-coretype", "Prescott"});
  ASSERT_EQ(result.exit_code, 0) << result.out << result.err;
  EXPECT_EQ(query(db, "SELECT DISTINCT blas_kernel FROM runs"), (std::vector<std::vector<std::string>>{{"Prescott"}}));
}

// A kernel this CPU cannot execute (--blas-coretype SkylakeX without AVX-512) is refused before anything runs, naming
// the instruction sets it lacks, instead of every run dying with SIGILL.
TEST_F(EndToEnd, AKernelThisCpuCannotRunIsRefusedNamingTheMissingInstructionSets) {
  const auto flags = iddl::hardware::read_cpu_info().flags;
  std::string kernel;
  for (const char* candidate : {"SkylakeX", "Haswell", "Sandybridge", "Cooperlake", "SapphireRapids", "Bulldozer"}) {
    if (!iddl::hardware::missing_kernel_flags(candidate, flags).empty()) {
      kernel = candidate;
      break;
    }
  }
  if (kernel.empty()) GTEST_SKIP() << "this CPU has the instruction sets of every checked OpenBLAS kernel";
  const auto missing = iddl::hardware::missing_kernel_flags(kernel, flags);
  const auto file = write("blas.toml", slow_sweep("blas_refused", 103, "[1]"));
  for (const std::vector<std::string>& args : {std::vector<std::string>{"run", file.string(), "--db", db.string()},
                                               std::vector<std::string>{"blas"}}) {
    auto argv = args;
    argv.insert(argv.end(), {"--blas-coretype", kernel});
    const auto result = sweep(argv);
    EXPECT_NE(result.exit_code, 0) << args[0];
    EXPECT_NE(result.err.find("OpenBLAS kernel '" + kernel + "' from --blas-coretype needs the instruction set"),
              std::string::npos) << result.err;
    EXPECT_NE(result.err.find(missing.front()), std::string::npos) << result.err;
    EXPECT_EQ(result.err.find("signal 4"), std::string::npos) << result.err;
  }
  EXPECT_TRUE(query(db, "SELECT run_key FROM runs WHERE status <> 'pending'").empty()) << "a run was started";
}

TEST_F(EndToEnd, KillNineOfTheSweepThenARerunLosesNothingAndRunsNothingTwice) {
  const auto file = write("slow.toml", slow_sweep("killed", 101, "[1, 300]"));
  auto background = start({"run", file.string(), "--db", db.string()}, dir / "first.log");
  ASSERT_TRUE(eventually([&] { return count("SELECT COUNT(*) FROM epochs e JOIN runs r ON r.id = e.run_id "
                                            "WHERE r.epochs = 300 AND r.status = 'running'") >= "1"; },
                         std::chrono::seconds(120)));
  const auto quick = query(db, "SELECT run_key, finished_at FROM runs WHERE epochs = 1");
  ASSERT_EQ(quick.size(), 1u);
  ::kill(background.id(), SIGKILL);
  background.wait();
  const std::string slow_key = count("SELECT run_key FROM runs WHERE epochs = 300");
  EXPECT_TRUE(eventually([&] { return processes_mentioning(slow_key).empty(); }, std::chrono::seconds(30)))
      << "the killed sweep's run did not stop once nobody read its output";

  const auto rerun = sweep({"run", file.string(), "--db", db.string()});
  ASSERT_EQ(rerun.exit_code, 0) << rerun.out << rerun.err;
  EXPECT_NE(rerun.out.find("1 run(s) left running by an earlier invocation marked interrupted"), std::string::npos)
      << rerun.out;
  EXPECT_EQ(query(db, "SELECT run_key, finished_at FROM runs WHERE epochs = 1"), quick) << "the done run ran again";
  EXPECT_EQ(count("SELECT COUNT(*) FROM runs WHERE status = 'done'"), "2");
  EXPECT_EQ(count("SELECT COUNT(*) FROM epochs e JOIN runs r ON r.id = e.run_id WHERE r.epochs = 300"), "300");
  EXPECT_EQ(count("PRAGMA integrity_check"), "ok");
}

TEST_F(EndToEnd, ARunOverItsTimeoutIsStoppedAndRecorded) {
  const auto file = write("slow.toml", slow_sweep("timed", 102, "[100000]", "[launch]\ntimeout = \"2s\"\n"));
  const auto result = sweep({"run", file.string(), "--db", db.string()});
  EXPECT_EQ(result.exit_code, 1) << result.out << result.err;
  const auto rows = query(db, "SELECT status, error, run_key FROM runs");
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0][0], "timeout");
  EXPECT_NE(rows[0][1].find("timeout of 2s"), std::string::npos) << rows[0][1];
  EXPECT_TRUE(processes_mentioning(rows[0][2]).empty()) << "processes of the timed-out run are left";
}

TEST_F(EndToEnd, SigintStopsTheRunsInFlightAndMarksThemInterrupted) {
  const auto file = write("slow.toml", slow_sweep("stopped", 103, "[100000, 1]"));
  auto background = start({"run", file.string(), "--db", db.string()}, dir / "run.log");
  ASSERT_TRUE(eventually([&] { return count("SELECT COUNT(*) FROM epochs") >= "1"; }, std::chrono::seconds(120)));
  ::kill(background.id(), SIGINT);
  background.wait();
  EXPECT_EQ(background.exit_code(), 130);
  EXPECT_EQ(query(db, "SELECT epochs, status FROM runs ORDER BY id"),
            (std::vector<std::vector<std::string>>{{"100000", "interrupted"}, {"1", "pending"}}));
  EXPECT_TRUE(processes_mentioning(count("SELECT run_key FROM runs WHERE epochs = 100000")).empty());
}

TEST_F(EndToEnd, TwoJobsRunTwoRunsAtOnceOnDisjointCores) {
  const auto file = write("pair.toml", slow_sweep("pair", 104, "[150, 151]", "[launch]\njobs = 2\n"));
  const auto result = sweep({"run", file.string(), "--db", db.string()});
  ASSERT_EQ(result.exit_code, 0) << result.out << result.err;
  const auto second_start = result.out.find("[2/2]");
  const auto first_done = result.out.find("[1/2] " + count("SELECT run_key FROM runs WHERE epochs = 150") + " epochs=150: done");
  ASSERT_NE(first_done, std::string::npos) << result.out;
  EXPECT_LT(second_start, first_done) << "the second run started only after the first finished:\n" << result.out;
  EXPECT_NE(result.out.find("started on cores 0"), std::string::npos) << result.out;
  EXPECT_NE(result.out.find("started on cores 1"), std::string::npos) << result.out;
}

TEST_F(EndToEnd, ARunWhoseLossIsNotFiniteFailsWithThatReason) {
  const auto text = slow_sweep("diverge", 105, "[2]");
  const auto diverging = write("diverging.toml", text.substr(0, text.find("[matrix]")) + "lr = 1e30\n" +
                                                     text.substr(text.find("[matrix]")));
  const auto result = sweep({"run", diverging.string(), "--db", db.string()});
  EXPECT_EQ(result.exit_code, 1) << result.out << result.err;
  const auto rows = query(db, "SELECT status, error FROM runs");
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0][0], "failed");
  EXPECT_NE(rows[0][1].find("not finite"), std::string::npos) << rows[0][1];
}
