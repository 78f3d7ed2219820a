#include "core/parallel/gradient_buckets.hpp"

#include <torch/csrc/autograd/function.h>
#include <torch/csrc/autograd/utils/lambda_post_hook.h>
#include <torch/csrc/autograd/variable.h>

#include <algorithm>
#include <stdexcept>
#include <string>

namespace iddl::parallel {

struct GradientBuckets::Bucket {
  torch::Tensor values;  // its slice of the flat buffer
  int64_t parameters = 0;
  int64_t awaited = 0;   // gradients backward accumulates into it each step
  int64_t missing = 0;   // of those, not accumulated yet this step
  std::unique_ptr<comm::Request> sum;  // its sum in flight
};

GradientBuckets::GradientBuckets(const std::vector<torch::Tensor>& parameters, int64_t bucket_bytes, bool overlap,
                                 comm::Communicator& comm)
    : comm_(comm),
      overlap_(overlap),
      parameters_(parameters),
      bucket_of_(parameters.size()),
      arrived_(parameters.size(), false) {
  if (parameters.empty()) return;
  const torch::Tensor& first = parameters.front();
  int64_t total = 0;
  for (const auto& p : parameters) {
    if (p.scalar_type() != first.scalar_type() || p.device() != first.device())
      throw std::invalid_argument("gradient buckets: every parameter needs the first one's type and device");
    total += p.numel();
  }
  overlap_ = overlap && first.device().is_cpu();  // a GPU's backward runs on the device's own thread
  views_.resize(parameters.size());
  flat_ = torch::zeros({total}, torch::TensorOptions().dtype(first.scalar_type()).device(first.device()));
  const int64_t element = static_cast<int64_t>(first.element_size());

  // Last parameter first: backward produces the output layer's gradients first.
  // A bucket closes before a parameter that would take it past bucket_bytes.
  int64_t offset = 0;
  int64_t bucket_start = 0;
  const auto close_bucket = [&] {
    buckets_.back().values = flat_.slice(0, bucket_start, offset);
    bucket_start = offset;
  };
  for (size_t k = parameters.size(); k-- > 0;) {
    const torch::Tensor& p = parameters[k];
    if (buckets_.empty() || (offset + p.numel() - bucket_start) * element > bucket_bytes) {
      if (!buckets_.empty()) close_bucket();
      buckets_.emplace_back();
    }
    bucket_of_[k] = buckets_.size() - 1;
    ++buckets_.back().parameters;
    torch::Tensor keep = flat_;
    p.mutable_grad() = torch::from_blob(static_cast<char*>(flat_.data_ptr()) + offset * element, p.sizes(),
                                        [keep](void*) {}, flat_.options());
    views_[k] = p.grad().data_ptr();
    offset += p.numel();
  }
  close_bucket();
  for (size_t k = 0; k < parameters.size(); ++k) {
    std::shared_ptr<torch::autograd::Node> accumulator = torch::autograd::impl::grad_accumulator(parameters[k]);
    if (!overlap_ || !accumulator) continue;  // no gradient flows into a parameter that does not require one
    Bucket& bucket = buckets_[bucket_of_[k]];
    ++bucket.awaited;
    const uintptr_t key = accumulator->add_post_hook(std::make_unique<torch::autograd::utils::LambdaPostHook>(
        [this, k](const torch::autograd::variable_list& outputs, const torch::autograd::variable_list&) {
          on_gradient(k);
          return outputs;
        }));
    hooks_.emplace_back(std::move(accumulator), key);
  }
}

GradientBuckets::~GradientBuckets() {
  // A model that outlives the buckets keeps its accumulators; their hooks must not call into freed memory.
  for (auto& [accumulator, key] : hooks_) accumulator->del_post_hook(key);
}

void GradientBuckets::prepare(double share) {
  for (size_t k = 0; k < parameters_.size(); ++k)
    if (parameters_[k].grad().data_ptr() != views_[k])
      throw std::logic_error("gradient buckets: the gradient of parameter " + std::to_string(k) +
                             " no longer lives in its bucket (it was set to none or replaced)");
  share_ = share;
  stepping_ = true;
  next_ = 0;
  std::fill(arrived_.begin(), arrived_.end(), false);
  for (auto& bucket : buckets_) bucket.missing = bucket.awaited;
  if (overlap_) start_ready(false);  // buckets no gradient flows into
}

void GradientBuckets::on_gradient(size_t index) {
  if (!stepping_ || arrived_[index]) return;
  arrived_[index] = true;
  --buckets_[bucket_of_[index]].missing;
  start_ready(false);
  for (auto& bucket : buckets_)  // MPI moves nonblocking collectives on inside its calls
    if (bucket.sum) bucket.sum->test();
}

void GradientBuckets::start_ready(bool all) {
  for (; next_ + 1 < buckets_.size() && (all || buckets_[next_].missing == 0); ++next_) {
    Bucket& bucket = buckets_[next_];
    bucket.values.mul_(share_);
    bucket.sum = comm_.iallreduce_sum(bucket.values, comm::Traffic::Training);
  }
}

void GradientBuckets::finish() {
  start_ready(true);
  for (size_t k = 0; k < next_; ++k) {
    buckets_[k].sum->wait();
    buckets_[k].sum.reset();
  }
  if (!buckets_.empty()) {  // nothing is left to overlap the last bucket with: a blocking sum
    Bucket& last = buckets_.back();
    last.values.mul_(share_);
    comm_.allreduce_sum(last.values, comm::Traffic::Training);
    next_ = buckets_.size();
  }
  stepping_ = false;
}

std::vector<int64_t> GradientBuckets::bucket_sizes() const {
  std::vector<int64_t> sizes;
  for (const auto& bucket : buckets_) sizes.push_back(bucket.parameters);
  return sizes;
}

}  // namespace iddl::parallel
