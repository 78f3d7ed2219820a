#include "core/compress/powersgd.hpp"

#include <ATen/CPUGeneratorImpl.h>

#include <algorithm>
#include <stdexcept>

namespace iddl::compress {
namespace {

// Sums `parts` over the ranks in one allreduce of their concatenation; each part becomes a view of the sum.
// Returns the bytes contributed.
int64_t allreduce_together(std::vector<torch::Tensor>& parts, comm::Communicator& comm) {
  std::vector<torch::Tensor> flat;
  for (const torch::Tensor& part : parts) flat.push_back(part.reshape(-1));
  torch::Tensor buffer = torch::cat(flat).contiguous();
  if (buffer.numel() > 0) comm.allreduce_sum(buffer, comm::Traffic::Training);
  int64_t offset = 0;
  for (torch::Tensor& part : parts) {
    part = buffer.narrow(0, offset, part.numel()).view(part.sizes());
    offset += part.numel();
  }
  return buffer.numel() * static_cast<int64_t>(buffer.element_size());
}

// Makes the columns of `p` orthonormal in place (Gram-Schmidt, each projection done twice so rounding leaves no
// component along earlier columns); a column (numerically) in the span of the earlier ones becomes zero.
void orthonormalize(torch::Tensor& p) {
  for (int64_t i = 0; i < p.size(1); ++i) {
    torch::Tensor column = p.select(1, i);
    const double before = column.norm().item<double>();
    for (int pass = 0; pass < 2; ++pass) {
      for (int64_t j = 0; j < i; ++j) {
        const torch::Tensor previous = p.select(1, j);
        column.sub_(previous * previous.dot(column));
      }
    }
    const double after = column.norm().item<double>();
    if (after > 1e-6 * before) {
      column.div_(after);
    } else {
      column.zero_();
    }
  }
}

}  // namespace

PowerSgd::PowerSgd(int rank, bool warm_start, bool error_feedback, uint64_t shared_seed)
    : rank_(rank),
      warm_start_(warm_start),
      error_feedback_(error_feedback),
      generator_(at::detail::createCPUGenerator(shared_seed)) {
  if (rank < 1) throw std::invalid_argument("powersgd: rank must be >= 1");
}

bool PowerSgd::compresses(int64_t rows, int64_t cols) const {
  const int64_t r = std::min<int64_t>({rank_, rows, cols});
  return r > 0 && r * (rows + cols) < rows * cols;
}

std::map<std::string, torch::Tensor> PowerSgd::state() const {
  std::map<std::string, torch::Tensor> state{{"generator", generator_.get_state()}};
  for (size_t i = 0; i < q_.size(); ++i)
    if (q_[i].defined()) state["q_" + std::to_string(i)] = q_[i];
  for (size_t i = 0; i < memory_.units(); ++i)
    if (memory_.residual(i).defined()) state["residual_" + std::to_string(i)] = memory_.residual(i);
  return state;
}

void PowerSgd::restore(const std::map<std::string, torch::Tensor>& state) {
  generator_.set_state(state.at("generator"));
  q_.clear();
  memory_ = ErrorFeedback();
  for (const auto& [name, tensor] : state) {
    if (name.rfind("q_", 0) == 0) {
      const size_t i = std::stoul(name.substr(2));
      if (q_.size() <= i) q_.resize(i + 1);
      q_[i] = tensor.clone();
    }
    if (name.rfind("residual_", 0) == 0) memory_.set_residual(std::stoul(name.substr(9)), tensor.clone());
  }
}

int64_t PowerSgd::reduce(std::vector<torch::Tensor>& tensors, comm::Communicator& comm) {
  std::vector<size_t> whole_index, factored_index;
  for (size_t i = 0; i < tensors.size(); ++i) {
    const bool factored = tensors[i].dim() == 2 && compresses(tensors[i].size(0), tensors[i].size(1));
    (factored ? factored_index : whole_index).push_back(i);
  }
  int64_t bytes = 0;
  if (!whole_index.empty()) {
    std::vector<torch::Tensor> whole;
    for (const size_t i : whole_index) whole.push_back(tensors[i].to(torch::kFloat32));
    bytes += allreduce_together(whole, comm);
    for (size_t j = 0; j < whole_index.size(); ++j) tensors[whole_index[j]] = whole[j];
  }
  if (factored_index.empty()) return bytes;

  if (q_.size() < tensors.size()) q_.resize(tensors.size());
  std::vector<torch::Tensor> m, p;
  for (const size_t i : factored_index) {
    const torch::Tensor& matrix = tensors[i];
    m.push_back(error_feedback_ ? memory_.compensate(i, matrix) : matrix);
    const int64_t r = std::min<int64_t>({rank_, matrix.size(0), matrix.size(1)});
    const bool reuse = warm_start_ && q_[i].defined() && q_[i].size(0) == matrix.size(1) && q_[i].size(1) == r;
    if (!reuse) q_[i] = torch::randn({matrix.size(1), r}, generator_, torch::kFloat32);
    q_[i] = q_[i].to(matrix.device());  // drawn (or restored) on the CPU, used on the matrix's device
    p.push_back(m.back().mm(q_[i]));
  }
  bytes += allreduce_together(p, comm);
  std::vector<torch::Tensor> q, q_local;
  for (size_t j = 0; j < p.size(); ++j) {
    orthonormalize(p[j]);
    q_local.push_back(m[j].t().mm(p[j]));
    q.push_back(q_local.back().clone());
  }
  bytes += allreduce_together(q, comm);
  for (size_t j = 0; j < factored_index.size(); ++j) {
    const size_t i = factored_index[j];
    // This rank's share of the sum is P Q_local^T: what it did not transmit stays in its residual.
    if (error_feedback_) memory_.update(i, m[j], p[j].mm(q_local[j].t()));
    tensors[i] = p[j].mm(q[j].t());
    q_[i] = q[j].clone();
  }
  return bytes;
}

}  // namespace iddl::compress
