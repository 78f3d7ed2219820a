#pragma once
#include <string>

namespace iddl::hardware {

// The BLAS library loaded in this process and, for OpenBLAS, the kernel it runs.
struct BlasIdentity {
  std::string library;  // path of the shared object providing sgemm_, "" when none is loaded
  std::string kernel;   // OpenBLAS core name, "" for other libraries
};

// Identifies the BLAS already loaded in this process (e.g. by LibTorch), without loading one.
BlasIdentity loaded_blas_identity();

}  // namespace iddl::hardware
