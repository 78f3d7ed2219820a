// `iddl-sweep gpu-check` (docs/gpu.md) through the built tools: without a GPU it says so and fails; GPUs visible to a
// LibTorch without CUDA are named; iddl-nccl-check under mpirun names why it cannot run; the commands it runs and
// its verdict from the programs' lines; on a machine with GPUs and a CUDA LibTorch, the whole check passes.
#include <dlfcn.h>
#include <unistd.h>

#include <cstdlib>
#include <nlohmann/json.hpp>
#include <string>

#include "hardware/gpu_info.hpp"
#include "hardware/software_info.hpp"
#include "runners/launch/gpu_check.hpp"
#include "tests/support/sweep_folder.hpp"

using namespace iddl::testing;
using iddl::launch::AllreduceCheck;
using iddl::launch::EpochCheck;

namespace {

const std::string kBin = IDDL_BIN_DIR;
const std::string kFakeGpus = std::string(IDDL_SOURCE_DIR) + "/tests/support/fake_gpus";

bool contains(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

// `program args...` with the environment changed by `env` ("NAME=value" entries).
Invocation run_with(const std::vector<std::string>& env, const std::vector<std::string>& argv) {
  std::vector<std::string> full{"/usr/bin/env", "OMP_NUM_THREADS=1"};
  full.insert(full.end(), env.begin(), env.end());
  full.insert(full.end(), argv.begin(), argv.end());
  return invoke(full);
}

bool nvml_answers() {
  if (void* nvml = dlopen("libnvidia-ml.so.1", RTLD_NOW | RTLD_LOCAL)) {
    dlclose(nvml);
    return true;
  }
  return false;
}

}  // namespace

TEST(GpuCheck, WithoutAGpuItSaysSoAndFails) {
  // An empty CUDA_VISIBLE_DEVICES hides every GPU, on any machine.
  const auto result = run_with({"CUDA_VISIBLE_DEVICES="}, {kBin + "/iddl-sweep", "gpu-check"});
  EXPECT_EQ(result.exit_code, 1) << result.out << result.err;
  EXPECT_TRUE(contains(result.err, "gpu-check: no GPU visible here")) << result.err;
  EXPECT_FALSE(contains(result.out, "verdict")) << result.out;
}

TEST(GpuCheck, GpusVisibleToALibTorchWithoutCudaAreNamed) {
  if (iddl::hardware::torch_has_cuda()) GTEST_SKIP() << "this IDDL's LibTorch has CUDA";
  if (nvml_answers()) GTEST_SKIP() << "this machine has an NVIDIA driver: NVML answers before the fake nvidia-smi";
  const auto result = run_with({"PATH=" + kFakeGpus + ":" + std::getenv("PATH")}, {kBin + "/iddl-sweep", "gpu-check"});
  EXPECT_EQ(result.exit_code, 1) << result.out << result.err;
  EXPECT_TRUE(contains(result.err, "2 GPU(s) visible, but this IDDL is built against LibTorch " +
                                       iddl::hardware::torch_version() + " without CUDA"))
      << result.err;
}

TEST(GpuCheck, TheNcclCheckNamesWhyItCannotRunWithoutGpus) {
  std::vector<std::string> argv{"mpirun", "-np", "2", "--oversubscribe"};
  if (::geteuid() == 0) argv.push_back("--allow-run-as-root");
  argv.insert(argv.end(), {kBin + "/iddl-nccl-check", "--max-mib", "1"});
  const auto result = run_with({"CUDA_VISIBLE_DEVICES="}, argv);
  EXPECT_NE(result.exit_code, 0) << result.out << result.err;
  EXPECT_TRUE(contains(result.err, "iddl-nccl-check: ")) << result.err;
  EXPECT_TRUE(contains(result.err, "cuda") || contains(result.err, "CUDA")) << result.err;
  EXPECT_FALSE(contains(result.out, "\"allreduce\"")) << result.out;
}

TEST(GpuCheck, RunsBothProgramsOnOneRankPerGpu) {
  iddl::launch::GpuCheckOptions options;
  options.bin_dir = "/opt/iddl/bin";
  const auto sums = iddl::launch::nccl_check_argv(options, 4);
  EXPECT_EQ((std::vector<std::string>(sums.begin(), sums.begin() + 3)), (std::vector<std::string>{"mpirun", "-np", "4"}));
  EXPECT_EQ((std::vector<std::string>(sums.end() - 3, sums.end())),
            (std::vector<std::string>{"/opt/iddl/bin/iddl-nccl-check", "--max-mib", "256"}));
  const auto epoch = iddl::launch::epoch_check_argv(options, 4);
  EXPECT_EQ(epoch[2], "4");
  ASSERT_EQ(epoch[epoch.size() - 2], "--spec-json");
  const auto spec = nlohmann::json::parse(epoch.back());
  const auto& config = spec.at("config");
  EXPECT_EQ(config.at("model"), "resnet9");
  EXPECT_EQ(config.at("dataset"), "synthetic-cifar");
  EXPECT_EQ(config.at("train_samples"), 50000);
  EXPECT_EQ(config.at("device"), "cuda");
  EXPECT_EQ(config.at("ranks"), 4);
  EXPECT_EQ(config.at("epochs"), 1);
  EXPECT_EQ(config.at("parallelism").at("method"), "sync");
}

TEST(GpuCheck, VerdictFromTheProgramsLines) {
  const std::string sums_out =
      "{\"event\":\"nccl_check\",\"backend\":\"mpi+nccl\",\"ranks\":2,\"device\":\"cuda:0\"}\n"
      "{\"event\":\"allreduce\",\"bytes\":4096,\"ranks\":2,\"correct\":true,\"seconds\":2e-05,\"algbw_Bps\":2.0e8,"
      "\"busbw_Bps\":2.0e8}\n"
      "not json: mpirun's own words\n"
      "{\"event\":\"allreduce\",\"bytes\":16384,\"ranks\":2,\"correct\":true,\"seconds\":4e-05,\"algbw_Bps\":4.0e8,"
      "\"busbw_Bps\":4.1e8}\n"
      "{\"event\":\"stream\",\"ranks\":2,\"allgather_correct\":true,\"request_truthful\":true,\"bytes\":67108864,"
      "\"queue_seconds\":1.5e-05,\"sum_seconds\":0.0025}\n";
  const auto sums = iddl::launch::parse_allreduce_checks(sums_out);
  ASSERT_EQ(sums.size(), 2u);
  EXPECT_EQ(sums[1].bytes, 16384);
  EXPECT_DOUBLE_EQ(sums[1].busbw_Bps, 4.1e8);
  const iddl::launch::StreamCheck stream = iddl::launch::parse_stream_check(sums_out);
  EXPECT_TRUE(stream.checked);
  EXPECT_DOUBLE_EQ(stream.sum_seconds, 0.0025);
  const std::string events =
      "{\"event\":\"run_started\",\"device\":\"cuda:0\",\"gpu_name\":\"NVIDIA A100\"}\n"
      "{\"event\":\"epoch\",\"epoch\":1,\"epoch_time_s\":12.5,\"comm_time_s\":2.5,\"train_loss\":1.9,"
      "\"test_accuracy\":0.31}\n"
      "{\"event\":\"run_finished\"}\n";
  const EpochCheck epoch = iddl::launch::parse_epoch_check(events);
  EXPECT_TRUE(epoch.finished);
  EXPECT_EQ(epoch.gpu_name, "NVIDIA A100");

  const auto ok = iddl::launch::gpu_verdict(2, sums, stream, epoch);
  EXPECT_TRUE(ok.ok);
  EXPECT_EQ(ok.lines.back(), "verdict: OK: NCCL sums correct up to 16.0 KiB on 2 GPU(s), at most 0.41 GB/s bus "
                             "bandwidth; one ResNet-9 epoch in 12.50 s");
  bool epoch_line = false;
  bool stream_line = false;
  for (const auto& line : ok.lines) {
    epoch_line = epoch_line || contains(line, "12.50 s, communication 2.50 s (20%)");
    stream_line = stream_line || line == "NCCL on the current stream: allgather of unequal lengths correct, nonblocking "
                                         "sum's request truthful; a sum of 64.0 MiB queued in 15.0 us, done by the "
                                         "GPU in 2500.0 us";
  }
  EXPECT_TRUE(epoch_line);
  EXPECT_TRUE(stream_line);

  std::vector<AllreduceCheck> wrong = sums;
  wrong[0].correct = false;
  EpochCheck on_cpu = epoch;
  on_cpu.device = "cpu";
  iddl::launch::StreamCheck waited = stream;
  waited.request_truthful = false;
  waited.queue_seconds = 0.0024;  // the host waited for each sum
  const auto failed = iddl::launch::gpu_verdict(2, wrong, waited, on_cpu);
  EXPECT_FALSE(failed.ok);
  EXPECT_EQ(failed.lines.back(),
            "verdict: FAILED: the sum of 4.0 KiB is wrong; a nonblocking sum's request did not report its completion; "
            "the host waited for each sum on the GPU; the epoch trained on cpu, not CUDA");
  const auto crashed = iddl::launch::gpu_verdict(
      2, {}, iddl::launch::parse_stream_check(""),
      iddl::launch::parse_epoch_check("{\"event\":\"error\",\"message\":\"ncclCommInitRank failed\"}\n"));
  EXPECT_EQ(crashed.lines.back(),
            "verdict: FAILED: no allreduce was checked; the collectives on the current stream were not checked; the "
            "epoch did not finish: ncclCommInitRank failed");
}

TEST(GpuCheck, PassesOnThisMachinesGpus) {
  if (!iddl::hardware::torch_has_cuda() || iddl::hardware::visible_gpu_count() == 0)
    GTEST_SKIP() << "needs GPUs and an IDDL built against a CUDA LibTorch (here: LibTorch "
                 << iddl::hardware::torch_version() << ", " << iddl::hardware::visible_gpu_count() << " GPU(s) visible)";
  const auto result = run_with({}, {kBin + "/iddl-sweep", "gpu-check", "--samples", "2048", "--max-mib", "16"});
  EXPECT_EQ(result.exit_code, 0) << result.out << result.err;
  EXPECT_TRUE(contains(result.out, "verdict: OK")) << result.out << result.err;
}
