// Pipeline runs end to end: iddl-sweep -> mpirun -> iddl-train -> SQLite on generated data, a
// pipeline on 2 ranks (fill-drain; 1F1B with sortquant boundaries; balanced by measured time; split
// by hand with uniform boundaries; sortquant codes in seed 004's int16 containers) and 2 pipelines of 2 stages on 4 ranks
// beside data parallelism, both splitting a global batch (batch_scope "global"), with their exact boundary bytes and
// the seed 004 report; the first_and_last placement's two boundaries; and
// a rank frozen (SIGSTOP) or killed mid-pipeline failing its run, the frozen one within the receive
// timeout, while the sweep goes on.
#include <signal.h>

#include <boost/process.hpp>
#include <chrono>
#include <fstream>
#include <functional>
#include <iterator>
#include <map>
#include <thread>

#include "tests/support/sweep_folder.hpp"

namespace fs = std::filesystem;

namespace iddl::testing {
namespace {

class PipelineRuns : public SweepFolderTest {
 protected:
  // The first cell of a query's first row ("" when none).
  std::string one(const std::string& sql) {
    const auto rows = query(db, sql);
    return rows.empty() ? "" : rows[0][0];
  }
  // Sends `signal` to rank 1 of a long pipeline run once it has trained an epoch; expects the run
  // recorded as failed within a minute, its processes gone and the sweep's next run done. Returns the
  // failed run's error.
  std::string break_rank_one(int signal, const std::string& name);
};

std::string file_text(const fs::path& path) {
  std::ifstream in(path);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

// The pids of iddl-train processes whose command line mentions `text` and whose MPI rank is `rank`.
std::vector<pid_t> train_ranks(const std::string& text, int rank) {
  std::vector<pid_t> found;
  std::error_code error;
  for (const auto& entry : fs::directory_iterator("/proc", error)) {
    const std::string cmdline = file_text(entry.path() / "cmdline");
    if (cmdline.find("iddl-train") == std::string::npos || cmdline.find(text) == std::string::npos) continue;
    const std::string environ = file_text(entry.path() / "environ");
    if (environ.find("OMPI_COMM_WORLD_RANK=" + std::to_string(rank) + '\0') != std::string::npos)
      found.push_back(static_cast<pid_t>(std::stoi(entry.path().filename().string())));
  }
  return found;
}

TEST_F(PipelineRuns, PipelinesAndDataParallelismRecordTheirMetricsAndReport) {
  // MLP 784-32-16-10 splits by FLOPs after its first hidden layer: 32 values a sample cross the boundary.
  const auto file = write("pipe.toml", R"([sweep]
name = "pipe_e2e"
[base]
dataset = "synthetic"
train_samples = 512
test_samples = 128
hidden = [32, 16]
epochs = 2
lr = 0.05
threads = 1
[[zip]]
parallelism = ["sync", {method = "pipeline", chunks = 4},
               {method = "pipeline", chunks = 4, schedule = "1f1b", boundary_compression = "sortquant", bits = 8},
               {method = "pipeline", stages = 2, chunks = 2},
               {method = "pipeline", balance = "time"},
               {method = "pipeline", split = [1], boundary_compression = "uniform", bits = 8},
               {method = "pipeline", boundary_compression = "sortquant", bits = 12, container = "int"}]
ranks = [2, 2, 2, 4, 2, 2, 2]
batch_size = [32, 32, 32, 32, 32, 32, 32]
batch_scope = ["global", "rank", "rank", "global", "rank", "rank", "rank"]
)");
  const auto result = sweep({"run", file.string(), "--db", db.string(), "--oversubscribe"});  // 4 ranks on 2 cores
  ASSERT_EQ(result.exit_code, 0) << result.out << result.err;
  ASSERT_EQ(one("SELECT COUNT(*) FROM runs WHERE status = 'done'"), "7") << result.out;

  const auto sync = metrics("1"), plain = metrics("2"), quantized = metrics("3"), hybrid = metrics("4");
  EXPECT_GT(sync.at("samples_per_s"), 0.0);
  EXPECT_EQ(sync.count("pipeline_efficiency"), 0u);
  // 512 samples x 2 epochs x 32 float32 values each way.
  EXPECT_DOUBLE_EQ(plain.at("boundary.1.forward_bytes"), 512.0 * 2 * 32 * 4);
  EXPECT_DOUBLE_EQ(plain.at("boundary.1.backward_bytes"), 512.0 * 2 * 32 * 4);
  EXPECT_DOUBLE_EQ(plain.at("boundary_compression_ratio"), 1.0);
  EXPECT_DOUBLE_EQ(plain.at("ideal_efficiency"), 4.0 / 5.0);
  EXPECT_GT(plain.at("pipeline_efficiency"), 0.0);
  EXPECT_LE(plain.at("pipeline_efficiency"), 1.0);
  EXPECT_GT(plain.at("boundary.1.forward_bandwidth_Bps"), 0.0);
  EXPECT_EQ(plain.at("peak_live_micro_batches.0"), 4.0);
  EXPECT_GT(plain.at("peak_activation_bytes.0"), 0.0);
  EXPECT_EQ(plain.at("stage_first.1"), 1.0);
  // sortquant 8 bits = 6-bit codes + 2-bit buckets: a message of 8 rows x 32 values is 4 x 8 table
  // bytes + 256 bytes of codes; 16 steps x 4 chunks x 2 epochs of them each way.
  EXPECT_DOUBLE_EQ(quantized.at("boundary.1.forward_bytes"), 128.0 * (32 + 256));
  EXPECT_DOUBLE_EQ(quantized.at("boundary_compression_ratio"), 288.0 / 1024.0);
  EXPECT_EQ(quantized.at("peak_live_micro_batches.0"), 2.0);  // 1F1B on stage 0 of 2
  EXPECT_EQ(quantized.at("peak_live_micro_batches.1"), 1.0);
  // Two pipelines of two stages (batch_scope "global"): pipeline 0 trains on half of every global batch of 32.
  EXPECT_EQ(hybrid.at("pipeline_replicas"), 2.0);
  EXPECT_DOUBLE_EQ(hybrid.at("boundary.1.forward_bytes"), 256.0 * 2 * 32 * 4);
  // Balanced by measured time, and split by hand with uniform 8-bit boundaries: one (min, step)
  // pair of 8 bytes and one byte a value, 256 values a message.
  EXPECT_EQ(metrics("5").at("stage_first.1"), 1.0);
  const auto uniform = metrics("6");
  EXPECT_EQ(uniform.at("stage_first.1"), 1.0);
  EXPECT_DOUBLE_EQ(uniform.at("boundary.1.forward_bytes"), 128.0 * (8 + 256));
  EXPECT_DOUBLE_EQ(uniform.at("boundary_compression_ratio"), 264.0 / 1024.0);
  // sortquant 12 bits (9:3) with seed 004's int16 containers: 8 x 8 table bytes + 2 bytes a value.
  const auto in_int16 = metrics("7");
  EXPECT_DOUBLE_EQ(in_int16.at("boundary.1.forward_bytes"), 128.0 * (64 + 512));
  EXPECT_DOUBLE_EQ(in_int16.at("boundary_compression_ratio"), 576.0 / 1024.0);
  for (const char* accuracy : {"2", "3", "4", "5", "6", "7"})
    EXPECT_GT(std::stod(one(std::string("SELECT test_accuracy FROM runs WHERE id = ") + accuracy)), 0.5);

  const auto report = invoke({std::string(IDDL_BIN_DIR) + "/iddl-report", "pipeline", "--db", db.string()});
  ASSERT_EQ(report.exit_code, 0) << report.err;
  for (const char* cell : {"## Throughput", "| data parallel-2 |", "| pipeline-2 |",
                           "| pipeline-2 1f1b, sortquant 8 bits (6:2) |", "| pipeline-4 (2 stages × 2) |",
                           "| 32 (4 chunks) |", "| 32 (2 chunks) |", "| 1× |", "(80.00%)",
                           "## Boundary compression", "sortquant 8 bits (6:2)", "0.2812",
                           "sortquant 12 bits (9:3) in int16", "0.5625"})
    EXPECT_NE(report.out.find(cell), std::string::npos) << cell << "\n" << report.out;
}

TEST_F(PipelineRuns, FirstAndLastPlacementCrossesTwoBoundaries) {
  // MLP 784-32-16-8-10 in three groups by FLOPs, its three stages: rank 0 the first and the last, rank 1 the
  // middle (seed 004's client/server); 32 values a sample cross boundary 1, 16 boundary 2.
  const auto file = write("client_server.toml", R"([sweep]
name = "first_and_last_e2e"
[base]
dataset = "synthetic"
train_samples = 256
test_samples = 64
hidden = [32, 16, 8]
epochs = 1
lr = 0.05
threads = 1
ranks = 2
batch_size = 32
parallelism = {method = "pipeline", chunks = 4, placement = "first_and_last"}
)");
  const auto result = sweep({"run", file.string(), "--db", db.string()});
  ASSERT_EQ(result.exit_code, 0) << result.out << result.err;
  ASSERT_EQ(one("SELECT status FROM runs WHERE id = 1"), "done") << result.out;
  const auto m = metrics("1");
  EXPECT_EQ(m.at("stage_first.1"), 1.0);
  EXPECT_EQ(m.at("stage_first.2"), 2.0);
  EXPECT_DOUBLE_EQ(m.at("boundary.1.forward_bytes"), 256.0 * 32 * 4);
  EXPECT_DOUBLE_EQ(m.at("boundary.1.backward_bytes"), 256.0 * 32 * 4);
  EXPECT_DOUBLE_EQ(m.at("boundary.2.forward_bytes"), 256.0 * 16 * 4);
  EXPECT_DOUBLE_EQ(m.at("boundary.2.backward_bytes"), 256.0 * 16 * 4);
  EXPECT_DOUBLE_EQ(m.at("ideal_efficiency"), 0.75);
  // bytes_sent is rank 0's training traffic: boundary 1's activations and boundary 2's gradients.
  EXPECT_EQ(one("SELECT bytes_sent FROM runs WHERE id = 1"), std::to_string(256 * (32 + 16) * 4));
  const auto report = invoke({std::string(IDDL_BIN_DIR) + "/iddl-report", "pipeline", "--db", db.string()});
  ASSERT_EQ(report.exit_code, 0) << report.err;
  EXPECT_NE(report.out.find("| pipeline-2 first-and-last |"), std::string::npos) << report.out;
  EXPECT_NE(report.out.find("; 2: "), std::string::npos) << "boundary 2's bandwidth\n" << report.out;
}

std::string PipelineRuns::break_rank_one(int signal, const std::string& name) {
  const auto file = write("broken.toml", "[sweep]\nname = \"" + name + R"("
[base]
dataset = "synthetic"
train_samples = 512
test_samples = 64
hidden = [16, 16]
batch_size = 32
threads = 1
ranks = 2
[[zip]]
parallelism = [{method = "pipeline", receive_timeout = 3.0}, "sync"]
epochs = [100000, 1]
)");
  const fs::path log = file.parent_path() / "run.log";
  boost::process::child background(std::string(IDDL_BIN_DIR) + "/iddl-sweep",
                                   boost::process::args({"run", file.string(), "--db", db.string()}),
                                   boost::process::std_out > log.string(), boost::process::std_err > log.string() + ".err");
  EXPECT_TRUE(eventually([&] { return one("SELECT COUNT(*) FROM epochs WHERE run_id = 1") >= "1"; },
                         std::chrono::seconds(120)));
  const std::vector<pid_t> rank1 = train_ranks(name, 1);
  EXPECT_EQ(rank1.size(), 1u);
  if (rank1.size() != 1u) return "";
  EXPECT_EQ(::kill(rank1[0], signal), 0);
  const auto broken_at = std::chrono::steady_clock::now();
  const bool ended = eventually([&] { return !background.running(); }, std::chrono::seconds(90));
  if (!ended) {
    ::kill(rank1[0], SIGKILL);
    background.terminate();
  }
  EXPECT_TRUE(ended) << "the sweep hung on the broken rank";
  EXPECT_LT(std::chrono::steady_clock::now() - broken_at, std::chrono::seconds(60));
  background.wait();
  EXPECT_EQ(background.exit_code(), 1);  // a run failed
  const auto rows = query(db, "SELECT status, error FROM runs ORDER BY id");
  EXPECT_EQ(rows.size(), 2u);
  if (rows.size() != 2u) return "";
  EXPECT_EQ(rows[0][0], "failed");
  EXPECT_EQ(rows[1][0], "done");
  EXPECT_TRUE(eventually([&] { return train_ranks(name, 0).empty() && train_ranks(name, 1).empty(); },
                         std::chrono::seconds(30)))
      << "processes of the failed run are left";
  return rows[0][1];
}

TEST_F(PipelineRuns, AFrozenRankFailsItsRunWithinTheTimeoutAndTheSweepGoesOn) {
  const std::string error = break_rank_one(SIGSTOP, "frozen_" + std::to_string(::getpid()));
  // Rank 0 timed out waiting for rank 1's gradients or results, or to deliver its activations.
  EXPECT_TRUE(error.find("rank 0 received nothing from rank 1") != std::string::npos ||
              error.find("rank 0 could not deliver a message to rank 1") != std::string::npos)
      << error;
}

TEST_F(PipelineRuns, ARankKilledMidPipelineFailsItsRunAndTheSweepGoesOn) {
  break_rank_one(SIGKILL, "killed_" + std::to_string(::getpid()));
}

}  // namespace
}  // namespace iddl::testing
