// iddl-blas-probe: prints, as one JSON line, the BLAS library this process loads, its OpenBLAS
// kernel (set OPENBLAS_CORETYPE to force one), whether its sgemm is correct and how fast it is.
#include <exception>
#include <iostream>

#include "hardware/blas_probe.hpp"

int main() {
  try {
    std::cout << nlohmann::json(iddl::hardware::probe_blas()).dump() << std::endl;
    return 0;
  } catch (const std::exception& e) {
    std::cerr << "iddl-blas-probe: " << e.what() << std::endl;
    return 1;
  }
}
