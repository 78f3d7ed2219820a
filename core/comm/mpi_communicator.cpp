#include "core/comm/mpi_communicator.hpp"

#include <mpi.h>
#include <sys/mman.h>
#include <unistd.h>

#include <array>
#include <atomic>
#include <cstdio>
#include <cstdlib>

#include <chrono>
#include <functional>
#include <numeric>
#include <stdexcept>
#include <string>

#include "core/comm/device_timer.hpp"
#include "core/comm/shared_sum.hpp"
#include "core/comm/stopwatch.hpp"

namespace iddl::comm {
namespace {

// Sums 16-bit floats (T: c10::Half or c10::BFloat16) element by element, each addition in float.
template <typename T>
void sum_16bit(const void* in, void* inout, int count) {
  const T* a = static_cast<const T*>(in);
  T* b = static_cast<T*>(inout);
  for (int i = 0; i < count; ++i) b[i] = static_cast<T>(static_cast<float>(a[i]) + static_cast<float>(b[i]));
}

// MPI has no half or bfloat16 type: each is a 16-bit word type of its own, summed by one user operation
// that tells them apart by their handle. Created at first use (after MPI_Init), kept for the process.
struct HalfTypes {
  MPI_Datatype half = MPI_DATATYPE_NULL;
  MPI_Datatype bfloat16 = MPI_DATATYPE_NULL;
  MPI_Op sum = MPI_OP_NULL;
};

const HalfTypes& half_types();

void sum_half_types(void* in, void* inout, int* count, MPI_Datatype* type) {
  if (*type == half_types().half)
    sum_16bit<c10::Half>(in, inout, *count);
  else
    sum_16bit<c10::BFloat16>(in, inout, *count);
}

const HalfTypes& half_types() {
  static const HalfTypes types = [] {
    HalfTypes t;
    MPI_Type_dup(MPI_UINT16_T, &t.half);
    MPI_Type_dup(MPI_UINT16_T, &t.bfloat16);
    MPI_Type_commit(&t.half);
    MPI_Type_commit(&t.bfloat16);
    MPI_Op_create(&sum_half_types, /*commute=*/1, &t.sum);
    return t;
  }();
  return types;
}

MPI_Datatype mpi_type(const torch::Tensor& tensor) {
  switch (tensor.scalar_type()) {
    case torch::kFloat32: return MPI_FLOAT;
    case torch::kFloat64: return MPI_DOUBLE;
    case torch::kInt64: return MPI_INT64_T;
    case torch::kInt32: return MPI_INT32_T;
    case torch::kFloat16: return half_types().half;
    case torch::kBFloat16: return half_types().bfloat16;
    default:
      throw std::invalid_argument(std::string("MPI communicator: unsupported tensor type ") +
                                  std::string(c10::toString(tensor.scalar_type())));
  }
}

// The operation that sums `tensor`'s type: MPI_SUM, or the float sum of half and bfloat16 words.
MPI_Op sum_op(const torch::Tensor& tensor) {
  const bool half = tensor.scalar_type() == torch::kFloat16 || tensor.scalar_type() == torch::kBFloat16;
  return half ? half_types().sum : MPI_SUM;
}

void check(int code, const char* what) {
  if (code != MPI_SUCCESS) throw std::runtime_error(std::string(what) + " failed with MPI error " + std::to_string(code));
}

void require_contiguous(const torch::Tensor& tensor) {
  if (!tensor.is_contiguous()) throw std::invalid_argument("MPI communicator: tensor must be contiguous");
}

// Runs `body` on a host copy of `tensor` and copies the result back when it lives on a GPU.
template <typename Body>
void on_host(torch::Tensor& tensor, Body body) {
  if (tensor.device().is_cpu()) {
    body(tensor);
    return;
  }
  torch::Tensor host = tensor.to(torch::kCPU).contiguous();
  body(host);
  tensor.copy_(host);
}

// A CPU copy of `tensor` (the tensor itself when it is already on the CPU).
torch::Tensor host_copy(const torch::Tensor& tensor) { return tensor.device().is_cpu() ? tensor : tensor.to(torch::kCPU); }

int64_t bytes_of(const torch::Tensor& tensor) { return tensor.numel() * static_cast<int64_t>(tensor.element_size()); }

int element_count(const torch::Tensor& tensor) { return static_cast<int>(tensor.numel()); }

// The tag of ring-exchange messages (sendrecv).
constexpr int kExchangeTag = 1 << 14;

// A nonblocking MPI transfer. A send keeps its (host) buffer alive; a receive into a GPU tensor
// lands in a host buffer copied to the tensor on completion. `on_done` counts the traffic once.
// Destroyed before completing, a receive is cancelled and a send released without waiting.
class MpiRequest : public Request {
 public:
  MpiRequest(MPI_Request request, torch::Tensor buffer, torch::Tensor target, std::function<void()> on_done)
      : request_(request), buffer_(std::move(buffer)), target_(std::move(target)), on_done_(std::move(on_done)) {}
  ~MpiRequest() override {
    int finalized = 0;
    MPI_Finalized(&finalized);
    if (done_ || finalized) return;
    // An abandoned transfer: its rank gave up waiting and is failing the run.
    if (target_.defined()) {  // a receive is cancelled locally, at once
      MPI_Cancel(&request_);
      MPI_Wait(&request_, MPI_STATUS_IGNORE);
      return;
    }
    // Cancelling a send may wait for the silent peer forever: the request is released instead and
    // its buffer kept for the rest of the process, which MPI may still read.
    MPI_Request_free(&request_);
    new torch::Tensor(buffer_);  // NOLINT: deliberately never freed
  }
  MpiRequest(const MpiRequest&) = delete;
  MpiRequest& operator=(const MpiRequest&) = delete;

