// Tests of running a program to its end: argument vectors, exit statuses, the time limit, the environment.
#include <gtest/gtest.h>

#include <signal.h>

#include "hardware/program_output.hpp"

using namespace iddl::hardware;

TEST(hardware_program_output, ProgramOutputUsesAnArgumentVectorAndReportsFailure) {
  EXPECT_EQ(program_output({"echo", "a b", "$HOME"}), std::optional<std::string>("a b $HOME\n"));
  EXPECT_FALSE(program_output({"false"}));
  EXPECT_FALSE(program_output({"iddl-no-such-program"}));
}

TEST(hardware_program_output, RunProgramKeepsBothStreamsAndTheExitStatus) {
  const ProgramResult result = run_program({"sh", "-c", "echo out; echo err >&2; exit 3"});
  EXPECT_EQ(result.out, "out\n");
  EXPECT_EQ(result.err, "err\n");
  EXPECT_EQ(result.exit_code, 3);
  EXPECT_EQ(result.signal, 0);
  EXPECT_FALSE(result.timed_out);
  EXPECT_EQ(program_ending(result), "exited with status 3");
}

TEST(hardware_program_output, RunProgramStopsAProgramAtTheTimeLimit) {
  ProgramOptions options;
  options.timeout = std::chrono::milliseconds(200);
  const auto start = std::chrono::steady_clock::now();
  const ProgramResult result = run_program({"sh", "-c", "echo early; exec sleep 30"}, options);
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(10));
  EXPECT_TRUE(result.timed_out);
  EXPECT_EQ(result.signal, SIGKILL);
  EXPECT_EQ(result.out, "early\n");
  EXPECT_EQ(program_ending(result, options), "was stopped after the time limit of 0.2 s");
  EXPECT_FALSE(program_output({"sleep", "30"}, options));
}

TEST(hardware_program_output, RunProgramSetsAndRemovesEnvironmentVariables) {
  ::setenv("IDDL_TEST_REMOVED", "here", 1);
  ProgramOptions options;
  options.environment["IDDL_TEST_SET"] = "set";
  options.environment["IDDL_TEST_REMOVED"] = std::nullopt;
  const ProgramResult result =
      run_program({"sh", "-c", "echo \"${IDDL_TEST_SET}|${IDDL_TEST_REMOVED-unset}\""}, options);
  EXPECT_EQ(result.out, "set|unset\n");
}

TEST(hardware_program_output, FindProgramSearchesPath) {
  EXPECT_TRUE(find_program("sh"));
  EXPECT_EQ(find_program("/no/such/dir/x"), std::optional<std::string>("/no/such/dir/x"));
  EXPECT_FALSE(find_program("iddl-no-such-program"));
  EXPECT_THROW(run_program({"iddl-no-such-program"}), std::runtime_error);
}
