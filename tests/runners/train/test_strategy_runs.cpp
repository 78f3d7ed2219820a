// Parallelism options of issue 16 end to end: iddl-sweep -> mpirun -> iddl-train -> SQLite on generated data, two
// ranks each: consensus ADMM with its residuals stored per epoch, param_avg averaging once after the last epoch
// (avg_freq = 0), w_param_avg with the seed's weighting, and gossip sized to the bandwidth and weighted by throughput.
#include <map>

#include "tests/support/sweep_folder.hpp"

namespace iddl::testing {
namespace {

class StrategyRuns : public SweepFolderTest {};

TEST_F(StrategyRuns, AdmmAveragingOnceSeedWeightingAndAdaptiveGossipRunThroughTheSweep) {
  const auto file = write("strategies.toml", R"([sweep]
name = "strategies_e2e"
[base]
dataset = "synthetic"
train_samples = 256
test_samples = 64
hidden = [16]
batch_size = 16
epochs = 2
lr = 0.05
threads = 1
ranks = 2
[matrix]
parallelism = [{method = "admm", rho = 1.0, local_steps = 4},
               {method = "param_avg", avg_freq = 0, avg_unit = "epochs"},
               {method = "w_param_avg", avg_freq = 1, avg_unit = "epochs", weighting = "seed"},
               {method = "gossip", period = 2, share = "bandwidth", weighting = "throughput"}]
)");
  const auto result = sweep({"run", file.string(), "--db", db.string()});
  ASSERT_EQ(result.exit_code, 0) << result.out << result.err;
  const auto runs = query(db, "SELECT id, status, test_accuracy FROM runs ORDER BY id");
  ASSERT_EQ(runs.size(), 4u);
  for (const auto& run : runs) {
    EXPECT_EQ(run[1], "done") << "run " << run[0];
    EXPECT_GT(std::stod(run[2]), 0.3) << "run " << run[0] << ": accuracy well above chance (0.1)";
  }

  // ADMM: 256 samples / (16 x 2 ranks) = 8 steps an epoch, a round every 4; both residuals for both epochs.
  const auto admm = metrics(runs[0][0]);
  for (const char* name : {"admm_primal_residual.1", "admm_primal_residual.2", "admm_dual_residual.1",
                           "admm_dual_residual.2"}) {
    ASSERT_EQ(admm.count(name), 1u) << name;
    EXPECT_GT(admm.at(name), 0.0) << name;
  }
  // param_avg with avg_freq = 0: no training traffic in epoch 1, the one average after epoch 2.
  EXPECT_EQ(query(db, "SELECT epoch, bytes_sent > 0 FROM epochs WHERE run_id = " + runs[1][0] + " ORDER BY epoch"),
            (std::vector<std::vector<std::string>>{{"1", "0"}, {"2", "1"}}));
  // The seed's weighting averages after every epoch.
  EXPECT_EQ(query(db, "SELECT COUNT(*) FROM epochs WHERE bytes_sent > 0 AND run_id = " + runs[2][0]),
            (std::vector<std::vector<std::string>>{{"2"}}));
  // Adaptive gossip exchanges every other step in both epochs.
  EXPECT_EQ(query(db, "SELECT COUNT(*) FROM epochs WHERE bytes_sent > 0 AND run_id = " + runs[3][0]),
            (std::vector<std::vector<std::string>>{{"2"}}));
}

}  // namespace
}  // namespace iddl::testing
