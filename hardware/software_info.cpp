#include "hardware/software_info.hpp"

#include "iddl_build_info.hpp"

namespace iddl::hardware {

std::string iddl_commit() { return IDDL_GIT_COMMIT; }

std::string compiler_version() { return IDDL_COMPILER; }

std::string torch_version() { return IDDL_TORCH_VERSION; }

std::string nccl_version() { return IDDL_NCCL_VERSION; }

std::string cuda_toolkit_version() { return IDDL_CUDA_TOOLKIT_VERSION; }

bool torch_has_cuda() { return IDDL_TORCH_HAS_CUDA == 1; }

}  // namespace iddl::hardware
