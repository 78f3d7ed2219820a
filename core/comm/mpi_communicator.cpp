#include "core/comm/mpi_communicator.hpp"

#include <mpi.h>

#include <chrono>
#include <functional>
#include <numeric>
#include <stdexcept>
#include <string>

#include "core/comm/stopwatch.hpp"

namespace iddl::comm {
namespace {

MPI_Datatype mpi_type(const torch::Tensor& tensor) {
  switch (tensor.scalar_type()) {
    case torch::kFloat32: return MPI_FLOAT;
    case torch::kFloat64: return MPI_DOUBLE;
    case torch::kInt64: return MPI_INT64_T;
    case torch::kInt32: return MPI_INT32_T;
    default:
      throw std::invalid_argument(std::string("MPI communicator: unsupported tensor type ") +
                                  std::string(c10::toString(tensor.scalar_type())));
  }
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
// back on completion). It times the calls that keep its caller waiting (starting it, test(), wait()) as
// exposed seconds, and from its start to the first test() or wait() that sees it complete as total seconds;
// `on_done(exposed, total)` counts them once. Destroyed before completing, it waits for the other ranks: a
// collective cannot be cancelled.
class CollectiveRequest : public Request {
 public:
  CollectiveRequest(torch::Tensor buffer, torch::Tensor target, MPI_Comm comm,
                    std::function<void(double, double)> on_done)
      : buffer_(std::move(buffer)), target_(std::move(target)), on_done_(std::move(on_done)) {
    check(MPI_Iallreduce(MPI_IN_PLACE, buffer_.data_ptr(), element_count(buffer_), mpi_type(buffer_), MPI_SUM, comm,
                         &request_),
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
    if (!target_.is_same(buffer_)) target_.copy_(buffer_);
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
  const auto start = std::chrono::steady_clock::now();
  on_host(tensor, [&](torch::Tensor& host) {
    check(MPI_Allreduce(MPI_IN_PLACE, host.data_ptr(), static_cast<int>(host.numel()), mpi_type(host), MPI_SUM,
                        comm_),
          "MPI_Allreduce");
  });
  const int64_t bytes = ring_allreduce_bytes(tensor.numel() * static_cast<int64_t>(tensor.element_size()), size_);
  count({bytes, bytes, seconds_since(start)}, traffic);
}

std::unique_ptr<Request> MpiCommunicator::iallreduce_sum(torch::Tensor& tensor, Traffic traffic) {
  require_contiguous(tensor);
  torch::Tensor host = host_copy(tensor);
  const int64_t bytes = ring_allreduce_bytes(bytes_of(tensor), size_);
  return std::make_unique<CollectiveRequest>(std::move(host), tensor, comm_,
                                             [this, bytes, traffic](double exposed, double total) {
                                               count({bytes, bytes, exposed, total}, traffic);
                                             });
}

void MpiCommunicator::broadcast(torch::Tensor& tensor, int root, Traffic traffic) {
  require_contiguous(tensor);
  const auto start = std::chrono::steady_clock::now();
  on_host(tensor, [&](torch::Tensor& host) {
    check(MPI_Bcast(host.data_ptr(), static_cast<int>(host.numel()), mpi_type(host), root, comm_),
          "MPI_Bcast");
  });
  const int64_t bytes = tensor.numel() * static_cast<int64_t>(tensor.element_size());
  const CommStats call = rank_ == root ? CommStats{bytes * (size_ - 1), 0, seconds_since(start)}
                                       : CommStats{0, bytes, seconds_since(start)};
  count(call, traffic);
}

std::vector<torch::Tensor> MpiCommunicator::allgather(const torch::Tensor& tensor, Traffic traffic) {
  require_contiguous(tensor);
  if (tensor.dim() != 1) throw std::invalid_argument("MPI communicator: allgather takes a 1-D tensor");
  const auto start = std::chrono::steady_clock::now();
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
  count({allgather_sent_bytes(own_bytes, size_), bytes_of(gathered) - own_bytes, seconds_since(start)}, traffic);
  return parts;
}

void MpiCommunicator::send(const torch::Tensor& tensor, int dest, int tag, Traffic traffic) {
  require_contiguous(tensor);
  const auto start = std::chrono::steady_clock::now();
  const torch::Tensor host = host_copy(tensor);
  check(MPI_Send(host.data_ptr(), element_count(host), mpi_type(host), dest, tag, comm_), "MPI_Send");
  count({bytes_of(tensor), 0, seconds_since(start)}, traffic);
}

void MpiCommunicator::recv(torch::Tensor& tensor, int source, int tag, Traffic traffic) {
  require_contiguous(tensor);
  const auto start = std::chrono::steady_clock::now();
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
  count({0, bytes_of(tensor), seconds_since(start)}, traffic);
}

void MpiCommunicator::sendrecv(const torch::Tensor& outgoing, int dest, torch::Tensor& incoming, int source,
                               Traffic traffic) {
  require_contiguous(outgoing);
  require_contiguous(incoming);
  const auto start = std::chrono::steady_clock::now();
  const torch::Tensor host_out = host_copy(outgoing);
  on_host(incoming, [&](torch::Tensor& host_in) {
    check(MPI_Sendrecv(host_out.data_ptr(), element_count(host_out), mpi_type(host_out), dest, kExchangeTag,
                       host_in.data_ptr(), element_count(host_in), mpi_type(host_in), source, kExchangeTag,
                       comm_, MPI_STATUS_IGNORE),
          "MPI_Sendrecv");
  });
  count({bytes_of(outgoing), bytes_of(incoming), seconds_since(start)}, traffic);
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
  const auto start = std::chrono::steady_clock::now();
  torch::Tensor host = host_copy(tensor);
  MPI_Request request;
  check(MPI_Isend(host.data_ptr(), element_count(host), mpi_type(host), dest, tag, comm_, &request), "MPI_Isend");
  const int64_t bytes = bytes_of(tensor);
  return std::make_unique<MpiRequest>(request, std::move(host), torch::Tensor(),
                                      [this, bytes, start, traffic] { count({bytes, 0, seconds_since(start)}, traffic); });
}

std::unique_ptr<Request> MpiCommunicator::irecv(torch::Tensor& tensor, int source, int tag, Traffic traffic) {
  require_contiguous(tensor);
  const auto start = std::chrono::steady_clock::now();
  torch::Tensor host = tensor.device().is_cpu() ? tensor : torch::empty(tensor.sizes(), tensor.options().device(torch::kCPU));
  MPI_Request request;
  check(MPI_Irecv(host.data_ptr(), element_count(host), mpi_type(host), source, tag, comm_, &request), "MPI_Irecv");
  const int64_t bytes = bytes_of(tensor);
  return std::make_unique<MpiRequest>(request, host, tensor,
                                      [this, bytes, start, traffic] { count({0, bytes, seconds_since(start)}, traffic); });
}

void MpiCommunicator::barrier() { check(MPI_Barrier(comm_), "MPI_Barrier"); }

std::unique_ptr<MpiCommunicator> MpiCommunicator::split_mpi(int color, int key) {
  MPI_Comm part;
  check(MPI_Comm_split(comm_, color, key, &part), "MPI_Comm_split");
  return std::make_unique<MpiCommunicator>(part);
}

std::unique_ptr<Communicator> MpiCommunicator::split(int color, int key) { return split_mpi(color, key); }

}  // namespace iddl::comm
