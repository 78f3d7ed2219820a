#include "core/comm/nccl_communicator.hpp"

#include <cuda_runtime.h>
#include <mpi.h>
#include <nccl.h>

#include <algorithm>
#include <functional>
#include <numeric>
#include <stdexcept>
#include <string>

#include "core/comm/cuda_measures.hpp"
#include "core/comm/shared_sum.hpp"

namespace iddl::comm {
namespace {

void check_nccl(ncclResult_t result, const char* what) {
  if (result != ncclSuccess) throw std::runtime_error(std::string(what) + " failed: " + ncclGetErrorString(result));
}

void check_cuda(cudaError_t error, const char* what) {
  if (error != cudaSuccess) throw std::runtime_error(std::string(what) + " failed: " + cudaGetErrorString(error));
}

ncclDataType_t nccl_type(const torch::Tensor& tensor) {
  switch (tensor.scalar_type()) {
    case torch::kFloat32: return ncclFloat32;
    case torch::kFloat64: return ncclFloat64;
    case torch::kInt64: return ncclInt64;
    case torch::kInt32: return ncclInt32;
    case torch::kFloat16: return ncclFloat16;
    case torch::kBFloat16: return ncclBfloat16;
    default:
      throw std::invalid_argument(std::string("NCCL communicator: unsupported tensor type ") +
                                  std::string(c10::toString(tensor.scalar_type())));
  }
}

int64_t bytes_of(const torch::Tensor& tensor) { return tensor.numel() * static_cast<int64_t>(tensor.element_size()); }

// LibTorch's current stream on `device`.
cudaStream_t current_stream([[maybe_unused]] int device) {
#ifdef IDDL_HAVE_CUDA_MEASURES
  return cuda::current_stream(device);
#else
  throw std::logic_error("NCCL communicator: a CUDA tensor in an IDDL built against a LibTorch without CUDA");
#endif
}

// The stream a collective of `tensor` is queued on: LibTorch's current stream on its device, so that it runs after
// the kernels that produced the tensor and before those queued after it.
cudaStream_t stream_of(const torch::Tensor& tensor) { return current_stream(tensor.device().index()); }

void require_contiguous(const torch::Tensor& tensor) {
  if (!tensor.is_contiguous()) throw std::invalid_argument("NCCL communicator: tensor must be contiguous");
}

}  // namespace

// The NCCL communicator of the run's GPU.
struct NcclState {
  ncclComm_t comm = nullptr;
  int device = 0;
};

// A collective queued on a stream, complete once the stream has done it.
class StreamRequest : public Request {
 public:
  explicit StreamRequest(DeviceSpan span) : span_(std::move(span)) {}
  bool test() override { return span_.done(); }
  void wait() override { span_.wait(); }

 private:
  DeviceSpan span_;
};

// An MPI request that runs `on_done` once it completes.
class CountedRequest : public Request {
 public:
  CountedRequest(std::unique_ptr<Request> inner, std::function<void()> on_done)
      : inner_(std::move(inner)), on_done_(std::move(on_done)) {}
  bool test() override {
    if (done_) return true;
    if (!inner_->test()) return false;
    done_ = true;
    on_done_();
    return true;
  }

