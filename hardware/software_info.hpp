#pragma once
#include <string>

namespace iddl::hardware {

// The git commit IDDL was configured from ("abc123def456", with "-dirty" for uncommitted
// changes; "unknown" outside a git checkout).
std::string iddl_commit();

// The compiler IDDL was built with, e.g. "GNU 12.2.0".
std::string compiler_version();

// The LibTorch version IDDL was built against, e.g. "2.1.0" ("unknown" when CMake did not say).
std::string torch_version();

// The NCCL version of the nccl.h IDDL was compiled with, e.g. "2.28.9"; "none" when built without NCCL.
std::string nccl_version();

// The CUDA toolkit version IDDL was compiled with, e.g. "13.0.48"; "none" when built without CUDA.
std::string cuda_toolkit_version();

// Whether the LibTorch IDDL is built against has CUDA (Debian's has not: it trains on the CPU only).
bool torch_has_cuda();

}  // namespace iddl::hardware
