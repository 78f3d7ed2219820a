#pragma once
#include <memory>

#include "core/comm/communicator.hpp"

namespace iddl::comm {

// The run's communicator: NCCL for collectives on CUDA tensors where IDDL was built with CUDA and
// NCCL (MPI for everything else), MPI alone otherwise. Needs MPI initialized (MpiSession).
std::unique_ptr<Communicator> make_communicator();

// Ends the device collectives still pending on `comm`, one of make_communicator(), so that an error path can
// MPI_Abort instead of waiting for peers (ncclCommAbort); nothing to end for MPI alone. `comm` is unusable after.
void abort_communicator(Communicator& comm);

}  // namespace iddl::comm
