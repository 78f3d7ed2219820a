// Honest devices (docs/gpu.md), through the built tools: what device = "auto" and "cuda" do when GPUs are visible
// (a fake nvidia-smi first on PATH) to an IDDL whose LibTorch may lack CUDA, and which runs reserve GPUs under
// mpirun, srun and sbatch.
#include <dlfcn.h>

#include <cstdlib>
#include <string>

#include "hardware/software_info.hpp"
#include "tests/support/sweep_folder.hpp"

using namespace iddl::testing;

namespace {

const std::string kFakeGpus = std::string(IDDL_SOURCE_DIR) + "/tests/support/fake_gpus";

bool contains(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

// A one-epoch sweep on generated data with `extra` lines in [base].
std::string tiny_sweep(const std::string& name, const std::string& extra) {
  return "[sweep]\nname = \"" + name + "\"\n[base]\ndataset = \"synthetic\"\ntrain_samples = 128\ntest_samples = 32\n"
         "hidden = [8]\nbatch_size = 32\nthreads = 1\nepochs = 1\n" + extra;
}

class Devices : public SweepFolderTest {
 protected:
  void SetUp() override {
    SweepFolderTest::SetUp();
    if (void* nvml = dlopen("libnvidia-ml.so.1", RTLD_NOW | RTLD_LOCAL)) {
      dlclose(nvml);
      GTEST_SKIP() << "this machine has an NVIDIA driver: NVML answers before the fake nvidia-smi";
    }
  }
  // iddl-sweep with `args`, the fake nvidia-smi's two GPUs visible.
  Invocation sweep_with_gpus(const std::vector<std::string>& args) {
    std::vector<std::string> argv{"/usr/bin/env", "PATH=" + kFakeGpus + ":" + std::getenv("PATH"),
                                  "OMP_NUM_THREADS=1", std::string(IDDL_BIN_DIR) + "/iddl-sweep"};
    argv.insert(argv.end(), args.begin(), args.end());
    return invoke(argv);
  }
};

}  // namespace

TEST_F(Devices, AutoWithGpusVisibleButNoCudaLibTorchWarnsAndRecordsACpuRun) {
  if (iddl::hardware::torch_has_cuda()) GTEST_SKIP() << "this IDDL's LibTorch has CUDA: auto trains on the GPUs";
  const auto file = write("auto.toml", tiny_sweep("auto_gpus", "seed = 301\n"));
  const auto plan = sweep_with_gpus({"plan", file.string(), "--db", db.string()});
  ASSERT_EQ(plan.exit_code, 0) << plan.out << plan.err;
  EXPECT_TRUE(contains(plan.out, "warning: 2 GPU(s) visible")) << plan.out;

  const auto run = sweep_with_gpus({"run", file.string(), "--db", db.string()});
  ASSERT_EQ(run.exit_code, 0) << run.out << run.err;
  EXPECT_TRUE(contains(run.out, "warning: 2 GPU(s) visible, but this IDDL is built against LibTorch")) << run.out;
  EXPECT_TRUE(contains(run.out, "train on the CPU")) << run.out;
  EXPECT_EQ(query(db, "SELECT status, device, gpu_count, gpu_name, cuda_version FROM runs"),
            (std::vector<std::vector<std::string>>{{"done", "cpu", "0", "NULL", "NULL"}}))
      << "a CPU run records no GPU facts, though nvidia-smi shows two";
}

TEST_F(Devices, CudaWithoutACudaLibTorchIsRefusedBeforeAnythingRuns) {
  if (iddl::hardware::torch_has_cuda()) GTEST_SKIP() << "this IDDL's LibTorch has CUDA";
  const auto file = write("cuda.toml", tiny_sweep("cuda_refused", "seed = 302\n[matrix]\ndevice = [\"cpu\", \"cuda\"]\n"));
  for (const std::string command : {"plan", "run"}) {
    const auto result = sweep_with_gpus({command, file.string(), "--db", db.string()});
    EXPECT_EQ(result.exit_code, 2) << command << ": " << result.out << result.err;
    EXPECT_TRUE(contains(result.err, file.string() + ": run ")) << result.err;
    EXPECT_TRUE(contains(result.err, "device=cuda")) << result.err;
    EXPECT_TRUE(contains(result.err, "without CUDA")) << result.err;
  }
  EXPECT_TRUE(query(db, "SELECT id FROM runs").empty()) << "nothing is recorded or run";
}

TEST_F(Devices, Fp16WhereAutoMeansTheCpuIsRefusedBeforeAnythingRuns) {
  if (iddl::hardware::torch_has_cuda()) GTEST_SKIP() << "this IDDL's LibTorch has CUDA: auto trains on the GPUs";
  const auto file = write("fp16.toml", tiny_sweep("fp16_cpu", "precision = \"fp16\"\n"));
  for (const std::string command : {"plan", "run"}) {
    const auto refused = sweep_with_gpus({command, file.string(), "--db", db.string()});
    EXPECT_EQ(refused.exit_code, 2) << command << refused.out << refused.err;
    EXPECT_TRUE(contains(refused.err, "fp16.toml")) << refused.err;
    EXPECT_TRUE(contains(refused.err, "precision = \"fp16\" needs CUDA, but device = \"auto\" trains on the CPU"))
        << refused.err;
  }
  EXPECT_TRUE(query(db, "SELECT id FROM runs").empty()) << "nothing is recorded or run";
}

TEST_F(Devices, OnlyRunsThatUseGpusReserveThemUnderEveryLauncher) {
  const bool cuda = iddl::hardware::torch_has_cuda();
  const auto file = write("reserve.toml", tiny_sweep("reserve", "seed = 303\nparallelism = \"sync\"\nranks = 2\n"));
  const auto mpirun = sweep_with_gpus({"run", file.string(), "--db", db.string(), "--dry-run"});
  const auto srun = sweep_with_gpus({"run", file.string(), "--db", db.string(), "--dry-run", "--launcher", "srun"});
  const auto sbatch = sweep_with_gpus({"run", file.string(), "--db", db.string(), "--dry-run", "--launcher", "sbatch"});
  for (const auto* result : {&mpirun, &srun, &sbatch}) {
    ASSERT_EQ(result->exit_code, 0) << result->out << result->err;
    // device = "auto" with two GPUs visible: GPUs for every launcher exactly when LibTorch has CUDA
    EXPECT_EQ(contains(result->out, "--gpus-per-task=1") || contains(result->out, "CUDA_VISIBLE_DEVICES=0,1"), cuda)
        << result->out;
  }
  EXPECT_TRUE(contains(mpirun.out, "mpirun")) << mpirun.out;
  EXPECT_TRUE(contains(srun.out, "srun")) << srun.out;
  EXPECT_TRUE(contains(sbatch.out, "(sbatch): 1 of 1 runs as array tasks")) << sbatch.out;
}

TEST_F(Devices, MoreCudaRanksThanGpusAreRefusedWithNccl) {
  if (!iddl::hardware::torch_has_cuda() || iddl::hardware::nccl_version() == "none")
    GTEST_SKIP() << "needs an IDDL built against a CUDA LibTorch with NCCL (here: LibTorch "
                 << iddl::hardware::torch_version() << ", NCCL " << iddl::hardware::nccl_version() << ")";
  const auto file = write("ranks.toml", tiny_sweep("ranks", "seed = 304\ndevice = \"cuda\"\nranks = 3\n"));
  const auto result = sweep_with_gpus({"run", file.string(), "--db", db.string()});
  EXPECT_EQ(result.exit_code, 2) << result.out << result.err;
  EXPECT_TRUE(contains(result.err, "3 ranks on CUDA but 2 GPU(s) visible")) << result.err;
  EXPECT_TRUE(query(db, "SELECT id FROM runs").empty());
}
