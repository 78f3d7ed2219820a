// [launch]: launcher, mpirun arguments, timeouts in every form, parallel jobs, the GPU policy, and the ranks of
// every run.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "tests/matrix/sweep_text.hpp"

namespace iddl::matrix {
namespace {

// The [launch] table of the sweep with `launch_lines` under [launch] (which is line 3).
LaunchSettings launch_of(const std::string& launch_lines) {
  return load_text(kHeader + "[launch]\n" + launch_lines).launch;
}

// The error of a [launch] table holding `line` as line 4.
std::string launch_error(const std::string& line, int column) {
  return load_error(kHeader + "[launch]\n" + line + "\n", 4, column);
}

TEST(matrix_launch, DefaultsWithoutALaunchTable) {
  const LaunchSettings launch = load_text(kHeader).launch;
  EXPECT_EQ(launch.launcher, Launcher::Mpirun);
  EXPECT_TRUE(launch.mpirun_args.empty());
  EXPECT_EQ(launch.timeout_s, 0);
  EXPECT_EQ(launch.jobs, 1);
  EXPECT_EQ(launch.gpu_policy, iddl::hardware::GpuPolicy::Topology);
}

TEST(matrix_launch, ReadsEveryKey) {
  const LaunchSettings launch = launch_of(
      "launcher = \"mpirun\"\nmpirun_args = [\"--oversubscribe\", \"--bind-to\", \"none\"]\ntimeout = \"1h30m\"\njobs "
      "= 2\n");
  EXPECT_EQ(launch.launcher, Launcher::Mpirun);
  EXPECT_EQ(launch.mpirun_args, (std::vector<std::string>{"--oversubscribe", "--bind-to", "none"}));
  EXPECT_EQ(launch.timeout_s, 5400);
  EXPECT_EQ(launch.jobs, 2);
}

TEST(matrix_launch, TimeoutsInEveryForm) {
  const std::vector<std::pair<std::string, double>> cases{
      {"90", 90},       {"2.5", 2.5},        {"0", 0},          {"\"90s\"", 90},     {"\"30m\"", 1800},
      {"\"2h\"", 7200}, {"\"1h30m\"", 5400}, {"\"1h30m15s\"", 5415}, {"\"2m30s\"", 150}, {"\"1.5h\"", 5400},
      {"\"0s\"", 0}};
  for (const auto& [written, seconds] : cases)
    EXPECT_EQ(launch_of("timeout = " + written + "\n").timeout_s, seconds) << written;
}

TEST(matrix_launch, BadTimeoutsShowTheForms) {
  const std::string forms = " is not a duration; write seconds (90; 0 for no limit) or a string such as \"90s\", "
                            "\"30m\", \"2h\" or \"1h30m\"";
  for (const std::string bad : {"\"30x\"", "\"1h30\"", "\"30m1h\"", "\"1h1h\"", "\"\"", "\"-5s\"", "\"1..5h\"", "\"h\"",
                                "-5", "true", "nan"})
    EXPECT_EQ(launch_error("timeout = " + bad, 11), "[launch] timeout = " + bad + forms) << bad;
}

TEST(matrix_launch, LaunchersAreMpirunSrunAndSbatch) {
  EXPECT_EQ(launch_of("launcher = \"srun\"\n").launcher, Launcher::Srun);
  const LaunchSettings sbatch = launch_of("launcher = \"sbatch\"\nsbatch_args = [\"--partition=gpu\", \"--time=1:00:00\"]\n");
  EXPECT_EQ(sbatch.launcher, Launcher::Sbatch);
  EXPECT_EQ(sbatch.sbatch_args, (std::vector<std::string>{"--partition=gpu", "--time=1:00:00"}));
  EXPECT_EQ(launch_error("launcher = \"sbtach\"", 12),
            "[launch] launcher = \"sbtach\" is not one of mpirun, srun, sbatch (did you mean \"sbatch\"?)");
  EXPECT_EQ(launch_error("launcher = 3", 12), "[launch] launcher = 3 is not one of mpirun, srun, sbatch");
}

TEST(matrix_launch, HostsAcrossMachines) {
  EXPECT_EQ(launch_of("hosts = [\"node1:4\", \"node-2.lan\"]\n").hosts,
            (std::vector<std::string>{"node1:4", "node-2.lan"}));
  EXPECT_EQ(launch_error("hosts = [\"a:4\", \"b:x\"]", 17),
            "[launch] hosts: \"b:x\" is not a host name with an optional slot count, e.g. \"node1:4\"");
  EXPECT_EQ(launch_error("hosts = \"a\"", 9),
            "[launch] hosts = \"a\" must be an array of strings, e.g. hosts = [\"node1:4\", \"node2:4\"]");
  EXPECT_EQ(launch_error("hosts = []", 9), "[launch] hosts = [] has no hosts");
  EXPECT_EQ(load_error(kHeader + "[launch]\nlauncher = \"srun\"\nhosts = [\"a\"]\n", 5, 1),
            "[launch] hosts is for launcher = \"mpirun\", not \"srun\"");
}

TEST(matrix_launch, HostfileIsRelativeToTheSweepFileAndMustExist) {
  const std::string sweep = write_sweep(kHeader + "[launch]\nhostfile = \"hosts.txt\"\n");
  const std::filesystem::path hostfile = std::filesystem::path(sweep).parent_path() / "hosts.txt";
  std::filesystem::remove(hostfile);
  try {
    load_sweep(sweep);
    ADD_FAILURE() << "a missing hostfile loads";
  } catch (const SweepError& e) {
    EXPECT_EQ(std::string(e.what()), sweep + ":4:12: [launch] hostfile = \"hosts.txt\": no such file (looked for '" +
                                         hostfile.string() + "')");
  }
  std::ofstream(hostfile) << "node1 slots=4\n";
  EXPECT_EQ(load_sweep(sweep).launch.hostfile, hostfile.string());
  std::filesystem::remove(hostfile);
}

TEST(matrix_launch, HostsAndHostfileExcludeEachOther) {
  const std::string sweep = write_sweep(kHeader + "[launch]\nhosts = [\"a\"]\nhostfile = \"h.txt\"\n");
  std::ofstream(std::filesystem::path(sweep).parent_path() / "h.txt") << "a\n";
  try {
    load_sweep(sweep);
    ADD_FAILURE() << "hosts and hostfile load together";
  } catch (const SweepError& e) {
    EXPECT_EQ(std::string(e.what()), sweep + ":5:1: [launch] has both hosts (line 4) and hostfile (line 5); keep one");
  }
}

TEST(matrix_launch, SbatchArgsOnlyForSbatch) {
  EXPECT_EQ(launch_error("sbatch_args = [\"--time=1:00:00\"]", 1),
            "[launch] sbatch_args is for launcher = \"sbatch\", not \"mpirun\"");
  EXPECT_EQ(load_error(kHeader + "[launch]\nlauncher = \"sbatch\"\nsbatch_args = [\"a\\nb\"]\n", 5, 16),
            "[launch] sbatch_args: \"a\\nb\" holds a line break");
  EXPECT_EQ(load_error(kHeader + "[launch]\nlauncher = \"sbatch\"\nmpirun_args = [\"-v\"]\n", 5, 1),
            "[launch] mpirun_args is for launcher = \"mpirun\", not \"sbatch\"");
}

TEST(matrix_launch, UnknownKeysGetTheClosestName) {
  EXPECT_EQ(launch_error("timout = 3", 1), "unknown key 'timout' in [launch] (did you mean 'timeout'?)");
  EXPECT_EQ(launch_error("zzzzzz = 3", 1),
            "unknown key 'zzzzzz' in [launch] (it takes launcher, mpirun_args, hosts, hostfile, sbatch_args, timeout, jobs, "
            "gpu_policy, ranks, oversubscribe)");
  EXPECT_EQ(launch_error("gpu_polcy = \"binpack\"", 1), "unknown key 'gpu_polcy' in [launch] (did you mean 'gpu_policy'?)");
}

TEST(matrix_launch, JobsAndMpirunArgsAreChecked) {
  EXPECT_EQ(launch_error("jobs = 0", 8), "[launch] jobs = 0 must be an integer from 1 to 100000");
  EXPECT_EQ(launch_error("jobs = 2.0", 8), "[launch] jobs = 2.0 must be an integer from 1 to 100000");
  EXPECT_EQ(launch_error("mpirun_args = \"--oversubscribe\"", 15),
            "[launch] mpirun_args = \"--oversubscribe\" must be an array of strings, e.g. mpirun_args = "
            "[\"--oversubscribe\"]");
  EXPECT_EQ(launch_error("mpirun_args = [\"--bind-to\", 3]", 29),
            "[launch] mpirun_args: 3 is not a string; quote it: \"3\"");
}

TEST(matrix_launch, GpuPoliciesAreBinpackAndTopology) {
  EXPECT_EQ(launch_of("gpu_policy = \"binpack\"\n").gpu_policy, iddl::hardware::GpuPolicy::Binpack);
  EXPECT_EQ(launch_of("gpu_policy = \"topology\"\n").gpu_policy, iddl::hardware::GpuPolicy::Topology);
  EXPECT_EQ(launch_error("gpu_policy = \"binpak\"", 14),
            "[launch] gpu_policy = \"binpak\" is not one of binpack, topology (did you mean \"binpack\"?)");
  EXPECT_EQ(launch_error("gpu_policy = \"spread\"", 14), "[launch] gpu_policy = \"spread\" is not one of binpack, topology");
  EXPECT_EQ(launch_error("gpu_policy = [\"binpack\"]", 14),
            "[launch] gpu_policy = [\"binpack\"] is not one of binpack, topology");
  EXPECT_EQ(load_error(kHeader + "[launch]\nlauncher = \"srun\"\ngpu_policy = \"binpack\"\n", 5, 1),
            "[launch] gpu_policy is for launcher = \"mpirun\", not \"srun\"");
}

TEST(matrix_launch, RanksSetTheRanksOfEveryRun) {
  const Sweep sweep = load_text(kHeader + "[launch]\nranks = 2\n[base]\nparallelism = \"sync\"\n" +
                                "[matrix]\nmodel = [\"mlp\", \"lenet\"]\n[[include]]\nmodel = \"resnet9\"\n");
  EXPECT_EQ(values_of(sweep, "ranks"), (std::vector<std::string>{"2", "2", "2"}));
  EXPECT_TRUE(sweep.base.find("ranks") == sweep.base.end());
  EXPECT_EQ(sweep.varying, (std::vector<std::string>{"model"}));
}

TEST(matrix_launch, RanksAreDecidedInOnePlaceOnly) {
  const std::string launch = kHeader + "[launch]\nranks = 2\n";
  EXPECT_EQ(load_error(launch + "[base]\nranks = 2\n", 6, 1),
            "setting 'ranks' is in both [launch] ranks (line 4) and [base]; keep one");
  EXPECT_EQ(load_error(launch + "[matrix]\nranks = [2]\n", 6, 1),
            "setting 'ranks' is in both [launch] ranks (line 4) and [matrix]; keep one");
  EXPECT_EQ(load_error(launch + "[[zip]]\nranks = [2]\n", 6, 1),
            "setting 'ranks' is in both [launch] ranks (line 4) and [[zip]]; keep one");
  EXPECT_EQ(launch_error("ranks = 0", 9), "ranks = 0 is out of range: must be >= 1");
}

TEST(matrix_launch, RuleBrokenWithLaunchRanksPointsAtTheAxisValue) {
  EXPECT_EQ(load_error(kHeader + "[launch]\nranks = 2\n[matrix]\nparallelism = [\"sync\", \"single\"]\n", 6, 24),
            "run {parallelism = \"single\"}: parallelism = \"single\" runs one process but ranks = 2; "
            "use ranks = 1 or parallelism = \"sync\"");
  EXPECT_EQ(load_error(kHeader + "[launch]\nranks = 2\n", 4, 9),
            "parallelism = \"single\" runs one process but ranks = 2; use ranks = 1 or parallelism = \"sync\"");
}

}  // namespace
}  // namespace iddl::matrix