  bool test() override {
    if (done_) return true;
    int flag = 0;
    MPI_Status status;
    check(MPI_Test(&request_, &flag, &status), "MPI_Test");
    if (!flag) return false;
    done_ = true;
    if (target_.defined()) {
      int received = 0;
      MPI_Get_count(&status, mpi_type(buffer_), &received);
      if (received != element_count(buffer_))
        throw std::runtime_error("MPI communicator: expected " + std::to_string(buffer_.numel()) +
                                 " elements from rank " + std::to_string(status.MPI_SOURCE) + ", got " +
                                 std::to_string(received));
      if (!target_.is_same(buffer_)) target_.copy_(buffer_);
    }
    on_done_();
    return true;
  }

 private:
  MPI_Request request_;
  torch::Tensor buffer_;  // the memory MPI reads or writes
  torch::Tensor target_;  // a receive's tensor (defined for receives only)
  std::function<void()> on_done_;
  bool done_ = false;
};

// A nonblocking sum over the ranks (MPI_Iallreduce, in place on a host buffer: a GPU tensor's copy, copied
// back on completion). It times the calls that keep its caller waiting (starting it, test(), wait(), the copy
// back) as exposed seconds, and from its start to the first test() or wait() that sees it complete as total seconds;
// `on_done(exposed, total)` counts them once. Destroyed before completing, it waits for the other ranks: a
// collective cannot be cancelled.
class CollectiveRequest : public Request {
 public:
  CollectiveRequest(torch::Tensor buffer, torch::Tensor target, MPI_Comm comm,
                    std::function<void(double, double)> on_done)
      : buffer_(std::move(buffer)), target_(std::move(target)), on_done_(std::move(on_done)) {
    check(MPI_Iallreduce(MPI_IN_PLACE, buffer_.data_ptr(), element_count(buffer_), mpi_type(buffer_),
                         sum_op(buffer_), comm, &request_),
          "MPI_Iallreduce");
    exposed_ = seconds_since(start_);
  }
  ~CollectiveRequest() override {
    int finalized = 0;
    MPI_Finalized(&finalized);
    if (!done_ && !finalized) MPI_Wait(&request_, MPI_STATUS_IGNORE);
  }
  CollectiveRequest(const CollectiveRequest&) = delete;
  CollectiveRequest& operator=(const CollectiveRequest&) = delete;

