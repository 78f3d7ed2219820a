#include "hardware/blas_probe.hpp"

#include <dlfcn.h>
#include <link.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdlib>
#include <random>
#include <stdexcept>
#include <vector>

namespace iddl::hardware {
namespace {

constexpr int kCheckSize = 256;
constexpr int kTimedSize = 512;
constexpr int kMinTimedCalls = 5;
constexpr double kTimingBudgetSeconds = 0.3;

// Fortran sgemm_, with the hidden lengths of its two character arguments that gfortran passes.
using SgemmFn = void (*)(const char* transa, const char* transb, const int* m, const int* n,
                         const int* k, const float* alpha, const float* a, const int* lda,
                         const float* b, const int* ldb, const float* beta, float* c,
                         const int* ldc, size_t transa_len, size_t transb_len);
// openblas_get_corename and openblas_get_config.
using OpenblasStringFn = char* (*)();

// C = A * B for square column-major n x n matrices.
void sgemm(SgemmFn fn, int n, const std::vector<float>& a, const std::vector<float>& b,
           std::vector<float>& c) {
  const float alpha = 1.0F;
  const float beta = 0.0F;
  fn("N", "N", &n, &n, &n, &alpha, a.data(), &n, b.data(), &n, &beta, c.data(), &n, 1, 1);
}

// n x n values uniform in [-1, 1].
std::vector<float> random_matrix(int n, std::mt19937& rng) {
  std::uniform_real_distribution<float> uniform(-1.0F, 1.0F);
  std::vector<float> m(static_cast<size_t>(n) * n);
  for (float& x : m) x = uniform(rng);
  return m;
}

// The largest |c_ij - sum_k a_ik b_kj| / sum_k |a_ik b_kj| over all elements, computed in double.
double max_relative_error(int n, const std::vector<float>& a, const std::vector<float>& b,
                          const std::vector<float>& c) {
  double worst = 0;
  for (int j = 0; j < n; ++j) {
    for (int i = 0; i < n; ++i) {
      double exact = 0;
      double scale = 0;
      for (int k = 0; k < n; ++k) {
        const double term = double{a[i + k * n]} * double{b[k + j * n]};
        exact += term;
        scale += std::abs(term);
      }
      const double error = std::abs(c[i + j * n] - exact) / std::max(scale, 1e-30);
      if (!(error <= worst)) worst = error;  // also takes NaN
    }
  }
  return worst;
}

// GFLOP/s of the fastest n x n sgemm call after a warm-up call, over at least kMinTimedCalls
// calls and kTimingBudgetSeconds: the fastest call is the one least disturbed by other processes.
double sgemm_gflops(SgemmFn fn, int n, std::mt19937& rng) {
  using Clock = std::chrono::steady_clock;
  const std::vector<float> a = random_matrix(n, rng);
  const std::vector<float> b = random_matrix(n, rng);
  std::vector<float> c(a.size());
  sgemm(fn, n, a, b, c);
  const auto budget_end = Clock::now() + std::chrono::duration<double>(kTimingBudgetSeconds);
  double best = 1e30;
  for (int call = 0; call < kMinTimedCalls || Clock::now() < budget_end; ++call) {
    const auto start = Clock::now();
    sgemm(fn, n, a, b, c);
    best = std::min(best, std::chrono::duration<double>(Clock::now() - start).count());
  }
  return 2.0 * n * n * n / best / 1e9;
}

// The real path of the file a dlopen handle loaded.
std::string loaded_path(void* handle) {
  link_map* map = nullptr;
  if (dlinfo(handle, RTLD_DI_LINKMAP, &map) != 0 || map == nullptr) return "";
  char* real = realpath(map->l_name, nullptr);
  if (real == nullptr) return map->l_name;
  std::string path = real;
  free(real);
  return path;
}

// The string an OpenBLAS query function returns, without trailing spaces ("" if absent).
std::string openblas_string(void* handle, const char* symbol) {
  const auto fn = reinterpret_cast<OpenblasStringFn>(dlsym(handle, symbol));
  if (fn == nullptr) return "";
  std::string text = fn();
  text.erase(text.find_last_not_of(' ') + 1);
  return text;
}

}  // namespace

BlasProbe probe_blas() {
  void* handle = dlopen("libblas.so.3", RTLD_NOW | RTLD_LOCAL);
  if (handle == nullptr)
    throw std::runtime_error(std::string("cannot load libblas.so.3: ") + dlerror());
  const auto fn = reinterpret_cast<SgemmFn>(dlsym(handle, "sgemm_"));
  if (fn == nullptr) throw std::runtime_error("libblas.so.3 has no sgemm_");

  BlasProbe probe;
  probe.library = loaded_path(handle);
  probe.is_openblas = dlsym(handle, "openblas_get_corename") != nullptr;
  probe.kernel = openblas_string(handle, "openblas_get_corename");
  probe.config = openblas_string(handle, "openblas_get_config");

  std::mt19937 rng(12345);
  const std::vector<float> a = random_matrix(kCheckSize, rng);
  const std::vector<float> b = random_matrix(kCheckSize, rng);
  std::vector<float> c(a.size());
  sgemm(fn, kCheckSize, a, b, c);
  probe.max_rel_error = max_relative_error(kCheckSize, a, b, c);
  probe.correct = probe.max_rel_error < kMaxRelError;
  probe.sgemm_gflops = sgemm_gflops(fn, kTimedSize, rng);
  return probe;
}

void to_json(nlohmann::json& json, const BlasProbe& probe) {
  json = {{"library", probe.library},
          {"is_openblas", probe.is_openblas},
          {"kernel", probe.kernel},
          {"config", probe.config},
          {"sgemm_gflops", probe.sgemm_gflops},
          {"max_rel_error", probe.max_rel_error},
          {"correct", probe.correct}};
}

void from_json(const nlohmann::json& json, BlasProbe& probe) {
  json.at("library").get_to(probe.library);
  json.at("is_openblas").get_to(probe.is_openblas);
  json.at("kernel").get_to(probe.kernel);
  json.at("config").get_to(probe.config);
  json.at("sgemm_gflops").get_to(probe.sgemm_gflops);
  // A NaN or infinite error is written as null.
  const auto& error = json.at("max_rel_error");
  probe.max_rel_error = error.is_null() ? INFINITY : error.get<double>();
  json.at("correct").get_to(probe.correct);
}

}  // namespace iddl::hardware
