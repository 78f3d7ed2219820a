#pragma once
#include <memory>

#include "core/comm/communicator.hpp"

namespace iddl::comm {

// The run's communicator: NCCL for collectives on CUDA tensors where IDDL was built with CUDA and
// NCCL (MPI for everything else), MPI alone otherwise. Needs MPI initialized (MpiSession).
std::unique_ptr<Communicator> make_communicator();

}  // namespace iddl::comm
