#include "runners/launch/gpu_check.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <nlohmann/json.hpp>
#include <ostream>
#include <sstream>

#include "hardware/gpu_info.hpp"
#include "hardware/program_output.hpp"
#include "hardware/software_info.hpp"
#include "matrix/config.hpp"
#include "results/fields.hpp"
#include "runners/launch/mpirun_command.hpp"

namespace iddl::launch {
namespace {

// "4.0 KiB", "256.0 MiB".
std::string size_text(int64_t bytes) {
  if (bytes >= (int64_t{1} << 20)) return fmt::format("{:.1f} MiB", static_cast<double>(bytes) / (1 << 20));
  return fmt::format("{:.1f} KiB", static_cast<double>(bytes) / 1024);
}

// Each line of `text` that is a JSON object.
std::vector<nlohmann::json> json_lines(const std::string& text) {
  std::vector<nlohmann::json> objects;
  std::istringstream lines(text);
  for (std::string line; std::getline(lines, line);) {
    const auto parsed = nlohmann::json::parse(line, nullptr, /*allow_exceptions=*/false);
    if (parsed.is_object()) objects.push_back(parsed);
  }
  return objects;
}

// The mpirun prefix both programs share: one rank per GPU, on the GPUs CUDA_VISIBLE_DEVICES leaves.
std::vector<std::string> mpirun_prefix(const GpuCheckOptions& options, int gpus) {
  std::vector<std::string> argv{options.mpirun, "-np", std::to_string(gpus), "--oversubscribe"};
  if (options.as_root) argv.push_back("--allow-run-as-root");
  argv.insert(argv.end(), {"--bind-to", "none", "-x", "OMP_NUM_THREADS=1", "-x", "CUDA_DEVICE_ORDER=PCI_BUS_ID"});
  return argv;
}

hardware::ProgramOptions program_options(const GpuCheckOptions& options) {
  hardware::ProgramOptions program;
  program.timeout = std::chrono::milliseconds(static_cast<int64_t>(options.timeout_s * 1000));
  return program;
}

}  // namespace

std::vector<std::string> nccl_check_argv(const GpuCheckOptions& options, int gpus) {
  std::vector<std::string> argv = mpirun_prefix(options, gpus);
  argv.insert(argv.end(), {options.bin_dir + "/iddl-nccl-check", "--max-mib", std::to_string(options.max_mib)});
  return argv;
}

std::vector<std::string> epoch_check_argv(const GpuCheckOptions& options, int gpus) {
  const nlohmann::json partial = {{"dataset", "synthetic-cifar"},
                                  {"train_samples", options.train_samples},
                                  {"test_samples", 1000},
                                  {"model", "resnet9"},
                                  {"parallelism", "sync"},
                                  {"ranks", gpus},
                                  {"device", "cuda"},
                                  {"epochs", 1},
                                  {"batch_size", options.batch_size},
                                  {"threads", 1}};
  const nlohmann::json spec = {
      {"sweep", "gpu-check"}, {"run_key", "gpu-check"}, {"repeat", 0}, {"config", matrix::resolve_config(partial)}};
  MpirunOptions mpirun;
  mpirun.mpirun = options.mpirun;
  mpirun.train_exe = options.bin_dir + "/iddl-train";
  mpirun.ranks = gpus;
  mpirun.as_root = options.as_root;
  return mpirun_argv(mpirun, spec.dump());
}

std::vector<AllreduceCheck> parse_allreduce_checks(const std::string& out) {
  std::vector<AllreduceCheck> checks;
  for (const nlohmann::json& line : json_lines(out)) {
    if (line.value("event", "") != "allreduce") continue;
    checks.push_back({line.at("bytes").get<int64_t>(), line.at("ranks").get<int>(), line.at("correct").get<bool>(),
                      line.at("seconds").get<double>(), line.at("busbw_Bps").get<double>()});
  }
  return checks;
}

StreamCheck parse_stream_check(const std::string& out) {
  StreamCheck check;
  for (const nlohmann::json& line : json_lines(out)) {
    if (line.value("event", "") != "stream") continue;
    check.checked = true;
    check.allgather_correct = line.value("allgather_correct", false);
    check.request_truthful = line.value("request_truthful", false);
    check.bytes = line.value("bytes", int64_t{0});
    check.queue_seconds = line.value("queue_seconds", 0.0);
    check.sum_seconds = line.value("sum_seconds", 0.0);
  }
  return check;
}

EpochCheck parse_epoch_check(const std::string& events) {
  namespace field = results::field;
  EpochCheck check;
  for (const nlohmann::json& line : json_lines(events)) {
    const std::string name = line.value("event", "");
    if (name == results::event::run_started) {
      check.device = line.value(field::device, "");
      check.gpu_name = line.value(field::gpu_name, "");
    } else if (name == results::event::epoch) {
      check.finished = true;
      check.epoch_time_s = line.value(field::epoch_time_s, 0.0);
      check.comm_time_s = line.value(field::comm_time_s, 0.0);
      check.train_loss = line.value(field::train_loss, 0.0);
      check.test_accuracy = line.value(field::test_accuracy, 0.0);
    } else if (name == results::event::error) {
      check.error = line.value(field::message, "");
    }
  }
  return check;
}

GpuVerdict gpu_verdict(int gpus, const std::vector<AllreduceCheck>& sums, const StreamCheck& stream,
                       const EpochCheck& epoch) {
  GpuVerdict verdict;
  std::vector<std::string> problems;
  double best_busbw = 0.0;
  verdict.lines.push_back(fmt::format("NCCL allreduce over {} GPU(s):", gpus));
  for (const AllreduceCheck& sum : sums) {
    verdict.lines.push_back(fmt::format("  {:>10}  {:<7}  {:>10.1f} us  bus bandwidth {:.2f} GB/s", size_text(sum.bytes),
                                        sum.correct ? "correct" : "WRONG", sum.seconds * 1e6, sum.busbw_Bps / 1e9));
    if (!sum.correct) problems.push_back("the sum of " + size_text(sum.bytes) + " is wrong");
    if (sum.ranks != gpus) problems.push_back(fmt::format("{} ranks summed, not {}", sum.ranks, gpus));
    best_busbw = std::max(best_busbw, sum.busbw_Bps);
  }
  if (sums.empty()) problems.push_back("no allreduce was checked");
  if (stream.checked) {
    verdict.lines.push_back(fmt::format(
        "NCCL on the current stream: allgather of unequal lengths {}, nonblocking sum's request {}; a sum of {} "
        "queued in {:.1f} us, done by the GPU in {:.1f} us",
        stream.allgather_correct ? "correct" : "WRONG", stream.request_truthful ? "truthful" : "WRONG",
        size_text(stream.bytes), stream.queue_seconds * 1e6, stream.sum_seconds * 1e6));
    if (!stream.allgather_correct) problems.push_back("the allgather of unequal lengths is wrong");
    if (!stream.request_truthful) problems.push_back("a nonblocking sum's request did not report its completion");
    if (stream.queue_seconds >= 0.5 * stream.sum_seconds)  // a host that waits for each sum takes as long as the GPU
      problems.push_back("the host waited for each sum on the GPU");
  } else {
    problems.push_back("the collectives on the current stream were not checked");
  }
  if (epoch.finished) {
    verdict.lines.push_back(fmt::format(
        "one epoch of ResNet-9 (sync, CIFAR-shaped synthetic data) on {} x {} ({} on rank 0): {:.2f} s, "
        "communication {:.2f} s ({:.0f}%), train loss {:.3f}, test accuracy {:.3f}",
        gpus, epoch.gpu_name.empty() ? "GPU" : epoch.gpu_name, epoch.device, epoch.epoch_time_s, epoch.comm_time_s,
        epoch.epoch_time_s > 0.0 ? 100.0 * epoch.comm_time_s / epoch.epoch_time_s : 0.0, epoch.train_loss,
        epoch.test_accuracy));
    if (epoch.device.rfind("cuda", 0) != 0) problems.push_back("the epoch trained on " + epoch.device + ", not CUDA");
    if (!std::isfinite(epoch.train_loss)) problems.push_back("the epoch's training loss is not finite");
  } else {
    problems.push_back("the epoch did not finish" + (epoch.error.empty() ? std::string() : ": " + epoch.error));
  }
  verdict.ok = problems.empty();
  if (verdict.ok) {
    verdict.lines.push_back(fmt::format("verdict: OK: NCCL sums correct up to {} on {} GPU(s), at most {:.2f} GB/s bus "
                                        "bandwidth; one ResNet-9 epoch in {:.2f} s",
                                        size_text(sums.back().bytes), gpus, best_busbw / 1e9, epoch.epoch_time_s));
  } else {
    std::string text = "verdict: FAILED: ";
    for (size_t i = 0; i < problems.size(); ++i) text += (i ? "; " : "") + problems[i];
    verdict.lines.push_back(text);
  }
  return verdict;
}

int run_gpu_check(const GpuCheckOptions& options, std::ostream& out, std::ostream& err) {
  const int gpus = hardware::visible_gpu_count();
  if (gpus == 0) {
    err << "gpu-check: no GPU visible here (neither NVML nor nvidia-smi finds one, or CUDA_VISIBLE_DEVICES hides "
           "them): nothing to check"
        << std::endl;
    return 1;
  }
  if (!hardware::torch_has_cuda()) {
    err << "gpu-check: " << gpus << " GPU(s) visible, but this IDDL is built against LibTorch "
        << hardware::torch_version() << " without CUDA: build it against a CUDA LibTorch (docs/gpu.md)" << std::endl;
    return 1;
  }
  out << "gpu-check: " << gpus << " GPU(s) visible; summing over them (iddl-nccl-check) ..." << std::endl;
  const auto sums = hardware::run_program(nccl_check_argv(options, gpus), program_options(options));
  if (sums.exit_code != 0)
    err << "gpu-check: iddl-nccl-check " << hardware::program_ending(sums, program_options(options)) << ": "
        << sums.err << std::endl;
  out << "gpu-check: one epoch of ResNet-9 on " << gpus << " GPU(s) (iddl-train) ..." << std::endl;
  const auto epoch = hardware::run_program(epoch_check_argv(options, gpus), program_options(options));
  EpochCheck epoch_check = parse_epoch_check(epoch.out);
  if (epoch.exit_code != 0 && epoch_check.error.empty())
    epoch_check.error = "iddl-train " + hardware::program_ending(epoch, program_options(options)) + ": " + epoch.err;
  const GpuVerdict verdict =
      gpu_verdict(gpus, parse_allreduce_checks(sums.out), parse_stream_check(sums.out), epoch_check);
  for (const std::string& line : verdict.lines) out << line << "\n";
  out.flush();
  return verdict.ok ? 0 : 1;
}

}  // namespace iddl::launch
