#include "hardware/blas_kernel.hpp"

#include <fmt/format.h>
#include <strings.h>

#include <algorithm>
#include <array>
#include <cstdlib>
#include <stdexcept>

#include "hardware/blas_kernel_flags.hpp"
#include "hardware/cpu_info.hpp"
#include "hardware/program_output.hpp"

namespace iddl::hardware {
namespace {

constexpr const char* kCoretypeVar = "OPENBLAS_CORETYPE";
// How long one iddl-blas-probe process may take (it times a few sgemm calls).
constexpr auto kProbeTimeout = std::chrono::minutes(5);

// Whether two kernel names are equal ignoring case, as OpenBLAS compares them.
bool same_kernel(const std::string& a, const std::string& b) {
  return strcasecmp(a.c_str(), b.c_str()) == 0;
}

// Throws when a probe's sgemm results are wrong; `what` says which BLAS setup it was.
void require_correct(const BlasProbe& probe, const std::string& what) {
  if (!probe.correct) {
    throw std::runtime_error(fmt::format(
        "{} computes sgemm wrongly: max relative error {:.3g} (limit {:g}) with {} kernel '{}'",
        what, probe.max_rel_error, kMaxRelError, probe.library, probe.kernel));
  }
}

// The choice when libblas.so.3 is not OpenBLAS: keep it, and say how to get OpenBLAS.
BlasChoice without_openblas(BlasChoice choice, const BlasProbe& base,
                            const std::string& env_coretype, const std::string& user_override) {
  if (!user_override.empty()) {
    throw std::runtime_error(fmt::format(
        "BLAS core type '{}' was asked for, but libblas.so.3 is {}, not OpenBLAS; install it with "
        "'apt-get install libopenblas0-openmp'",
        user_override, base.library));
  }
  require_correct(base, "libblas.so.3");
  choice.reason = fmt::format(
      "libblas.so.3 is {}, not OpenBLAS: sgemm runs at {:.1f} GFLOP/s, several times slower than "
      "OpenBLAS; install it with 'apt-get install libopenblas0-openmp' (update-alternatives then "
      "points libblas.so.3 to it){}",
      base.library, base.sgemm_gflops,
      env_coretype.empty() ? "" : fmt::format("; {}={} has no effect", kCoretypeVar, env_coretype));
  return choice;
}

// The choice when a kernel is forced by the user or the environment (`source`).
BlasChoice forced(BlasChoice choice, const BlasProbe& probe, const std::string& coretype,
                  const std::string& source) {
  if (!same_kernel(probe.kernel, coretype)) {
    throw std::runtime_error(fmt::format(
        "OpenBLAS does not know the core type '{}' from {} (it ran kernel '{}' instead); use a "
        "kernel name such as Haswell or SkylakeX",
        coretype, source, probe.kernel));
  }
  require_correct(probe, fmt::format("OpenBLAS with {}={}", kCoretypeVar, coretype));
  choice.kernel = probe.kernel;
  choice.coretype_env = coretype;
  choice.chosen_gflops = probe.sgemm_gflops;
  choice.reason = fmt::format(
      "{}={} from {}: kernel {} at {:.1f} GFLOP/s (OpenBLAS alone picks {} at {:.1f} GFLOP/s)",
      kCoretypeVar, coretype, source, probe.kernel, probe.sgemm_gflops, choice.default_kernel,
      choice.default_gflops);
  return choice;
}

// The choice when OpenBLAS picked a generic kernel: the kernel the flags allow if it computes
// correctly, else the generic one.
BlasChoice upgraded(BlasChoice choice, const BlasProbe& base, const ProbeRunner& probe,
                    const std::string& candidate) {
  const std::string generic =
      fmt::format("OpenBLAS picked the generic kernel {} ({:.1f} GFLOP/s) for this CPU",
                  base.kernel, base.sgemm_gflops);
  if (candidate.empty()) {
    require_correct(base, "libblas.so.3");
    choice.reason = generic + "; its flags allow nothing better (no AVX2 with FMA)";
    return choice;
  }
  std::string failure;
  try {
    const BlasProbe better = probe(candidate);
    if (better.correct && same_kernel(better.kernel, candidate)) {
      choice.kernel = better.kernel;
      choice.coretype_env = candidate;
      choice.chosen_gflops = better.sgemm_gflops;
      choice.reason = fmt::format(
          "{}; its flags allow {}, which computes correctly at {:.1f} "
          "GFLOP/s: runs set {}={}",
          generic, candidate, better.sgemm_gflops, kCoretypeVar, candidate);
      return choice;
    }
    failure = better.correct ? fmt::format("OpenBLAS ran kernel '{}' instead", better.kernel)
                             : fmt::format("it computes sgemm wrongly (max relative error {:.3g})",
                                           better.max_rel_error);
  } catch (const std::runtime_error& e) {
    failure = e.what();
  }
  require_correct(base, "libblas.so.3");
  choice.reason = fmt::format("{}; its flags allow {}, but {}: keeping {}", generic, candidate,
                              failure, base.kernel);
  return choice;
}

// The value of an environment variable, "" when unset.
std::string env_value(const char* name) {
  const char* value = std::getenv(name);
  return value == nullptr ? "" : value;
}

}  // namespace

std::string kernel_for_flags(const std::set<std::string>& flags) {
  const auto has_all = [&](std::initializer_list<const char*> names) {
    return std::all_of(names.begin(), names.end(),
                       [&](const char* n) { return flags.count(n) > 0; });
  };
  if (has_all({"avx512f", "avx512bw", "avx512dq", "avx512vl"})) return "SkylakeX";
  if (has_all({"avx2", "fma"})) return "Haswell";
  return "";
}

bool is_generic_kernel(const std::string& corename) {
  // OpenBLAS's x86 kernels for CPUs without AVX2 (Sandybridge and the Bulldozer family have AVX
  // only), and its Unknown placeholder.
  static const std::array<const char*, 21> generic = {
      "Unknown",   "Katmai", "Coppermine", "Northwood",   "Prescott",  "Banias",     "Atom",
      "Core2",     "Penryn", "Dunnington", "Nehalem",     "Athlon",    "Opteron",    "Opteron_SSE3",
      "Barcelona", "Nano",   "Bobcat",     "Sandybridge", "Bulldozer", "Piledriver", "Steamroller"};
  return std::any_of(generic.begin(), generic.end(),
                     [&](const char* name) { return same_kernel(corename, name); });
}

BlasChoice decide_blas(const ProbeRunner& probe, const std::set<std::string>& flags,
                       const std::string& env_coretype, const std::string& user_override) {
  const BlasProbe base = probe("");
  BlasChoice choice{base.library, base.kernel,       base.kernel,      "",
                    "",           base.sgemm_gflops, base.sgemm_gflops};
  if (!base.is_openblas) return without_openblas(choice, base, env_coretype, user_override);
  if (!user_override.empty()) {
    require_kernel_runs_on(user_override, flags, "--blas-coretype");
    return forced(choice, probe(user_override), user_override, "--blas-coretype");
  }
  if (!env_coretype.empty()) {
    require_kernel_runs_on(env_coretype, flags, fmt::format("the environment ({})", kCoretypeVar));
    return forced(choice, probe(env_coretype), env_coretype, "the environment");
  }
  if (is_generic_kernel(base.kernel)) return upgraded(choice, base, probe, kernel_for_flags(flags));
  require_correct(base, "libblas.so.3");
  choice.reason = fmt::format("OpenBLAS picked kernel {} for this CPU ({:.1f} GFLOP/s)",
                              base.kernel, base.sgemm_gflops);
  return choice;
}

BlasProbe run_probe_process(const std::string& probe_exe, const std::string& coretype) {
  const std::string what =
      fmt::format("{} ({}={})", probe_exe, kCoretypeVar, coretype.empty() ? "unset" : coretype);
  ProgramOptions options;
  options.timeout = kProbeTimeout;
  options.environment[kCoretypeVar] = coretype.empty() ? std::nullopt : std::optional<std::string>(coretype);
  ProgramResult result;
  try {
    result = run_program({probe_exe}, options);
  } catch (const std::runtime_error& e) {
    throw std::runtime_error(fmt::format("{}: cannot start: {}", what, e.what()));
  }
  if (result.timed_out || result.exit_code != 0)
    throw std::runtime_error(fmt::format("{} {}: {}", what, program_ending(result, options), result.err));
  try {
    return nlohmann::json::parse(result.out).get<BlasProbe>();
  } catch (const nlohmann::json::exception& e) {
    throw std::runtime_error(fmt::format("{}: unreadable output '{}': {}", what, result.out, e.what()));
  }
}

BlasChoice choose_blas(const std::string& probe_exe, const std::string& user_override) {
  return decide_blas(
      [&](const std::string& coretype) { return run_probe_process(probe_exe, coretype); },
      read_cpu_info().flags, env_value(kCoretypeVar), user_override);
}

}  // namespace iddl::hardware
