// Checkpoints end to end (docs/checkpoints.md): iddl-sweep -> mpirun -> iddl-train -> SQLite. A run killed after
// epoch 2 of 4 (IDDL_TEST_KILL_AFTER_EPOCH: every rank SIGKILLs itself once the epoch is checkpointed) and rerun with
// --retry-failed resumes from its checkpoint and ends with weights bit-identical to an uninterrupted run's, with
// the same epoch rows, none twice, for every strategy and compressor with state, a pipeline with sortquant
// boundaries, a zero-bubble (zb_h1) pipeline and AdaBoost (killed after epoch 3 of 6, in the second of three
// members); save_model keeps the final weights and records their paths. checkpoint_every = "auto" saves after an
// epoch once checkpoint_interval_s have passed.
#include <torch/torch.h>

#include <map>

#include "tests/support/sweep_folder.hpp"

namespace iddl::testing {
namespace {

namespace fs = std::filesystem;
using Rows = std::vector<std::vector<std::string>>;

// One strategy to checkpoint: its settings (TOML lines of [base]) and ranks, and when it saves checkpoints; its
// network's hidden layers, its epochs and the epoch after which the first launch is killed.
struct Case {
  std::string name;
  std::string settings;
  std::string checkpointing = "checkpoint_every = 1\n";
  std::string hidden = "[16]";
  int epochs = 4;
  int killed_after = 2;
};

std::ostream& operator<<(std::ostream& out, const Case& c) { return out << c.name; }

// Every tensor of a torch::serialize archive, by its path of keys ("0.weight"); sub-archives read recursively.
void read_tensors(torch::serialize::InputArchive& archive, const std::string& prefix,
                  std::map<std::string, torch::Tensor>& out) {
  for (const std::string& key : archive.keys()) {
    torch::Tensor tensor;
    if (archive.try_read(key, tensor)) {
      out[prefix + key] = tensor;
      continue;
    }
    torch::serialize::InputArchive inner;
    if (archive.try_read(key, inner)) read_tensors(inner, prefix + key + ".", out);
  }
}

// Regular files anywhere under `folder` (0 when it is absent).
int files_under(const fs::path& folder) {
  int files = 0;
  std::error_code error;
  for (auto it = fs::recursive_directory_iterator(folder, error); !error && it != fs::recursive_directory_iterator();
       it.increment(error))
    files += it->is_regular_file() ? 1 : 0;
  return files;
}

std::map<std::string, torch::Tensor> weights_in(const std::string& file) {
  torch::serialize::InputArchive archive;
  archive.load_from(file);
  std::map<std::string, torch::Tensor> tensors;
  read_tensors(archive, "", tensors);
  return tensors;
}

class Checkpoints : public SweepFolderTest, public ::testing::WithParamInterface<Case> {
 protected:
  // The sweep file of the case, its runs checkpointed every epoch and their final weights kept.
  fs::path sweep_file() {
    return write("resume.toml", "[sweep]\nname = \"resume_" + GetParam().name + R"("
[base]
dataset = "synthetic"
train_samples = 256
test_samples = 64
batch_size = 16
lr = 0.05
threads = 1
save_model = true
)" + "hidden = " + GetParam().hidden + "\nepochs = " + std::to_string(GetParam().epochs) + "\n" +
                                     GetParam().checkpointing + GetParam().settings);
  }
  Invocation run(const fs::path& database, std::vector<std::string> extra = {}, bool killed = false) {
    std::vector<std::string> argv{"/usr/bin/env"};
    if (killed) argv.push_back("IDDL_TEST_KILL_AFTER_EPOCH=" + std::to_string(GetParam().killed_after));
    argv.push_back(std::string(IDDL_BIN_DIR) + "/iddl-sweep");
    for (const std::string& arg : {std::string("run"), sweep_file().string(), std::string("--db"), database.string()})
      argv.push_back(arg);
    argv.insert(argv.end(), extra.begin(), extra.end());
    return invoke(argv);
  }
  static Rows epochs(const fs::path& database) {
    return query(database, "SELECT epoch, train_loss, test_loss, test_accuracy FROM epochs ORDER BY epoch");
  }
  // The run metrics that do not depend on timing: the AdaBoost members' accuracies, a pipeline's boundary traffic.
  static Rows deterministic_metrics(const fs::path& database) {
    return query(database,
                 "SELECT name, value FROM run_metrics WHERE name LIKE 'member_accuracy.%' OR name LIKE 'boundary%bytes' "
                 "OR name = 'boundary_compression_ratio' OR name LIKE 'peak_live_micro_batches.%' ORDER BY name");
  }
  static Rows artifacts(const fs::path& database, const std::string& kind) {
    return query(database, "SELECT path FROM artifacts WHERE kind = '" + kind + "' ORDER BY path");
  }
};

TEST_P(Checkpoints, AKilledRunResumesFromItsCheckpointAndEndsBitIdentical) {
  const fs::path whole = dir / "whole.db";
  const Invocation uninterrupted = run(whole);
  ASSERT_EQ(uninterrupted.exit_code, 0) << uninterrupted.out << uninterrupted.err;
  EXPECT_EQ(query(whole, "SELECT status, resumed_from_epoch FROM runs"), (Rows{{"done", "NULL"}}));
  const Rows whole_models = artifacts(whole, "model");
  EXPECT_TRUE(artifacts(whole, "checkpoints").empty()) << "a done run's checkpoints are removed";
  EXPECT_EQ(files_under(whole.string() + ".checkpoints"), 0);

  const Invocation killed = run(db, {}, true);
  const std::string k = std::to_string(GetParam().killed_after);
  EXPECT_EQ(query(db, "SELECT status FROM runs"), (Rows{{"failed"}})) << killed.out;
  Rows stored;
  for (int epoch = 1; epoch <= GetParam().killed_after; ++epoch) stored.push_back({std::to_string(epoch)});
  EXPECT_EQ(query(db, "SELECT epoch FROM epochs ORDER BY epoch"), stored);
  const Rows kept = artifacts(db, "checkpoints");
  ASSERT_EQ(kept.size(), 1u);
  EXPECT_TRUE(fs::is_regular_file(fs::path(kept[0][0]) / ("epoch" + k) / "rank0.pt"));
  EXPECT_FALSE(fs::exists(fs::path(kept[0][0]) / "epoch1")) << "older epochs go once a newer one is complete";

  const Invocation resumed = run(db, {"--retry-failed"});
  ASSERT_EQ(resumed.exit_code, 0) << resumed.out << resumed.err;
  EXPECT_EQ(query(db, "SELECT status, resumed_from_epoch FROM runs"), (Rows{{"done", k}}));
  EXPECT_NE(resumed.out.find(": resumed from epoch " + k), std::string::npos) << "the progress line says so:\n" << resumed.out;
  EXPECT_EQ(epochs(db), epochs(whole)) << "the same epochs, none twice";
  EXPECT_EQ(deterministic_metrics(db), deterministic_metrics(whole)) << "counted over every epoch, resumed or not";
  EXPECT_EQ(query(db, "SELECT test_accuracy, bytes_sent FROM runs"), query(whole, "SELECT test_accuracy, bytes_sent FROM runs"));
  EXPECT_FALSE(fs::exists(kept[0][0]));

  const Rows models = artifacts(db, "model");
  ASSERT_EQ(models.size(), whole_models.size());
  ASSERT_FALSE(models.empty());
  for (size_t rank = 0; rank < models.size(); ++rank) {
    const auto expected = weights_in(whole_models[rank][0]);
    const auto got = weights_in(models[rank][0]);
    ASSERT_EQ(got.size(), expected.size()) << models[rank][0];
    ASSERT_FALSE(got.empty());
    for (const auto& [name, tensor] : expected) {
      ASSERT_EQ(got.count(name), 1u) << name;
      EXPECT_TRUE(torch::equal(got.at(name), tensor)) << "rank " << rank << " " << name << " differs";
    }
  }
}

INSTANTIATE_TEST_SUITE_P(
    Strategies, Checkpoints,
    ::testing::Values(Case{"single", "dropout = 0.2\n"},
                      Case{"sync", "ranks = 2\nparallelism = \"sync\"\n"},
                      Case{"param_avg", "ranks = 2\nparallelism = {method = \"param_avg\", avg_freq = 3, avg_unit = \"steps\"}\n"},
                      Case{"topk_error_feedback",
                           "ranks = 2\nparallelism = \"sync\"\n"
                           "compression = {method = \"topk\", ratio = 0.1, error_feedback = true}\n"},
                      Case{"randomk", "ranks = 2\nparallelism = \"sync\"\n"
                                      "compression = {method = \"randomk\", ratio = 0.2, error_feedback = true}\n"},
                      Case{"terngrad_param_avg",
                           "ranks = 2\nparallelism = {method = \"param_avg\", avg_freq = 3, avg_unit = \"steps\"}\n"
                           "compression = \"terngrad\"\n"},
                      Case{"qsgd", "ranks = 2\nparallelism = \"sync\"\ncompression = {method = \"qsgd\", levels = 16}\n"},
                      Case{"powersgd", "ranks = 2\nparallelism = \"sync\"\n"
                                       "compression = {method = \"powersgd\", rank = 2, error_feedback = true}\n"},
                      Case{"gossip", "ranks = 2\nparallelism = {method = \"gossip\", period = 3, share_fraction = 0.5}\n"},
                      Case{"downpour", "ranks = 2\nparallelism = {method = \"downpour\", n_push = 2, n_fetch = 3}\n"},
                      Case{"admm", "ranks = 2\nparallelism = {method = \"admm\", rho = 0.5, local_steps = 5}\n"},
                      Case{"partition", "ranks = 2\nvertical = \"partition\"\n"},
                      Case{"ensemble_linear", "ranks = 2\nvertical = {method = \"ensemble\", combine = \"linear\"}\n"},
                      Case{"pipeline_sortquant",
                           "ranks = 2\ndropout = 0.2\nparallelism = {method = \"pipeline\", chunks = 2, schedule = "
                           "\"1f1b\", boundary_compression = \"sortquant\", bits = 8}\n",
                           "checkpoint_every = 1\n", "[16, 16]"},
                      Case{"pipeline_zero_bubble",
                           "ranks = 2\ndropout = 0.2\nparallelism = {method = \"pipeline\", chunks = 4, schedule = "
                           "\"zb_h1\"}\n",
                           "checkpoint_every = 1\n", "[16, 16]"},
                      Case{"adaboost_mid_member", "vertical = {method = \"adaboost\", members = 3}\n",
                           "checkpoint_every = 1\n", "[16]", 6, 3},
                      Case{"auto_every_epoch", "dropout = 0.2\n",
                           "checkpoint_every = \"auto\"\ncheckpoint_interval_s = 0.0\n"}),
    [](const ::testing::TestParamInfo<Case>& info) { return info.param.name; });

class AutomaticCheckpoints : public SweepFolderTest {};

// The default, checkpoint_every = "auto", saves nothing before checkpoint_interval_s (300 s) have passed: a short
// run killed after epoch 2 starts again from epoch 1.
TEST_F(AutomaticCheckpoints, AShortRunSavesNoneAndRestarts) {
  const auto file = write("short.toml", R"([sweep]
name = "short"
[base]
dataset = "synthetic"
train_samples = 128
test_samples = 32
hidden = [8]
epochs = 3
threads = 1
)");
  const auto run = [&](bool killed) {
    std::vector<std::string> argv{"/usr/bin/env"};
    if (killed) argv.push_back("IDDL_TEST_KILL_AFTER_EPOCH=2");
    for (const std::string& arg : {std::string(IDDL_BIN_DIR) + "/iddl-sweep", std::string("run"), file.string(),
                                   std::string("--db"), db.string(), std::string("--retry-failed")})
      argv.push_back(arg);
    return invoke(argv);
  };
  run(true);
  EXPECT_EQ(query(db, "SELECT status FROM runs"), (Rows{{"failed"}}));
  EXPECT_EQ(files_under(db.string() + ".checkpoints"), 0) << "no checkpoint before 300 s";
  const Invocation again = run(false);
  ASSERT_EQ(again.exit_code, 0) << again.out << again.err;
  EXPECT_EQ(query(db, "SELECT status, resumed_from_epoch FROM runs"), (Rows{{"done", "NULL"}}));
  EXPECT_EQ(query(db, "SELECT epoch FROM epochs ORDER BY epoch"), (Rows{{"1"}, {"2"}, {"3"}}));
}

}  // namespace
}  // namespace iddl::testing
