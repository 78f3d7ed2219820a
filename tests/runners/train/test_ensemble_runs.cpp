// Seed 000's ensembles end to end: iddl-sweep -> mpirun -> iddl-train -> SQLite on generated data. The
// end-to-end vertical ensemble on 2 ranks gathers the members' logits in every training step; AdaBoost
// trains its 2 members in turn on one rank (1 epoch each), with both updates and both weightings, and
// stores one epoch row per member with the members' accuracies.
#include <map>

#include "tests/support/sweep_folder.hpp"

namespace iddl::testing {
namespace {

class EnsembleRuns : public SweepFolderTest {};

TEST_F(EnsembleRuns, EndToEndEnsembleAndAdaBoostRunThroughTheSweep) {
  const auto file = write("ensembles.toml", R"([sweep]
name = "ensembles_e2e"
[base]
dataset = "synthetic"
train_samples = 256
test_samples = 64
hidden = [16]
batch_size = 16
epochs = 2
lr = 0.05
threads = 1
[[zip]]
vertical = ["none",
            {method = "ensemble", combine = "linear", training = "end_to_end"},
            {method = "adaboost", members = 2, update = "seed"},
            {method = "adaboost", members = 2, update = "samme", sample_weighting = "loss"}]
ranks = [1, 2, 1, 1]
)");
  const auto result = sweep({"run", file.string(), "--db", db.string()});
  ASSERT_EQ(result.exit_code, 0) << result.out << result.err;
  const auto runs = query(db, "SELECT id, status, test_accuracy, params, flops FROM runs ORDER BY id");
  ASSERT_EQ(runs.size(), 4u);
  for (const auto& run : runs) {
    EXPECT_EQ(run[1], "done") << "run " << run[0];
    EXPECT_GT(std::stod(run[2]), 0.3) << "run " << run[0] << ": accuracy well above chance (0.1)";
    EXPECT_EQ(query(db, "SELECT COUNT(*) FROM epochs WHERE run_id = " + run[0]),
              (std::vector<std::vector<std::string>>{{"2"}}))
        << "run " << run[0];
  }
  const long long single_params = std::stoll(runs[0][3]), single_flops = std::stoll(runs[0][4]);

  // end_to_end: every step gathers the members' logits (training traffic), every epoch; both members scored.
  EXPECT_EQ(query(db, "SELECT COUNT(*) FROM epochs WHERE bytes_sent > 0 AND run_id = " + runs[1][0]),
            (std::vector<std::vector<std::string>>{{"2"}}));
  const auto joint = metrics(runs[1][0]);
  EXPECT_EQ(joint.count("member_accuracy.0") + joint.count("member_accuracy.1"), 2u);

  // AdaBoost: two whole networks, no traffic, both members' accuracies after the second epoch.
  for (size_t i = 2; i < 4; ++i) {
    EXPECT_EQ(std::stoll(runs[i][3]), 2 * single_params) << "run " << runs[i][0];
    EXPECT_EQ(std::stoll(runs[i][4]), 2 * single_flops) << "run " << runs[i][0];
    EXPECT_EQ(query(db, "SELECT COUNT(*) FROM epochs WHERE bytes_sent > 0 AND run_id = " + runs[i][0]),
              (std::vector<std::vector<std::string>>{{"0"}}));
    const auto boosted = metrics(runs[i][0]);
    ASSERT_EQ(boosted.count("member_accuracy.1"), 1u) << "run " << runs[i][0];
    EXPECT_GT(boosted.at("member_accuracy.0"), 0.0);
    EXPECT_GT(boosted.at("member_accuracy.1"), 0.0);
  }
}

}  // namespace
}  // namespace iddl::testing
