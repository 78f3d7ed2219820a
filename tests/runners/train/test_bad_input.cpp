// Input the tools cannot use: iddl-train given a bad run spec (an error event and exit code 2, never a crash);
// iddl-sweep given events the store refuses (the run fails with the reason, the sweep goes on).
#include <cstdlib>
#include <filesystem>
#include <string>

#include "tests/support/sweep_folder.hpp"

using namespace iddl::testing;

namespace {

class BadInput : public SweepFolderTest {
 protected:
  // Runs the built iddl-train (one rank, no mpirun) on the spec file holding `spec`.
  Invocation train(const std::string& spec) {
    ::setenv("OMPI_ALLOW_RUN_AS_ROOT", "1", 1);
    ::setenv("OMPI_ALLOW_RUN_AS_ROOT_CONFIRM", "1", 1);
    return invoke({std::string(IDDL_BIN_DIR) + "/iddl-train", "--spec", write("spec.json", spec).string()});
  }
};

// Issue 22, item 5: 50,000 nested arrays in a config value made iddl-train exit 139 with no message.
TEST_F(BadInput, ADeeplyNestedConfigValueIsAnErrorEventNotACrash) {
  const int depth = 50000;
  const auto result = train(R"({"config": {"lr": )" + std::string(depth, '[') + std::string(depth, ']') + "}}");
  EXPECT_EQ(result.exit_code, 2) << result.out << result.err;
  EXPECT_EQ(result.out, "{\"event\":\"error\",\"message\":\"run spec: JSON nested deeper than 64 levels\"}\n");
  EXPECT_NE(result.err.find("run spec: JSON nested deeper than 64 levels"), std::string::npos) << result.err;
}

TEST_F(BadInput, AFieldOfTheWrongTypeIsNamed) {
  const auto result = train(R"({"repeat": "first", "config": {}})");
  EXPECT_EQ(result.exit_code, 2) << result.out << result.err;
  EXPECT_NE(result.out.find(R"(run spec field \"repeat\" must be an integer, got \"first\")"), std::string::npos)
      << result.out;
}

// What a broken iddl-train could print, from a stand-in for mpirun (the real iddl-train never prints it): null
// fields (stored as NULL, shown as 0), then a field of the wrong type. Both used to throw out of iddl-sweep.
TEST_F(BadInput, AnEventTheStoreRefusesFailsItsRunAndTheSweepGoesOn) {
  const auto mpirun = write("mpirun", "#!/bin/sh\n"
                                      "echo '{\"event\":\"run_started\",\"host\":\"h\",\"params\":null}'\n"
                                      "echo '{\"event\":\"epoch\",\"epoch\":1,\"train_loss\":null,\"test_accuracy\":null}'\n"
                                      "echo '{\"event\":\"epoch\",\"epoch\":2,\"train_loss\":\"low\"}'\n"
                                      "echo '{\"event\":\"run_finished\",\"test_accuracy\":null,\"params\":null}'\n");
  std::filesystem::permissions(mpirun, std::filesystem::perms::owner_all);
  const auto file = write("refused.toml", "[sweep]\nname = \"refused\"\n[base]\ndataset = \"synthetic\"\n"
                                          "[matrix]\nlr = [0.1, 0.2]\n");
  const auto result = sweep({"run", file.string(), "--db", db.string(), "--mpirun", mpirun.string()});
  EXPECT_EQ(result.exit_code, 1) << result.out << result.err;
  EXPECT_NE(result.out.find("sweep refused: 0 done, 2 failed"), std::string::npos) << result.out;
  const auto runs = query(db, "SELECT id, status, error, host FROM runs ORDER BY id");
  ASSERT_EQ(runs.size(), 2u);
  for (const auto& run : runs) {
    EXPECT_EQ(run[1], "failed");
    EXPECT_EQ(run[2], db.string() + ": epoch event of run " + run[0] + ": field 'train_loss' must be a number, got \"low\"");
    EXPECT_EQ(run[3], "h");
  }
  EXPECT_EQ(query(db, "SELECT run_id, epoch, train_loss FROM epochs ORDER BY run_id"),
            (std::vector<std::vector<std::string>>{{runs[0][0], "1", "NULL"}, {runs[1][0], "1", "NULL"}}));
}

}  // namespace
