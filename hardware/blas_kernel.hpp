// The choice of the OpenBLAS kernel that runs should use (OPENBLAS_CORETYPE).
#pragma once

#include <functional>
#include <set>
#include <string>

#include "hardware/blas_probe.hpp"

namespace iddl::hardware {

// The best OpenBLAS kernel the CPU flags allow: "SkylakeX" with avx512f, avx512bw, avx512dq
// and avx512vl; "Haswell" with avx2 and fma; else "".
std::string kernel_for_flags(const std::set<std::string>& flags);

// Whether an OpenBLAS kernel name (case-insensitive) is a generic one below AVX2, such as the
// Prescott fallback OpenBLAS uses for CPU models it does not know.
bool is_generic_kernel(const std::string& corename);

// The BLAS of this machine and the kernel runs should use, with how it was decided.
struct BlasChoice {
  std::string library;         // resolved path of libblas.so.3
  std::string default_kernel;  // what OpenBLAS picks by itself ("" when not OpenBLAS)
  std::string kernel;          // what runs should use
  std::string coretype_env;    // value for OPENBLAS_CORETYPE, "" = leave unset
  std::string reason;
  double default_gflops = 0;
  double chosen_gflops = 0;
};

// Probes the BLAS with OPENBLAS_CORETYPE set to coretype ("" = unset).
using ProbeRunner = std::function<BlasProbe(const std::string& coretype)>;

// The decision of choose_blas, from any probe runner, the CPU flags and the OPENBLAS_CORETYPE
// already in the environment (""): a user override wins, then the environment; otherwise
// OpenBLAS's own kernel, unless it is generic and the flags allow a better kernel that computes
// correctly. Throws std::runtime_error when the chosen BLAS computes wrongly, an override names
// an unknown kernel or one needing instruction sets the flags lack (before probing it), or an
// override is given without OpenBLAS.
BlasChoice decide_blas(const ProbeRunner& probe, const std::set<std::string>& flags,
                       const std::string& env_coretype, const std::string& user_override);

// Runs probe_exe (iddl-blas-probe) with OPENBLAS_CORETYPE set to coretype ("" = removed from
// the environment) and parses its JSON line; throws naming the executable when it fails.
BlasProbe run_probe_process(const std::string& probe_exe, const std::string& coretype);

// decide_blas with iddl-blas-probe processes, this CPU's flags and this process's environment.
BlasChoice choose_blas(const std::string& probe_exe, const std::string& user_override);

}  // namespace iddl::hardware
