#include "core/comm/shared_memory_sum.hpp"

#include <sched.h>

#include <algorithm>
#include <cstring>
#include <stdexcept>
#include <string>

namespace iddl::comm {
namespace {

constexpr int64_t kLine = 64;  // slices start on cache lines: no two ranks write one line
constexpr int64_t kChunk = 512;  // elements summed at a time

void check(int code, const char* what) {
  if (code != MPI_SUCCESS)
    throw std::runtime_error(std::string("shared-memory sum: ") + what + " failed with MPI error " +
                             std::to_string(code));
}

uint64_t load(const uint64_t& flag) { return __atomic_load_n(&flag, __ATOMIC_ACQUIRE); }
void store(uint64_t& flag, uint64_t value) { __atomic_store_n(&flag, value, __ATOMIC_RELEASE); }

// Spins until `flag` reaches `value`, yielding the core after a while (more ranks than cores).
void await(const uint64_t& flag, uint64_t value) {
  for (int spins = 0; load(flag) < value; ++spins)
    if (spins > 2000) sched_yield();
}

}  // namespace

// Each rank's phase counters, one cache line each: how many sums it has copied in, summed its slice of, copied out.
struct SharedMemorySum::Flags {
  alignas(kLine) uint64_t written;
  alignas(kLine) uint64_t summed;
  alignas(kLine) uint64_t read;
};

std::unique_ptr<SharedMemorySum> SharedMemorySum::create(MPI_Comm comm) {
  int rank = 0;
  int size = 0;
  check(MPI_Comm_rank(comm, &rank), "MPI_Comm_rank");
  check(MPI_Comm_size(comm, &size), "MPI_Comm_size");
  MPI_Comm node = MPI_COMM_NULL;
  check(MPI_Comm_split_type(comm, MPI_COMM_TYPE_SHARED, rank, MPI_INFO_NULL, &node), "MPI_Comm_split_type");
  int node_size = 0;
  check(MPI_Comm_size(node, &node_size), "MPI_Comm_size");
  int everywhere = node_size == size ? 1 : 0;  // every rank must take the same path
  check(MPI_Allreduce(MPI_IN_PLACE, &everywhere, 1, MPI_INT, MPI_MIN, comm), "MPI_Allreduce");
  if (!everywhere) {
    MPI_Comm_free(&node);
    return nullptr;
  }
  return std::unique_ptr<SharedMemorySum>(new SharedMemorySum(node));
}

SharedMemorySum::SharedMemorySum(MPI_Comm node) : node_(node) {
  MPI_Comm_rank(node_, &rank_);
  MPI_Comm_size(node_, &size_);
  flags_.resize(static_cast<size_t>(size_));
  regions_.resize(static_cast<size_t>(size_));
}

SharedMemorySum::~SharedMemorySum() {
  int finalized = 0;
  MPI_Finalized(&finalized);
  if (finalized) return;
  free_window();
  MPI_Comm_free(&node_);
}

void SharedMemorySum::free_window() {
  if (window_ != MPI_WIN_NULL) MPI_Win_free(&window_);
  capacity_ = 0;
}

void SharedMemorySum::reserve(int64_t bytes) {
  if (bytes <= capacity_) return;
  free_window();
  const int64_t capacity = (bytes + kLine - 1) / kLine * kLine;
  const auto segment = static_cast<MPI_Aint>(static_cast<int64_t>(sizeof(Flags)) + capacity);
  void* base = nullptr;
  check(MPI_Win_allocate_shared(segment, 1, MPI_INFO_NULL, node_, &base, &window_), "MPI_Win_allocate_shared");
  for (int r = 0; r < size_; ++r) {
    MPI_Aint size = 0;
    int unit = 0;
    void* peer = nullptr;
    check(MPI_Win_shared_query(window_, r, &size, &unit, &peer), "MPI_Win_shared_query");
    flags_[static_cast<size_t>(r)] = static_cast<Flags*>(peer);
    regions_[static_cast<size_t>(r)] = static_cast<char*>(peer) + sizeof(Flags);
  }
  Flags& own = *flags_[static_cast<size_t>(rank_)];
  store(own.written, 0);
  store(own.summed, 0);
  store(own.read, 0);
  capacity_ = capacity;
  generation_ = 0;
  check(MPI_Barrier(node_), "MPI_Barrier");  // every rank's flags are reset before anyone waits on them
}

void SharedMemorySum::sum(float* data, int64_t count) { sum_in_place(data, count); }
void SharedMemorySum::sum(double* data, int64_t count) { sum_in_place(data, count); }

template <typename T>
void SharedMemorySum::sum_in_place(T* data, int64_t count) {
  if (count <= 0) return;
  const auto element = static_cast<int64_t>(sizeof(T));
  reserve(count * element);
  const uint64_t generation = ++generation_;
  const auto slice_of = [&](int r) {  // rank r's slice [begin, end) of the elements, cut on cache lines
    const int64_t per_line = kLine / element;
    const int64_t lines = (count + per_line - 1) / per_line;
    const int64_t begin = std::min(count, lines * r / size_ * per_line);
    const int64_t end = std::min(count, lines * (r + 1) / size_ * per_line);
    return std::pair<int64_t, int64_t>{begin, end};
  };
  const auto region = [&](int r) { return reinterpret_cast<T*>(regions_[static_cast<size_t>(r)]); };
  Flags& own = *flags_[static_cast<size_t>(rank_)];

  const auto [begin, end] = slice_of(rank_);
  const auto bytes = [&](int64_t from, int64_t to) { return static_cast<size_t>((to - from) * element); };

  // Copy in what the other ranks sum (all but this rank's slice), once every rank has copied the previous sums out
  // of this region.
  for (int r = 0; r < size_; ++r) await(flags_[static_cast<size_t>(r)]->read, generation - 1);
  std::memcpy(region(rank_), data, bytes(0, begin));
  std::memcpy(region(rank_) + end, data + end, bytes(end, count));
  store(own.written, generation);

  // Sum this rank's slice over the ranks in rank order (its own addend from `data`), into `data` and, for the
  // others to copy out, into this rank's region.
  for (int r = 0; r < size_; ++r) await(flags_[static_cast<size_t>(r)]->written, generation);
  const auto addend = [&](int r) -> const T* { return r == rank_ ? data : region(r); };
  T partial[kChunk];
  for (int64_t at = begin; at < end; at += kChunk) {
    const int64_t n = std::min(kChunk, end - at);
    std::copy(addend(0) + at, addend(0) + at + n, partial);
    for (int r = 1; r < size_; ++r) {
      const T* in = addend(r) + at;
      for (int64_t i = 0; i < n; ++i) partial[i] += in[i];
    }
    std::copy(partial, partial + n, data + at);
    std::copy(partial, partial + n, region(rank_) + at);
  }
  store(own.summed, generation);

  // Copy the other ranks' slices of sums out.
  for (int r = 0; r < size_; ++r) {
    if (r == rank_) continue;
    await(flags_[static_cast<size_t>(r)]->summed, generation);
    const auto [from, to] = slice_of(r);
    std::memcpy(data + from, region(r) + from, bytes(from, to));
  }
  store(own.read, generation);
}

}  // namespace iddl::comm
