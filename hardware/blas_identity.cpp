#include "hardware/blas_identity.hpp"

#include <dlfcn.h>

#include <climits>
#include <cstdlib>

namespace iddl::hardware {

BlasIdentity loaded_blas_identity() {
  BlasIdentity identity;
  void* sgemm = dlsym(RTLD_DEFAULT, "sgemm_");
  Dl_info info{};
  if (sgemm && dladdr(sgemm, &info) && info.dli_fname) {
    char resolved[PATH_MAX];
    identity.library = realpath(info.dli_fname, resolved) ? resolved : info.dli_fname;
  }
  using CoreName = char* (*)();
  if (auto corename = reinterpret_cast<CoreName>(dlsym(RTLD_DEFAULT, "openblas_get_corename")))
    identity.kernel = corename();
  return identity;
}

}  // namespace iddl::hardware
