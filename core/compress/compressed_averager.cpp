#include "core/compress/compressed_averager.hpp"

#include <ATen/CPUGeneratorImpl.h>

#include <cmath>
#include <cstring>
#include <stdexcept>

#include "core/compress/compressor_registry.hpp"

namespace iddl::compress {
namespace {

// The frame of `payload` sent with `weight`, as int32 words (a type the communicator moves).
torch::Tensor to_frame(const torch::Tensor& payload, double weight) {
  torch::Tensor frame = torch::zeros({frame_bytes(payload.numel())}, torch::kUInt8);
  const auto head = static_cast<float>(weight);
  std::memcpy(frame.data_ptr<uint8_t>(), &head, 4);
  frame.narrow(0, 4, payload.numel()).copy_(payload);
  return frame.view(torch::kInt32);
}

// The same frame built on the payload's device (no host copy of the payload).
torch::Tensor to_device_frame(const torch::Tensor& payload, double weight) {
  torch::Tensor frame = torch::zeros({frame_bytes(payload.numel())}, payload.options());
  frame.narrow(0, 0, 4).copy_(
      torch::full({1}, static_cast<float>(weight), payload.options().dtype(torch::kFloat32)).view(torch::kUInt8));
  frame.narrow(0, 4, payload.numel()).copy_(payload);
  return frame.view(torch::kInt32);
}

// The device every tensor lives on; throws std::invalid_argument when they are on more than one.
torch::Device common_device(const std::vector<torch::Tensor>& tensors) {
  const torch::Device device = tensors.front().device();
  for (const torch::Tensor& tensor : tensors)
    if (tensor.device() != device)
      throw std::invalid_argument("compressed averaging: tensors on " + device.str() + " and " +
                                  tensor.device().str() + "; all must be on one device");
  return device;
}

// Rows of the near-square matrix a flat model vector of n entries is reshaped to (PowerSGD with granularity model).
int64_t square_rows(int64_t n) { return static_cast<int64_t>(std::ceil(std::sqrt(static_cast<double>(n)))); }

}  // namespace

int64_t frame_bytes(int64_t payload_bytes) { return 4 + (payload_bytes + 3) / 4 * 4; }

CompressedAverager::CompressedAverager(const CompressionOptions& options, comm::Communicator& comm, uint64_t seed,
                                       CompressorPath path)
    : options_(options), comm_(comm), path_(path) {
  const CompressorMethod& method = compressor_method(options.method);
  if (method.low_rank) {
    powersgd_ = method.low_rank(options, seed);
  } else if (method.compressor) {
    const uint64_t own_seed = seed + static_cast<uint64_t>(comm.rank());
    generator_ = at::detail::createCPUGenerator(own_seed);
    compressor_ = method.compressor(options.params, generator_);
    device_compressor_ = method.device_compressor(options.params, generator_);
  } else {
    throw std::invalid_argument("compression " + options.method + ": nothing to average through");
  }
}

double CompressedAverager::compression_ratio() const {
  return dense_bytes_ > 0 ? static_cast<double>(wire_bytes_) / static_cast<double>(dense_bytes_) : 1.0;
}

std::map<std::string, torch::Tensor> CompressedAverager::state() const {
  std::map<std::string, torch::Tensor> state;
  state["bytes"] = torch::tensor({wire_bytes_, dense_bytes_}, torch::kInt64);
  if (generator_.defined()) state["generator"] = generator_.get_state();
  if (powersgd_)
    for (const auto& [name, tensor] : powersgd_->state()) state["powersgd_" + name] = tensor;
  for (size_t unit = 0; unit < memory_.units(); ++unit)
    if (memory_.residual(unit).defined()) state["residual_" + std::to_string(unit)] = memory_.residual(unit);
  return state;
}

void CompressedAverager::restore(const std::map<std::string, torch::Tensor>& state) {
  const torch::Tensor bytes = state.at("bytes");
  wire_bytes_ = bytes[0].item<int64_t>();
  dense_bytes_ = bytes[1].item<int64_t>();
  if (const auto generator = state.find("generator"); generator != state.end()) generator_.set_state(generator->second);
  memory_ = ErrorFeedback();
  std::map<std::string, torch::Tensor> powersgd;
  for (const auto& [name, tensor] : state) {
    if (name.rfind("residual_", 0) == 0) memory_.set_residual(std::stoul(name.substr(9)), tensor.clone());
    if (name.rfind("powersgd_", 0) == 0) powersgd[name.substr(9)] = tensor;
  }
  if (powersgd_) powersgd_->restore(powersgd);
}

void CompressedAverager::average(const std::vector<torch::Tensor>& tensors, double weight) {
  if (tensors.empty()) return;
  torch::NoGradGuard no_grad;
  // Off the CPU (or when asked) the units stay on the tensors' device; on the CPU the CPU kernels compress them.
  const bool on_device = path_ == CompressorPath::Device || !common_device(tensors).is_cpu();
  std::vector<torch::Tensor> flats;
  std::vector<int64_t> matrix_rows;  // PowerSGD: rows of each unit seen as a matrix, 0 for a vector
  for (const torch::Tensor& tensor : tensors) {
    torch::Tensor flat = tensor.detach().to(torch::kFloat32).reshape(-1).contiguous();
    flats.push_back(powersgd_ ? flat.mul(weight) : flat);
    matrix_rows.push_back(tensor.dim() >= 2 && tensor.numel() > 0 ? tensor.size(0) : 0);
    dense_bytes_ += 4 * tensor.numel();
  }
  std::vector<torch::Tensor> units = flats;
  if (options_.granularity == "model") {
    units = {torch::cat(flats)};
    matrix_rows = {units[0].numel() > 0 ? square_rows(units[0].numel()) : 0};
  }
  const std::vector<torch::Tensor> sums = powersgd_  ? powersgd_sums(units, matrix_rows)
                                          : on_device ? gather_sums_on_device(units, weight)
                                                      : gather_sums(units, weight);

  const torch::Tensor all = options_.granularity == "model" ? sums[0] : torch::Tensor();
  int64_t offset = 0;
  for (size_t i = 0; i < tensors.size(); ++i) {
    const torch::Tensor sum = all.defined() ? all.narrow(0, offset, tensors[i].numel()) : sums[i];
    tensors[i].detach().copy_(sum.view(tensors[i].sizes()));
    offset += tensors[i].numel();
  }
}

std::vector<torch::Tensor> CompressedAverager::gather_sums(const std::vector<torch::Tensor>& units, double weight) {
  std::vector<torch::Tensor> sums;
  for (size_t i = 0; i < units.size(); ++i) {
    const int64_t n = units[i].numel();
    const torch::Tensor input = options_.error_feedback ? memory_.compensate(i, units[i]) : units[i];
    const torch::Tensor payload = compressor_->encode(input);
    if (options_.error_feedback) memory_.update(i, input, compressor_->decode(payload, n));
    const torch::Tensor frame = to_frame(payload, weight);
    wire_bytes_ += frame.numel() * 4;
    torch::Tensor sum = torch::zeros({n}, torch::kFloat32);
    for (const torch::Tensor& part : comm_.allgather(frame, comm::Traffic::Training)) {
      const torch::Tensor bytes = part.view(torch::kUInt8);
      float sender_weight;
      std::memcpy(&sender_weight, bytes.data_ptr<uint8_t>(), 4);
      compressor_->decode_add(bytes.narrow(0, 4, bytes.numel() - 4), sender_weight, sum);
    }
    sums.push_back(sum);
  }
  return sums;
}

std::vector<torch::Tensor> CompressedAverager::gather_sums_on_device(const std::vector<torch::Tensor>& units,
                                                                     double weight) {
  std::vector<torch::Tensor> sums;
  for (size_t i = 0; i < units.size(); ++i) {
    const int64_t n = units[i].numel();
    const torch::Tensor input = options_.error_feedback ? memory_.compensate(i, units[i]) : units[i];
    const torch::Tensor payload = device_compressor_->encode(input);
    if (options_.error_feedback) memory_.update(i, input, device_compressor_->decode(payload, n));
    const torch::Tensor frame = to_device_frame(payload, weight);
    wire_bytes_ += frame.numel() * 4;
    torch::Tensor sum = torch::zeros({n}, input.options());
    for (const torch::Tensor& part : comm_.allgather(frame, comm::Traffic::Training)) {
      // The sender's weight stays on the device: a float64 of one entry the decoder multiplies by.
      const torch::Tensor bytes = part.to(input.device()).view(torch::kUInt8);
      const torch::Tensor sender_weight = bytes.narrow(0, 0, 4).view(torch::kFloat32).to(torch::kFloat64);
      device_compressor_->decode_add_weighted(bytes.narrow(0, 4, bytes.numel() - 4), sender_weight, sum);
    }
    sums.push_back(sum);
  }
  return sums;
}

std::vector<torch::Tensor> CompressedAverager::powersgd_sums(const std::vector<torch::Tensor>& units,
                                                             const std::vector<int64_t>& matrix_rows) {
  std::vector<torch::Tensor> shaped;
  for (size_t i = 0; i < units.size(); ++i) {
    const int64_t n = units[i].numel(), rows = matrix_rows[i];
    if (rows == 0) {
      shaped.push_back(units[i]);
      continue;
    }
    const int64_t cols = (n + rows - 1) / rows;  // zero-padded when rows does not divide n
    torch::Tensor matrix = torch::zeros({rows * cols}, units[i].options());
    matrix.narrow(0, 0, n).copy_(units[i]);
    shaped.push_back(matrix.view({rows, cols}));
  }
  wire_bytes_ += powersgd_->reduce(shaped, comm_);
  std::vector<torch::Tensor> sums;
  for (size_t i = 0; i < units.size(); ++i) sums.push_back(shaped[i].reshape(-1).narrow(0, 0, units[i].numel()));
  return sums;
}

std::unique_ptr<CompressedAverager> make_averager(const CompressionOptions& options, comm::Communicator& comm,
                                                  uint64_t seed, CompressorPath path) {
  const CompressorMethod& method = compressor_method(options.method);
  if (!method.compressor && !method.low_rank) return nullptr;
  return std::make_unique<CompressedAverager>(options, comm, seed, path);
}

}  // namespace iddl::compress
