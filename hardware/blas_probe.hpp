// What the BLAS library of this process is and how it performs; run in a child process so that
// OPENBLAS_CORETYPE can be set before the library loads.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

namespace iddl::hardware {

// The BLAS library that libblas.so.3 resolves to, its OpenBLAS kernel, and a check of its sgemm.
struct BlasProbe {
  std::string library;  // resolved path of the loaded libblas.so.3
  bool is_openblas = false;
  std::string kernel;        // openblas_get_corename(), "" when not OpenBLAS
  std::string config;        // openblas_get_config(), "" when not OpenBLAS
  double sgemm_gflops = 0;   // best of several 512x512 sgemm calls
  double max_rel_error = 0;  // 256x256 sgemm against a double-precision reference
  bool correct = false;      // max_rel_error below kMaxRelError
};

// The largest error of an sgemm element, relative to sum_k |a_ik * b_kj|, that counts as correct.
inline constexpr double kMaxRelError = 1e-4;

// Loads libblas.so.3 with dlopen and probes it; throws std::runtime_error when it cannot load it
// or find sgemm_.
BlasProbe probe_blas();

// The probe as a JSON object with the field names of BlasProbe, and back.
void to_json(nlohmann::json& json, const BlasProbe& probe);
void from_json(const nlohmann::json& json, BlasProbe& probe);

}  // namespace iddl::hardware
