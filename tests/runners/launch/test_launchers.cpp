// The launchers end to end with real iddl-train processes: dry runs, a Slurm job array run task by task
// without Slurm and collected into the database, and mpirun across two hosts made of network namespaces.
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "tests/support/sweep_folder.hpp"

namespace fs = std::filesystem;
using namespace iddl::testing;

namespace {

std::vector<std::string> lines_of(const fs::path& file) {
  std::ifstream in(file);
  std::vector<std::string> lines;
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

const std::string kSweepFile = std::string(IDDL_SOURCE_DIR) + "/sweeps/synthetic_e2e.toml";

class Launchers : public SweepFolderTest {};

}  // namespace

TEST_F(Launchers, DryRunPrintsEachCommandAndWritesNothing) {
  const auto mpirun = sweep({"run", kSweepFile, "--db", db.string(), "--dry-run"});
  ASSERT_EQ(mpirun.exit_code, 0) << mpirun.err;
  EXPECT_NE(mpirun.out.find("2 of 2 runs would run"), std::string::npos) << mpirun.out;
  EXPECT_NE(mpirun.out.find("\n  mpirun -np 1 "), std::string::npos) << mpirun.out;
  EXPECT_NE(mpirun.out.find("\n  mpirun -np 2 "), std::string::npos) << mpirun.out;
  EXPECT_NE(mpirun.out.find("/iddl-train --threads "), std::string::npos) << mpirun.out;
  EXPECT_NE(mpirun.out.find(" --spec-json '{\""), std::string::npos) << "the spec, quoted for a shell";
  EXPECT_NE(mpirun.out.find("\"config\":{\"activation\""), std::string::npos) << mpirun.out;
  EXPECT_NE(mpirun.out.find(" -x CUDA_DEVICE_ORDER=PCI_BUS_ID "), std::string::npos) << mpirun.out;

  const auto srun = sweep({"run", kSweepFile, "--db", db.string(), "--dry-run", "--launcher", "srun"});
  ASSERT_EQ(srun.exit_code, 0) << srun.err;
  EXPECT_NE(srun.out.find("\n  srun --mpi=pmix --ntasks=2 --cpus-per-task="), std::string::npos) << srun.out;
  EXPECT_EQ(srun.out.find("--cpu-set"), std::string::npos) << "Slurm places the ranks";
  EXPECT_NE(srun.out.find(",CUDA_DEVICE_ORDER=PCI_BUS_ID"), std::string::npos) << srun.out;

  const auto sbatch = sweep({"run", kSweepFile, "--db", db.string(), "--dry-run", "--launcher", "sbatch"});
  ASSERT_EQ(sbatch.exit_code, 0) << sbatch.err;
  EXPECT_NE(sbatch.out.find("[task 1] "), std::string::npos) << sbatch.out;
  EXPECT_NE(sbatch.out.find(",CUDA_DEVICE_ORDER=PCI_BUS_ID"), std::string::npos) << "each task's srun: " << sbatch.out;
  EXPECT_NE(sbatch.out.find("then run: sbatch " + (dir / "synthetic_e2e.sbatch").string()), std::string::npos)
      << sbatch.out;
  EXPECT_TRUE(fs::is_empty(dir)) << "a dry run writes no database and no job files";
}

// Each array task runs by hand with SLURM_ARRAY_TASK_ID set, under a stand-in srun that starts the ranks
// with mpirun; the journals are then collected into the database.
TEST_F(Launchers, SbatchJobArrayTasksRunWithoutSlurmAndAreCollected) {
  // A machine without Slurm: no sbatch on PATH, so the job array is written and not submitted.
  const auto submit = [&](const std::vector<std::string>& extra) {
    std::vector<std::string> argv{"env", "PATH=" + (dir / "no-slurm").string(), std::string(IDDL_BIN_DIR) + "/iddl-sweep",
                                  "run", kSweepFile, "--db", db.string(), "--launcher", "sbatch"};
    argv.insert(argv.end(), extra.begin(), extra.end());
    return invoke(argv);
  };
  const auto submitted = submit({});
  ASSERT_EQ(submitted.exit_code, 0) << submitted.err;
  const fs::path script = dir / "synthetic_e2e.sbatch";
  const fs::path journals = dir / "synthetic_e2e.journals";
  EXPECT_NE(submitted.out.find("sbatch is not on PATH here; submit on the cluster with: sbatch " + script.string()),
            std::string::npos)
      << submitted.out;
  ASSERT_EQ(lines_of(dir / "synthetic_e2e.runs.jsonl").size(), 2u);
  EXPECT_NE(lines_of(script).at(4), "") << "the script exists";
  EXPECT_EQ(query(db, "SELECT status, COUNT(*) FROM runs GROUP BY status"),
            (std::vector<std::vector<std::string>>{{"pending", "2"}}))
      << "submitting registers the runs";

  const fs::path bin = dir / "bin";
  fs::create_directories(bin);
  std::ofstream(bin / "srun") << "#!/bin/sh\n# srun stand-in: --ntasks=R becomes mpirun -np R\nn=1\n"
                                 "while [ $# -gt 0 ]; do case \"$1\" in --ntasks=*) n=${1#--ntasks=}; shift;; "
                                 "--*) shift;; *) break;; esac; done\n"
                                 "exec mpirun -np \"$n\" --oversubscribe --allow-run-as-root --bind-to none \"$@\"\n";
  fs::permissions(bin / "srun", fs::perms::owner_all);
  const std::string path = "PATH=" + bin.string() + ":" + std::getenv("PATH");
  for (const std::string offset : {"0", "1"}) {  // the second as task 0 of an array shifted by one run
    const auto task = invoke({"env", "SLURM_ARRAY_TASK_ID=0", "IDDL_TASK_OFFSET=" + offset, path, "bash", script.string()});
    ASSERT_EQ(task.exit_code, 0) << "task at offset " << offset << ": " << task.out << task.err;
  }

  const auto collected = sweep({"collect", "--db", db.string(), journals.string()});
  ASSERT_EQ(collected.exit_code, 0) << collected.err;
  EXPECT_NE(collected.out.find("2 done, 0 failed, 0 unchanged"), std::string::npos) << collected.out;
  const auto runs = query(db, "SELECT parallelism, ranks, status, test_accuracy, bytes_sent FROM runs ORDER BY ranks");
  ASSERT_EQ(runs.size(), 2u);
  EXPECT_EQ((std::vector<std::string>{runs[0][0], runs[0][1], runs[0][2]}),
            (std::vector<std::string>{"single", "1", "done"}));
  EXPECT_EQ((std::vector<std::string>{runs[1][0], runs[1][1], runs[1][2]}),
            (std::vector<std::string>{"sync", "2", "done"}));
  for (const auto& run : runs) EXPECT_GT(std::stod(run[3]), 0.5) << "accuracy well above chance";
  EXPECT_GT(std::stoll(runs[1][4]), 0) << "two-rank sync sends gradients";
  EXPECT_EQ(query(db, "SELECT COUNT(*), MIN(epoch), MAX(epoch) FROM epochs"),
            (std::vector<std::vector<std::string>>{{"6", "1", "3"}}));

  const auto again = sweep({"collect", "--db", db.string(), journals.string()});
  EXPECT_NE(again.out.find("0 done, 0 failed, 2 unchanged"), std::string::npos) << again.out;
  const auto resubmitted = submit({});
  EXPECT_NE(resubmitted.out.find("nothing to submit"), std::string::npos) << resubmitted.out;

  // A task killed after its first epoch leaves a truncated journal: failed, and submitted again on retry.
  const fs::path journal = journals / (query(db, "SELECT run_key FROM runs WHERE ranks = 2").at(0).at(0) + ".jsonl");
  const auto lines = lines_of(journal);
  std::ofstream(journal, std::ios::trunc) << lines.at(0) << "\n" << lines.at(1) << "\n" << lines.at(2) << "\n";
  sweep({"collect", "--db", db.string(), journals.string()});
  EXPECT_EQ(query(db, "SELECT status, error FROM runs WHERE ranks = 2"),
            (std::vector<std::vector<std::string>>{
                {"failed", "no run_finished: the journal ends early (the task was killed or still runs)"}}));
  EXPECT_EQ(query(db, "SELECT COUNT(*) FROM epochs"), (std::vector<std::vector<std::string>>{{"4"}}));
  submit({"--retry-failed"});
  EXPECT_EQ(lines_of(dir / "synthetic_e2e.runs.jsonl").size(), 1u) << "only the failed run is submitted again";
}

// Two hosts on one machine: network namespaces joined by a veth pair; mpirun in the first reaches the
// second through an rsh agent that enters its namespace instead of ssh-ing to it.
class TwoHosts : public Launchers {
 protected:
  void SetUp() override {
    Launchers::SetUp();
    const std::string tag = std::to_string(::getpid() % 100000);
    ns = {"iddl_a" + tag, "iddl_b" + tag};
    for (const auto& step : std::vector<std::vector<std::string>>{
             {"ip", "netns", "add", ns[0]},
             {"ip", "netns", "add", ns[1]},
             {"ip", "link", "add", "iddl_va" + tag, "type", "veth", "peer", "name", "iddl_vb" + tag},
             {"ip", "link", "set", "iddl_va" + tag, "netns", ns[0]},
             {"ip", "link", "set", "iddl_vb" + tag, "netns", ns[1]},
             {"ip", "-n", ns[0], "addr", "add", "10.213.0.1/24", "dev", "iddl_va" + tag},
             {"ip", "-n", ns[1], "addr", "add", "10.213.0.2/24", "dev", "iddl_vb" + tag},
             {"ip", "-n", ns[0], "link", "set", "iddl_va" + tag, "up"},
             {"ip", "-n", ns[1], "link", "set", "iddl_vb" + tag, "up"},
             {"ip", "-n", ns[0], "link", "set", "lo", "up"},
             {"ip", "-n", ns[1], "link", "set", "lo", "up"}}) {
      Invocation result{127, "", "no 'ip' command (Debian package iproute2)"};
      try {
        result = invoke(step);
      } catch (const std::exception&) {
      }
      if (result.exit_code != 0) {
        setup_error = "'" + step[0] + " " + step[1] + " " + step[2] + " ...' failed: " + result.err;
        return;
      }
    }
  }
  void TearDown() override {
    for (const auto& name : ns) {
      try {
        invoke({"ip", "netns", "del", name});  // removes the veth pair too
      } catch (const std::exception&) {  // no ip command: nothing was made
      }
    }
    Launchers::TearDown();
  }
  std::vector<std::string> ns;
  std::string setup_error;
};

TEST_F(TwoHosts, SyncRunAcrossTwoNamespacesWithAHostfile) {
  if (!setup_error.empty())
    GTEST_SKIP() << "network namespaces are not available here (needs CAP_SYS_ADMIN and iproute2): " << setup_error;
  const fs::path agent = write("agent.sh", "#!/bin/sh\n# rsh agent: [options] HOST COMMAND... runs COMMAND in " +
                                               ns[1] + "\nwhile [ $# -gt 0 ]; do case \"$1\" in -*) shift;; *) "
                                               "break;; esac; done\necho \"$1\" >> '" +
                                               (dir / "agent.log").string() + "'\nshift\nexec ip netns exec " +
                                               ns[1] + " sh -c \"$*\"\n");
  fs::permissions(agent, fs::perms::owner_all);
  write("hosts", "10.213.0.1 slots=1\n10.213.0.2 slots=1\n");
  const fs::path file = write(
      "two_hosts.toml",
      "[sweep]\nname = \"two_hosts\"\n[base]\ndataset = \"synthetic\"\ntrain_samples = 512\ntest_samples = 128\n"
      "hidden = [32]\nepochs = 2\nbatch_size = 32\nparallelism = \"sync\"\nranks = 2\nthreads = 1\n[launch]\n"
      "hostfile = \"hosts\"\nmpirun_args = [\"--mca\", \"plm_rsh_agent\", \"" + agent.string() +
      "\", \"--mca\", \"btl\", \"tcp,self\", \"--mca\", \"btl_tcp_if_include\", \"10.213.0.0/24\", \"--mca\", "
      "\"oob_tcp_if_include\", \"10.213.0.0/24\"]\ntimeout = 120\n");

  const auto dry = sweep({"run", file.string(), "--db", db.string(), "--dry-run"});
  EXPECT_NE(dry.out.find("--hostfile " + (dir / "hosts").string()), std::string::npos) << dry.out;
  EXPECT_EQ(dry.out.find("--cpu-set"), std::string::npos) << dry.out;

  const auto run = invoke({"ip", "netns", "exec", ns[0], std::string(IDDL_BIN_DIR) + "/iddl-sweep", "run",
                           file.string(), "--db", db.string()});
  ASSERT_EQ(run.exit_code, 0) << run.out << run.err;
  EXPECT_EQ(lines_of(dir / "agent.log"), (std::vector<std::string>{"10.213.0.2"}))
      << "mpirun started the second host's daemon through the agent";
  const auto rows = query(db, "SELECT status, ranks, bytes_sent, test_accuracy FROM runs");
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0][0], "done");
  EXPECT_EQ(rows[0][1], "2");
  EXPECT_GT(std::stoll(rows[0][2]), 0) << "the gradients crossed the veth pair";
  EXPECT_EQ(query(db, "SELECT COUNT(*) FROM epochs"), (std::vector<std::vector<std::string>>{{"2"}}));
}
