#include "core/comm/shared_sum.hpp"

#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstring>
#include <stdexcept>
#include <utility>

#include "core/comm/stopwatch.hpp"

namespace iddl::comm {

std::unique_ptr<SharedSum> Communicator::shared_sum(int64_t, torch::ScalarType) { return nullptr; }

std::shared_ptr<SharedSegments> SharedSegments::map(const std::string& name, int64_t segment_bytes, int ranks,
                                                    bool create) {
  const int64_t total = segment_bytes * ranks;
  const int fd = create ? shm_open(name.c_str(), O_RDWR | O_CREAT | O_EXCL, 0600) : shm_open(name.c_str(), O_RDWR, 0);
  if (fd < 0) return nullptr;
  // Reserving the pages now turns a full /dev/shm into a clean refusal here instead of a SIGBUS on first touch.
  const bool sized = !create || posix_fallocate(fd, 0, static_cast<off_t>(total)) == 0;
  void* base = sized ? mmap(nullptr, static_cast<size_t>(total), PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0) : MAP_FAILED;
  close(fd);
  if (base == MAP_FAILED) {
    if (create) shm_unlink(name.c_str());
    return nullptr;
  }
  return std::shared_ptr<SharedSegments>(new SharedSegments(static_cast<char*>(base), segment_bytes, total));
}

SharedSegments::~SharedSegments() { munmap(base_, static_cast<size_t>(total_bytes_)); }

SharedSum::SharedSum(std::shared_ptr<SharedSegments> segments, int64_t elements, torch::ScalarType dtype, int rank,
                     int ranks, Communicator& barrier, Counter count)
    : segments_(std::move(segments)),
      element_bytes_(static_cast<int64_t>(c10::elementSize(dtype))),
      rank_(rank),
      ranks_(ranks),
      barrier_(barrier),
      count_(std::move(count)) {
  if (!supports(dtype)) throw std::invalid_argument("shared sum: only float32 and float64 values can be summed");
  const std::shared_ptr<SharedSegments> keep = segments_;
  local_ = torch::from_blob(segments_->segment(rank_), {elements}, [keep](void*) {},
                            torch::TensorOptions().dtype(dtype).device(torch::kCPU));
  local_.zero_();
}

bool SharedSum::supports(torch::ScalarType dtype) { return dtype == torch::kFloat32 || dtype == torch::kFloat64; }

void SharedSum::allreduce_sum(const torch::Tensor& slice, Traffic traffic) {
  if (slice.numel() == 0 && slice.scalar_type() == local_.scalar_type()) return;  // nothing to sum, on every rank
  const auto* begin_of_local = static_cast<const char*>(local_.data_ptr());
  const auto* at = static_cast<const char*>(slice.data_ptr());
  const int64_t bytes = slice.numel() * element_bytes_;
  if (slice.scalar_type() != local_.scalar_type() || !slice.is_contiguous() || at < begin_of_local ||
      at + bytes > begin_of_local + local_.numel() * element_bytes_)
    throw std::invalid_argument("shared sum: the tensor to sum must be a contiguous slice of the shared buffer");
  const auto start = std::chrono::steady_clock::now();
  const int64_t offset = (at - begin_of_local) / element_bytes_;
  const int64_t count = slice.numel();
  const int64_t share = (count + ranks_ - 1) / ranks_;
  const auto part = [&](int rank) {
    const int64_t begin = std::min(count, share * rank);
    return std::make_pair(offset + begin, offset + std::min(count, begin + share));
  };
  meet();  // every rank's values are in
  const auto [begin, end] = part(rank_);
  if (local_.scalar_type() == torch::kFloat32)
    add_others<float>(begin, end);
  else
    add_others<double>(begin, end);
  meet();  // every part is summed
  for (int k = 0; k < ranks_; ++k)
    if (k != rank_) copy_from(k, part(k).first, part(k).second);
  meet();  // no rank reads this rank's buffer any more: it may change
  const int64_t moved = ring_allreduce_bytes(bytes, ranks_);
  count_({moved, moved, seconds_since(start)}, traffic);
}

template <typename T>
void SharedSum::add_others(int64_t begin, int64_t end) {
  T* __restrict mine = reinterpret_cast<T*>(segments_->segment(rank_)) + begin;
  const int64_t n = end - begin;
  for (int k = 0; k < ranks_; ++k) {
    if (k == rank_) continue;
    const T* __restrict other = reinterpret_cast<const T*>(segments_->segment(k)) + begin;
    for (int64_t i = 0; i < n; ++i) mine[i] += other[i];
  }
}

void SharedSum::copy_from(int from, int64_t begin, int64_t end) {
  if (end <= begin) return;
  std::memcpy(segments_->segment(rank_) + begin * element_bytes_, segments_->segment(from) + begin * element_bytes_,
              static_cast<size_t>((end - begin) * element_bytes_));
}

void SharedSum::meet() {
  std::atomic_thread_fence(std::memory_order_seq_cst);
  barrier_.barrier();
  std::atomic_thread_fence(std::memory_order_seq_cst);
}

}  // namespace iddl::comm
