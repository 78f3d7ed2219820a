// The Fashion-MNIST sweeps that carry the seeds' recipes here (sweeps/iddl.toml, layerwise_fmnist.toml,
// parallel.toml) run end to end through iddl-sweep: the shipped file with its [base] cut to a few samples,
// one epoch and one thread, every run of its matrix done.
#include <string>

#include "tests/support/quick_sweep.hpp"
#include "tests/support/sweep_folder.hpp"

using namespace iddl::testing;

namespace {

class SeedSiblings : public SweepFolderTest {
 protected:
  // Runs the quick version of `name`; expects `runs` runs, all done.
  void runs_to_the_end(const std::string& name, size_t runs) {
    const auto file = write(name, quick_version(name));
    const auto run = sweep({"run", file.string(), "--db", db.string()});
    ASSERT_EQ(run.exit_code, 0) << run.out << run.err;
    const auto statuses = query(db, "SELECT status, error FROM runs");
    ASSERT_EQ(statuses.size(), runs);
    for (const auto& row : statuses) EXPECT_EQ(row[0], "done") << row[1];
    EXPECT_EQ(query(db, "SELECT COUNT(*) FROM epochs")[0][0], std::to_string(runs));
  }
};

}  // namespace

// Seed 000's MLP rows (MLP, B-MLP, R-MLP with vertical splits and early exits) and ResNet-18 rows.
TEST_F(SeedSiblings, IddlRunsEveryRow) { runs_to_the_end("iddl.toml", 21); }

// Seed 003's layer-wise against entire-model study on LeNet: piecewise lr, summed loss, crop + flip + cutout.
TEST_F(SeedSiblings, LayerwiseFashionRunsEveryCompressor) { runs_to_the_end("layerwise_fmnist.toml", 13); }

// Seed 001's strategies with its MLP, LeakyReLU, dropout and summed MSE, and seed 002's.
TEST_F(SeedSiblings, ParallelRunsEveryStrategy) { runs_to_the_end("parallel.toml", 17); }
