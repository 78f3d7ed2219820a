#pragma once
#include <torch/torch.h>

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "core/comm/communicator.hpp"
#include "core/compress/compression_options.hpp"
#include "core/compress/compressor.hpp"
#include "core/compress/device_compressor.hpp"
#include "core/compress/error_feedback.hpp"
#include "core/compress/powersgd.hpp"

namespace iddl::compress {

// Bytes on the wire for a payload of `payload_bytes`: the frame is the sender's float32 weight, then the payload
// padded with zeros to whole 32-bit words (the communicator moves 32-bit words, not bytes).
int64_t frame_bytes(int64_t payload_bytes);

// Which code compresses: Auto: the CPU kernels for CPU tensors, the device flavours (torch operations) for tensors on
// any other device; Device: the device flavours always (to compare both on CPU tensors).
enum class CompressorPath { Auto, Device };

// Averages tensors over the ranks through a compressor. Encode/decode methods compress each rank's own tensor (plus
// its residual) and allgather frames of (weight, payload); every rank decodes all of them and sums weight_r times
// each, in rank order. PowerSGD approximates the weighted tensors and sums its factors by allreduce. Counts the bytes
// sent against a dense allreduce's. Tensors off the CPU stay on their device: encoded, allgathered and decoded there.
class CompressedAverager {
 public:
  // `seed` is the run's seed: this rank's random draws use seed + rank, PowerSGD's initial Q seed itself (shared).
  // Throws std::invalid_argument for a method that sends values as they are (none: nothing to compress).
  CompressedAverager(const CompressionOptions& options, comm::Communicator& comm, uint64_t seed,
                     CompressorPath path = CompressorPath::Auto);

  // Replaces each tensor by the sum over ranks of weight_r * tensor_r, as the compressor transmits it.
  void average(const std::vector<torch::Tensor>& tensors, double weight);
  // Bytes this rank contributed so far (frames, or PowerSGD's allreduced buffers).
  int64_t wire_bytes() const { return wire_bytes_; }
  // Bytes a dense float32 allreduce of the same tensors would have carried (4 per entry).
  int64_t dense_bytes() const { return dense_bytes_; }
  // wire_bytes() / dense_bytes() over the whole run (1 before anything was averaged).
  double compression_ratio() const;
  // Its state for a checkpoint: the error-feedback residuals ("residual_<unit>"), the bytes counted ("bytes"), the
  // random generator of randomk, terngrad and qsgd ("generator"), PowerSGD's ("powersgd_<name>").
  std::map<std::string, torch::Tensor> state() const;
  // Puts back what state() returned.
  void restore(const std::map<std::string, torch::Tensor>& state);

 private:
  // The sum over ranks of weight_r times each flat unit, through the encode/decode compressor and allgather.
  std::vector<torch::Tensor> gather_sums(const std::vector<torch::Tensor>& units, double weight);
  // The same through the device flavour, on the units' device (frames allgathered as device tensors).
  std::vector<torch::Tensor> gather_sums_on_device(const std::vector<torch::Tensor>& units, double weight);
  // The sum over ranks of each (already weighted) flat unit through PowerSGD (`matrix_rows[i]` > 0: unit i as a
  // matrix of that many rows).
  std::vector<torch::Tensor> powersgd_sums(const std::vector<torch::Tensor>& units,
                                           const std::vector<int64_t>& matrix_rows);

  CompressionOptions options_;
  comm::Communicator& comm_;
  CompressorPath path_;
  std::unique_ptr<Compressor> compressor_;
  std::unique_ptr<DeviceCompressor> device_compressor_;  // the same method in torch operations (same generator)
  torch::Generator generator_;  // the compressor's random draws (a handle on the one it holds)
  std::unique_ptr<PowerSgd> powersgd_;
  ErrorFeedback memory_;
  int64_t wire_bytes_ = 0;
  int64_t dense_bytes_ = 0;
};

// The averager of `options`, or nullptr for a method that sends values as they are (none).
std::unique_ptr<CompressedAverager> make_averager(const CompressionOptions& options, comm::Communicator& comm,
                                                  uint64_t seed, CompressorPath path = CompressorPath::Auto);

}  // namespace iddl::compress
