#pragma once
// `iddl-sweep gpu-check` (docs/gpu.md): on a GPU machine, one command that checks NCCL sums over its GPUs and
// their bandwidth (iddl-nccl-check), trains one CIFAR-shaped epoch of ResNet-9 with sync on every GPU (iddl-train),
// and gives the timings and a short verdict. No LibTorch here: both programs run under mpirun.
#include <cstdint>
#include <iosfwd>
#include <string>
#include <vector>

namespace iddl::launch {

// What gpu-check runs.
struct GpuCheckOptions {
  std::string bin_dir;              // where iddl-nccl-check and iddl-train are
  std::string mpirun = "mpirun";
  bool as_root = false;             // adds --allow-run-as-root
  int max_mib = 256;                // the largest tensor summed
  int64_t train_samples = 50000;    // CIFAR-10's training set size (synthetic data of its shape: no download)
  int64_t batch_size = 128;         // per GPU
  double timeout_s = 1800;          // for each of the two programs
};

// One summed size as iddl-nccl-check reports it.
struct AllreduceCheck {
  int64_t bytes = 0;
  int ranks = 0;
  bool correct = false;
  double seconds = 0.0;    // one sum
  double busbw_Bps = 0.0;  // bytes each ring link carried per second
};

// The collectives on LibTorch's current stream as iddl-nccl-check reports them (its "stream" line).
struct StreamCheck {
  bool checked = false;            // the line arrived
  bool allgather_correct = false;  // unequal lengths, parts right and on the device, on every rank
  bool request_truthful = false;   // a nonblocking sum pending until every rank started it, then complete
  int64_t bytes = 0;               // of each timed sum
  double queue_seconds = 0.0;      // the host's, to queue one sum
  double sum_seconds = 0.0;        // the GPU's, for one sum
};

// The epoch of iddl-train's events.
struct EpochCheck {
  bool finished = false;   // an epoch event arrived
  std::string device;      // rank 0's device (run_started)
  std::string gpu_name;
  double epoch_time_s = 0.0;
  double comm_time_s = 0.0;
  double train_loss = 0.0;
  double test_accuracy = 0.0;
  std::string error;       // the error event's message, or how the program ended
};

// `mpirun ... iddl-nccl-check --max-mib M` on `gpus` ranks (an argument vector, never a shell string).
std::vector<std::string> nccl_check_argv(const GpuCheckOptions& options, int gpus);
// `mpirun ... iddl-train` of one epoch of ResNet-9 (sync, device cuda) on `gpus` ranks.
std::vector<std::string> epoch_check_argv(const GpuCheckOptions& options, int gpus);

// The allreduce lines of iddl-nccl-check's output (other lines are skipped).
std::vector<AllreduceCheck> parse_allreduce_checks(const std::string& out);
// The stream line of iddl-nccl-check's output (checked = false without one).
StreamCheck parse_stream_check(const std::string& out);
// The epoch check from iddl-train's event lines.
EpochCheck parse_epoch_check(const std::string& events);

// The verdict on `gpus` GPUs: whether everything passed, and its lines (the sums, the stream, the epoch, "verdict: ...").
struct GpuVerdict {
  bool ok = false;
  std::vector<std::string> lines;
};
GpuVerdict gpu_verdict(int gpus, const std::vector<AllreduceCheck>& sums, const StreamCheck& stream,
                       const EpochCheck& epoch);

// Runs the check on this machine's visible GPUs, writing progress and the verdict to `out` and problems to
// `err`; 0 when everything passed, 1 otherwise (no GPU visible, a LibTorch without CUDA, a wrong sum, a failed epoch).
int run_gpu_check(const GpuCheckOptions& options, std::ostream& out, std::ostream& err);

}  // namespace iddl::launch