  bool test() override {
    if (done_) return true;
    const auto called = std::chrono::steady_clock::now();
    int flag = 0;
    check(MPI_Test(&request_, &flag, MPI_STATUS_IGNORE), "MPI_Test");
    exposed_ += seconds_since(called);
    if (flag) complete();
    return done_;
  }
  void wait() override {
    if (done_) return;
    const auto called = std::chrono::steady_clock::now();
    check(MPI_Wait(&request_, MPI_STATUS_IGNORE), "MPI_Wait");
    exposed_ += seconds_since(called);
    complete();
  }

 private:
  void complete() {
    done_ = true;
    const auto copied = std::chrono::steady_clock::now();
    if (!target_.is_same(buffer_)) target_.copy_(buffer_);  // to a GPU: waits for the copy
    exposed_ += seconds_since(copied);
    on_done_(exposed_, seconds_since(start_));
  }

  const std::chrono::steady_clock::time_point start_ = std::chrono::steady_clock::now();
  MPI_Request request_ = MPI_REQUEST_NULL;
  torch::Tensor buffer_;  // the host memory MPI sums in
  torch::Tensor target_;  // the caller's tensor
  std::function<void(double, double)> on_done_;
  double exposed_ = 0.0;
  bool done_ = false;
};

}  // namespace

MpiCommunicator::MpiCommunicator() {
  MPI_Comm_rank(comm_, &rank_);
  MPI_Comm_size(comm_, &size_);
}

MpiCommunicator::MpiCommunicator(MPI_Comm comm) : comm_(comm), owned_(true) {
  MPI_Comm_rank(comm_, &rank_);
  MPI_Comm_size(comm_, &size_);
}

MpiCommunicator::~MpiCommunicator() {
  int finalized = 0;
  MPI_Finalized(&finalized);
  if (owned_ && !finalized) MPI_Comm_free(&comm_);
}

void MpiCommunicator::allreduce_sum(torch::Tensor& tensor, Traffic traffic) {
  require_contiguous(tensor);
  const DeviceTimer timer(tensor.device());
  on_host(tensor, [&](torch::Tensor& host) {
    check(MPI_Allreduce(MPI_IN_PLACE, host.data_ptr(), static_cast<int>(host.numel()), mpi_type(host), sum_op(host),
                        comm_),
          "MPI_Allreduce");
  });
  const int64_t bytes = ring_allreduce_bytes(tensor.numel() * static_cast<int64_t>(tensor.element_size()), size_);
  count({bytes, bytes, timer.seconds()}, traffic);
}

std::unique_ptr<Request> MpiCommunicator::iallreduce_sum(torch::Tensor& tensor, Traffic traffic) {
  require_contiguous(tensor);
  const DeviceTimer staging(tensor.device());  // a GPU tensor's copy to the host keeps the caller waiting
  torch::Tensor host = host_copy(tensor);
  const double staged = staging.seconds();
  const int64_t bytes = ring_allreduce_bytes(bytes_of(tensor), size_);
  return std::make_unique<CollectiveRequest>(std::move(host), tensor, comm_,
                                             [this, bytes, staged, traffic](double exposed, double total) {
                                               count({bytes, bytes, staged + exposed, staged + total}, traffic);
                                             });
}

void MpiCommunicator::broadcast(torch::Tensor& tensor, int root, Traffic traffic) {
  require_contiguous(tensor);
  const DeviceTimer timer(tensor.device());
  on_host(tensor, [&](torch::Tensor& host) {
    check(MPI_Bcast(host.data_ptr(), static_cast<int>(host.numel()), mpi_type(host), root, comm_),
          "MPI_Bcast");
  });
  const int64_t bytes = tensor.numel() * static_cast<int64_t>(tensor.element_size());
  const double seconds = timer.seconds();
  const CommStats call = rank_ == root ? CommStats{bytes * (size_ - 1), 0, seconds} : CommStats{0, bytes, seconds};
  count(call, traffic);
}

std::vector<torch::Tensor> MpiCommunicator::allgather(const torch::Tensor& tensor, Traffic traffic) {
  require_contiguous(tensor);
  if (tensor.dim() != 1) throw std::invalid_argument("MPI communicator: allgather takes a 1-D tensor");
  const DeviceTimer timer(tensor.device());
  const torch::Tensor local = host_copy(tensor);
  std::vector<int> counts(static_cast<size_t>(size_));
  const int own = element_count(local);
  check(MPI_Allgather(&own, 1, MPI_INT, counts.data(), 1, MPI_INT, comm_), "MPI_Allgather");
  std::vector<int> offsets(counts.size(), 0);
  std::partial_sum(counts.begin(), counts.end() - 1, offsets.begin() + 1);
  const int64_t total = std::accumulate(counts.begin(), counts.end(), int64_t{0});
  torch::Tensor gathered = torch::empty({total}, local.options());
  check(MPI_Allgatherv(local.data_ptr(), own, mpi_type(local), gathered.data_ptr(), counts.data(), offsets.data(),
                       mpi_type(local), comm_),
        "MPI_Allgatherv");
  gathered = gathered.to(tensor.device());
  std::vector<torch::Tensor> parts;
  for (size_t r = 0; r < counts.size(); ++r) parts.push_back(gathered.narrow(0, offsets[r], counts[r]));
  const int64_t own_bytes = bytes_of(local);
  count({allgather_sent_bytes(own_bytes, size_), bytes_of(gathered) - own_bytes, timer.seconds()}, traffic);
  return parts;
}

void MpiCommunicator::send(const torch::Tensor& tensor, int dest, int tag, Traffic traffic) {
  require_contiguous(tensor);
  const DeviceTimer timer(tensor.device());
  const torch::Tensor host = host_copy(tensor);
  check(MPI_Send(host.data_ptr(), element_count(host), mpi_type(host), dest, tag, comm_), "MPI_Send");
  count({bytes_of(tensor), 0, timer.seconds()}, traffic);
}

void MpiCommunicator::recv(torch::Tensor& tensor, int source, int tag, Traffic traffic) {
  require_contiguous(tensor);
  const DeviceTimer timer(tensor.device());
  on_host(tensor, [&](torch::Tensor& host) {
    MPI_Status status;
    check(MPI_Recv(host.data_ptr(), element_count(host), mpi_type(host), source, tag, comm_, &status),
          "MPI_Recv");
    int received = 0;
    MPI_Get_count(&status, mpi_type(host), &received);
    if (received != element_count(host))
      throw std::runtime_error("MPI communicator: expected " + std::to_string(host.numel()) + " elements from rank " +
                               std::to_string(source) + ", got " + std::to_string(received));
  });
  count({0, bytes_of(tensor), timer.seconds()}, traffic);
}

void MpiCommunicator::sendrecv(const torch::Tensor& outgoing, int dest, torch::Tensor& incoming, int source,
                               Traffic traffic) {
  require_contiguous(outgoing);
  require_contiguous(incoming);
  const DeviceTimer timer(outgoing.device());
  const torch::Tensor host_out = host_copy(outgoing);
  on_host(incoming, [&](torch::Tensor& host_in) {
    check(MPI_Sendrecv(host_out.data_ptr(), element_count(host_out), mpi_type(host_out), dest, kExchangeTag,
                       host_in.data_ptr(), element_count(host_in), mpi_type(host_in), source, kExchangeTag,
                       comm_, MPI_STATUS_IGNORE),
          "MPI_Sendrecv");
  });
  count({bytes_of(outgoing), bytes_of(incoming), timer.seconds()}, traffic);
}

std::optional<Envelope> MpiCommunicator::probe() {
  int arrived = 0;
  MPI_Status status;
  check(MPI_Iprobe(MPI_ANY_SOURCE, MPI_ANY_TAG, comm_, &arrived, &status), "MPI_Iprobe");
  if (!arrived) return std::nullopt;
  int bytes = 0;
  MPI_Get_count(&status, MPI_BYTE, &bytes);
  return Envelope{status.MPI_SOURCE, status.MPI_TAG, bytes};
}

std::unique_ptr<Request> MpiCommunicator::isend(const torch::Tensor& tensor, int dest, int tag, Traffic traffic) {
  require_contiguous(tensor);
  const DeviceTimer timer(tensor.device());
  torch::Tensor host = host_copy(tensor);
  MPI_Request request;
  check(MPI_Isend(host.data_ptr(), element_count(host), mpi_type(host), dest, tag, comm_, &request), "MPI_Isend");
  const int64_t bytes = bytes_of(tensor);
  return std::make_unique<MpiRequest>(request, std::move(host), torch::Tensor(),
                                      [this, bytes, timer, traffic] { count({bytes, 0, timer.seconds()}, traffic); });
}

std::unique_ptr<Request> MpiCommunicator::irecv(torch::Tensor& tensor, int source, int tag, Traffic traffic) {
  require_contiguous(tensor);
  const DeviceTimer timer(tensor.device());
  torch::Tensor host = tensor.device().is_cpu() ? tensor : torch::empty(tensor.sizes(), tensor.options().device(torch::kCPU));
  MPI_Request request;
  check(MPI_Irecv(host.data_ptr(), element_count(host), mpi_type(host), source, tag, comm_, &request), "MPI_Irecv");
  const int64_t bytes = bytes_of(tensor);
  return std::make_unique<MpiRequest>(request, host, tensor,
                                      [this, bytes, timer, traffic] { count({0, bytes, timer.seconds()}, traffic); });
}

void MpiCommunicator::barrier() { check(MPI_Barrier(comm_), "MPI_Barrier"); }

namespace {

// Whether IDDL_SHARED_SUM=0 turns shared-memory sums off.
bool shared_sums_off() {
  const char* setting = std::getenv("IDDL_SHARED_SUM");
  return setting && std::string(setting) == "0";
}

// Whether every rank of `comm` agrees on `yes`.
bool all_say(bool yes, MPI_Comm comm) {
  int all = yes ? 1 : 0;
  check(MPI_Allreduce(MPI_IN_PLACE, &all, 1, MPI_INT, MPI_MIN, comm), "MPI_Allreduce");
  return all == 1;
}

}  // namespace

std::unique_ptr<SharedSum> MpiCommunicator::shared_sum(int64_t elements, torch::ScalarType dtype) {
  if (size_ < 2 || elements <= 0 || !SharedSum::supports(dtype)) return nullptr;  // alike on every rank
  MPI_Comm machine = MPI_COMM_NULL;
  check(MPI_Comm_split_type(comm_, MPI_COMM_TYPE_SHARED, rank_, MPI_INFO_NULL, &machine), "MPI_Comm_split_type");
  int on_machine = 0;
  MPI_Comm_size(machine, &on_machine);
  MPI_Comm_free(&machine);
  if (!all_say(on_machine == size_ && !shared_sums_off(), comm_)) return nullptr;

  static std::atomic<int64_t> made{0};
  std::array<char, 64> name{};
  if (rank_ == 0)
    std::snprintf(name.data(), name.size(), "/iddl-sum-%ld-%lld", static_cast<long>(getpid()),
                  static_cast<long long>(made++));
  check(MPI_Bcast(name.data(), static_cast<int>(name.size()), MPI_CHAR, 0, comm_), "MPI_Bcast");
  const int64_t bytes = elements * static_cast<int64_t>(c10::elementSize(dtype));
  const int64_t segment_bytes = (bytes + 4095) / 4096 * 4096;  // segments start on pages of their own
  std::shared_ptr<SharedSegments> segments;
  if (rank_ == 0) segments = SharedSegments::map(name.data(), segment_bytes, size_, true);
  if (all_say(rank_ != 0 || segments, comm_) && rank_ != 0)  // the others open what rank 0 made
    segments = SharedSegments::map(name.data(), segment_bytes, size_, false);
  const bool mapped = all_say(segments != nullptr, comm_);
  if (rank_ == 0 && segments) shm_unlink(name.data());  // every rank has opened it: it goes with the last mapping
  if (!mapped) return nullptr;
  return std::make_unique<SharedSum>(std::move(segments), elements, dtype, rank_, size_, *this,
                                     [this](const CommStats& call, Traffic traffic) { count(call, traffic); });
}

std::unique_ptr<MpiCommunicator> MpiCommunicator::split_mpi(int color, int key) {
  MPI_Comm part;
  check(MPI_Comm_split(comm_, color, key, &part), "MPI_Comm_split");
  return std::make_unique<MpiCommunicator>(part);
}

std::unique_ptr<Communicator> MpiCommunicator::split(int color, int key) { return split_mpi(color, key); }

}  // namespace iddl::comm
