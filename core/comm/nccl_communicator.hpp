#pragma once
#include <deque>
#include <memory>

#include "core/comm/device_timer.hpp"
#include "core/comm/mpi_communicator.hpp"

namespace iddl::comm {

struct NcclState;

// Communicator for GPU runs: allreduce, broadcast and allgather of CUDA tensors go through NCCL, queued on
// LibTorch's current stream of the tensor's device and not waited for (the stream orders them after the kernels
// that produced the tensor and before those queued after the call); CPU tensors, point-to-point calls and
// probes go through MPI (GPU tensors staged through the host), so probe and recv always agree.
// NCCL is set up at the first collective on a CUDA tensor, rank 0's unique id broadcast over MPI, on the
// current CUDA device (run_device sets it), which must be the tensor's.
// Point-to-point stays on MPI because its tags, nonblocking matching and timeouts (pipeline
// boundaries, docs/pipeline.md) have no NCCL counterpart.
// Compiled only where CMake finds CUDA and NCCL (IDDL_HAVE_NCCL).
class NcclCommunicator : public Communicator {
 public:
  NcclCommunicator();
  // Over the ranks of `mpi` (a split of the world).
  explicit NcclCommunicator(std::unique_ptr<MpiCommunicator> mpi);
  ~NcclCommunicator() override;

  int rank() const override { return mpi_->rank(); }
  int size() const override { return mpi_->size(); }
  std::string backend() const override { return "mpi+nccl"; }
  void allreduce_sum(torch::Tensor& tensor, Traffic traffic) override;
  // On a GPU, the request completes when the stream has done the sum.
  std::unique_ptr<Request> iallreduce_sum(torch::Tensor& tensor, Traffic traffic) override;
  void broadcast(torch::Tensor& tensor, int root, Traffic traffic) override;
  std::vector<torch::Tensor> allgather(const torch::Tensor& tensor, Traffic traffic) override;
  void send(const torch::Tensor& tensor, int dest, int tag, Traffic traffic) override;
  void recv(torch::Tensor& tensor, int source, int tag, Traffic traffic) override;
  void sendrecv(const torch::Tensor& outgoing, int dest, torch::Tensor& incoming, int source,
                Traffic traffic) override;
  std::unique_ptr<Request> isend(const torch::Tensor& tensor, int dest, int tag, Traffic traffic) override;
  std::unique_ptr<Request> irecv(torch::Tensor& tensor, int source, int tag, Traffic traffic) override;
  std::optional<Envelope> probe() override { return mpi_->probe(); }
  // Also waits until the collectives queued on this rank's stream are done.
  void barrier() override;
  // MPI's, for CPU buffers; its sums are counted here at the next take_stats().
  std::unique_ptr<SharedSum> shared_sum(int64_t elements, torch::ScalarType dtype) override;
  std::unique_ptr<Communicator> split(int color, int key) override;
  // Ends NCCL's pending collectives (ncclCommAbort); the NCCL communicator is gone afterwards.
  void abort();

 private:
  // The NCCL communicator, created on the device of `tensor` at the first call.
  NcclState& nccl(const torch::Tensor& tensor);
  // Moves the training traffic the MPI communicator counted into this communicator's figures.
  void take_mpi_stats();
  // An MPI request whose traffic is moved into this communicator's figures when it completes.
  std::unique_ptr<Request> counted(std::unique_ptr<Request> request);
  // Queues the sum of a CUDA tensor; the span ends after it on the stream.
  DeviceSpan queue_allreduce(torch::Tensor& tensor, Traffic traffic);
  // Ends `timer` after a collective just queued: its figures `call` are counted once the stream has done it.
  DeviceSpan queued(const DeviceTimer& timer, CommStats call, Traffic traffic);
  // Counts the queued collectives the stream has done (never waits).
  void count_done();
  // Counts every queued collective, waiting for the stream.
  void count_pending() override;
  // Counts the oldest queued collective with its device seconds.
  void count_front();

  // A collective queued on the stream and not counted yet.
  struct Pending {
    CommStats stats;  // bytes; its seconds are the span's
    DeviceSpan span;
  };

  std::unique_ptr<MpiCommunicator> mpi_;
  std::unique_ptr<NcclState> nccl_;
  std::deque<Pending> pending_;
};

}  // namespace iddl::comm