 private:
  std::unique_ptr<Request> inner_;
  std::function<void()> on_done_;
  bool done_ = false;
};

NcclCommunicator::NcclCommunicator() : mpi_(std::make_unique<MpiCommunicator>()) {}

NcclCommunicator::NcclCommunicator(std::unique_ptr<MpiCommunicator> mpi) : mpi_(std::move(mpi)) {}

NcclCommunicator::~NcclCommunicator() {
  if (nccl_) ncclCommDestroy(nccl_->comm);
}

NcclState& NcclCommunicator::nccl(const torch::Tensor& tensor) {
  if (nccl_) return *nccl_;
  int current = -1;
  check_cuda(cudaGetDevice(&current), "cudaGetDevice");
  if (current != tensor.device().index())
    throw std::logic_error("NCCL communicator: the tensor is on cuda:" + std::to_string(tensor.device().index()) +
                           " but the current CUDA device is " + std::to_string(current) +
                           " (run_device sets it before the communicator)");
  ncclUniqueId id;
  if (rank() == 0) check_nccl(ncclGetUniqueId(&id), "ncclGetUniqueId");
  if (MPI_Bcast(&id, sizeof(id), MPI_BYTE, 0, mpi_->handle()) != MPI_SUCCESS)
    throw std::runtime_error("MPI_Bcast of the NCCL unique id failed");
  auto state = std::make_unique<NcclState>();
  state->device = current;
  check_nccl(ncclCommInitRank(&state->comm, size(), id, rank()), "ncclCommInitRank");
  nccl_ = std::move(state);
  return *nccl_;
}

void NcclCommunicator::abort() {
  if (nccl_) ncclCommAbort(nccl_->comm);
  nccl_.reset();
  pending_.clear();
}

DeviceSpan NcclCommunicator::queued(const DeviceTimer& timer, CommStats call, Traffic traffic) {
  count_done();
  DeviceSpan span = timer.stop();
  if (traffic == Traffic::Training) pending_.push_back({call, span});
  return span;
}

void NcclCommunicator::count_done() {
  while (!pending_.empty() && pending_.front().span.done()) count_front();
}

void NcclCommunicator::count_pending() {
  while (!pending_.empty()) count_front();
  take_mpi_stats();  // what MPI counted on its own (shared sums)
}

void NcclCommunicator::count_front() {
  Pending& call = pending_.front();
  call.stats.seconds = call.span.seconds();
  count(call.stats, Traffic::Training);
  pending_.pop_front();
}

void NcclCommunicator::barrier() {
  if (nccl_) {
    // The collectives queued on this rank's stream are done before the ranks meet.
    check_cuda(cudaStreamSynchronize(current_stream(nccl_->device)), "cudaStreamSynchronize");
  }
  mpi_->barrier();
}

std::unique_ptr<SharedSum> NcclCommunicator::shared_sum(int64_t elements, torch::ScalarType dtype) {
  return mpi_->shared_sum(elements, dtype);
}

void NcclCommunicator::take_mpi_stats() { count(mpi_->take_stats(), Traffic::Training); }

void NcclCommunicator::allreduce_sum(torch::Tensor& tensor, Traffic traffic) {
  if (!tensor.is_cuda()) {
    mpi_->allreduce_sum(tensor, traffic);
    return take_mpi_stats();
  }
  queue_allreduce(tensor, traffic);
}

DeviceSpan NcclCommunicator::queue_allreduce(torch::Tensor& tensor, Traffic traffic) {
  require_contiguous(tensor);
  NcclState& state = nccl(tensor);  // set up before the clock starts
  const DeviceTimer timer(tensor.device());
  check_nccl(ncclAllReduce(tensor.data_ptr(), tensor.data_ptr(), static_cast<size_t>(tensor.numel()),
                           nccl_type(tensor), ncclSum, state.comm, stream_of(tensor)),
             "ncclAllReduce");
  const int64_t bytes = ring_allreduce_bytes(bytes_of(tensor), size());
  return queued(timer, {bytes, bytes}, traffic);
}

std::unique_ptr<Request> NcclCommunicator::iallreduce_sum(torch::Tensor& tensor, Traffic traffic) {
  if (!tensor.is_cuda())
    return std::make_unique<CountedRequest>(mpi_->iallreduce_sum(tensor, traffic), [this] { take_mpi_stats(); });
  return std::make_unique<StreamRequest>(queue_allreduce(tensor, traffic));
}

void NcclCommunicator::broadcast(torch::Tensor& tensor, int root, Traffic traffic) {
  if (!tensor.is_cuda()) {
    mpi_->broadcast(tensor, root, traffic);
    return take_mpi_stats();
  }
  require_contiguous(tensor);
  NcclState& state = nccl(tensor);  // set up before the clock starts
  const DeviceTimer timer(tensor.device());
  check_nccl(ncclBroadcast(tensor.data_ptr(), tensor.data_ptr(), static_cast<size_t>(tensor.numel()),
                           nccl_type(tensor), root, state.comm, stream_of(tensor)),
             "ncclBroadcast");
  const int64_t bytes = bytes_of(tensor);
  queued(timer, rank() == root ? CommStats{bytes * (size() - 1), 0} : CommStats{0, bytes}, traffic);
}

std::vector<torch::Tensor> NcclCommunicator::allgather(const torch::Tensor& tensor, Traffic traffic) {
  if (!tensor.is_cuda()) {
    auto parts = mpi_->allgather(tensor, traffic);
    take_mpi_stats();
    return parts;
  }
  if (!tensor.is_contiguous() || tensor.dim() != 1)
    throw std::invalid_argument("NCCL communicator: allgather takes a contiguous 1-D tensor");
  NcclState& state = nccl(tensor);  // set up before the clock starts
  const DeviceTimer timer(tensor.device());
  // The sizes are host numbers (no wait for the device); the payloads stay on it.
  std::vector<int64_t> counts(static_cast<size_t>(size()));
  const int64_t own = tensor.numel();
  if (MPI_Allgather(&own, 1, MPI_INT64_T, counts.data(), 1, MPI_INT64_T, mpi_->handle()) != MPI_SUCCESS)
    throw std::runtime_error("MPI_Allgather of the allgather sizes failed");
  std::vector<int64_t> offsets(counts.size(), 0);
  std::partial_sum(counts.begin(), counts.end() - 1, offsets.begin() + 1);
  torch::Tensor gathered = torch::empty({offsets.back() + counts.back()}, tensor.options());
  const cudaStream_t stream = stream_of(tensor);
  if (std::all_of(counts.begin(), counts.end(), [own](int64_t n) { return n == own; })) {
    if (own > 0)
      check_nccl(ncclAllGather(tensor.data_ptr(), gathered.data_ptr(), static_cast<size_t>(own), nccl_type(tensor),
                               state.comm, stream),
                 "ncclAllGather");
  } else {  // NCCL's allgather takes equal sizes: one broadcast per rank of its payload, in one group
    check_nccl(ncclGroupStart(), "ncclGroupStart");
    for (int r = 0; r < size(); ++r) {
      if (counts[r] == 0) continue;
      torch::Tensor slot = gathered.narrow(0, offsets[r], counts[r]);
      check_nccl(ncclBroadcast(r == rank() ? tensor.data_ptr() : slot.data_ptr(), slot.data_ptr(),
                               static_cast<size_t>(counts[r]), nccl_type(tensor), r, state.comm, stream),
                 "ncclBroadcast");
    }
    check_nccl(ncclGroupEnd(), "ncclGroupEnd");
  }
  std::vector<torch::Tensor> parts;
  for (size_t r = 0; r < counts.size(); ++r) parts.push_back(gathered.narrow(0, offsets[r], counts[r]));
  const int64_t own_bytes = bytes_of(tensor);
  queued(timer, {allgather_sent_bytes(own_bytes, size()), bytes_of(gathered) - own_bytes}, traffic);
  return parts;
}

void NcclCommunicator::send(const torch::Tensor& tensor, int dest, int tag, Traffic traffic) {
  mpi_->send(tensor, dest, tag, traffic);
  take_mpi_stats();
}

void NcclCommunicator::recv(torch::Tensor& tensor, int source, int tag, Traffic traffic) {
  mpi_->recv(tensor, source, tag, traffic);
  take_mpi_stats();
}

void NcclCommunicator::sendrecv(const torch::Tensor& outgoing, int dest, torch::Tensor& incoming, int source,
                                Traffic traffic) {
  mpi_->sendrecv(outgoing, dest, incoming, source, traffic);
  take_mpi_stats();
}

std::unique_ptr<Request> NcclCommunicator::counted(std::unique_ptr<Request> request) {
  return std::make_unique<CountedRequest>(std::move(request), [this] { take_mpi_stats(); });
}

std::unique_ptr<Request> NcclCommunicator::isend(const torch::Tensor& tensor, int dest, int tag, Traffic traffic) {
  return counted(mpi_->isend(tensor, dest, tag, traffic));
}

std::unique_ptr<Request> NcclCommunicator::irecv(torch::Tensor& tensor, int source, int tag, Traffic traffic) {
  return counted(mpi_->irecv(tensor, source, tag, traffic));
}

std::unique_ptr<Communicator> NcclCommunicator::split(int color, int key) {
  return std::make_unique<NcclCommunicator>(mpi_->split_mpi(color, key));
}

}  // namespace iddl::comm
