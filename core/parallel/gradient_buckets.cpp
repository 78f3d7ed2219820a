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

GradientBuckets::GradientBuckets(const train::FlatParameters& flat, int64_t bucket_bytes, bool overlap,
                                 comm::Communicator& comm, comm::SharedSum* shared)
    : comm_(comm),
      shared_(shared),
      overlap_(overlap),
      flat_(flat),
      bucket_of_(flat.parameters().size()),
      arrived_(flat.parameters().size(), false) {
  const std::vector<torch::Tensor>& parameters = flat.parameters();
  if (parameters.empty()) return;
  overlap_ = overlap && flat.gradients().device().is_cpu();  // a GPU's backward runs on the device's own thread
  const int64_t element = static_cast<int64_t>(flat.gradients().element_size());

  // The layout puts the last parameter first: backward produces the output layer's gradients first.
  // A bucket closes before a parameter that would take it past bucket_bytes.
  int64_t bucket_start = 0;
  const auto close_bucket = [&](int64_t end) {
    buckets_.back().values = flat.gradients().slice(0, bucket_start, end);
    bucket_start = end;
  };
  for (size_t k = parameters.size(); k-- > 0;) {
    const int64_t offset = flat.offset(k);
    if (buckets_.empty() || (offset + parameters[k].numel() - bucket_start) * element > bucket_bytes) {
      if (!buckets_.empty()) close_bucket(offset);
      buckets_.emplace_back();
    }
    bucket_of_[k] = buckets_.size() - 1;
    ++buckets_.back().parameters;
  }
  close_bucket(flat.gradients().numel());
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
  flat_.check_in_place();
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
    if (shared_)
      shared_->allreduce_sum(last.values, comm::Traffic::Training);
    else
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
