#include "core/comm/make_communicator.hpp"

#ifdef IDDL_HAVE_NCCL
#include "core/comm/nccl_communicator.hpp"
#else
#include "core/comm/mpi_communicator.hpp"
#endif

namespace iddl::comm {

std::unique_ptr<Communicator> make_communicator() {
#ifdef IDDL_HAVE_NCCL
  return std::make_unique<NcclCommunicator>();
#else
  return std::make_unique<MpiCommunicator>();
#endif
}

void abort_communicator([[maybe_unused]] Communicator& comm) {
#ifdef IDDL_HAVE_NCCL
  if (auto* nccl = dynamic_cast<NcclCommunicator*>(&comm)) nccl->abort();
#endif
}

}  // namespace iddl::comm
