// The dense compressors (terngrad, qsgd, fp16, signsgd): a small float32 header, then packed codes.
#include <algorithm>
#include <cmath>
#include <cstring>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#define IDDL_X86 1
#endif

// Compiles a loop for AVX2 as well as the baseline, the better one chosen at load time.
#ifdef IDDL_X86
#define IDDL_VECTOR_CLONES __attribute__((target_clones("avx2", "default")))
#else
#define IDDL_VECTOR_CLONES
#endif

#include "core/compress/bit_pack.hpp"
#include "core/compress/compressors.hpp"
#include "core/compress/input_check.hpp"

namespace iddl::compress {
namespace {

// The bytes of `payload`; throws unless it holds at least `expected` contiguous bytes.
const uint8_t* checked_bytes(const torch::Tensor& payload, int64_t expected, const std::string& method) {
  if (!payload.is_contiguous() || payload.scalar_type() != torch::kUInt8)
    throw std::invalid_argument(method + " payload: expected contiguous uint8 bytes");
  if (payload.numel() < expected)
    throw std::runtime_error(method + " payload: " + std::to_string(payload.numel()) + " bytes, expected " +
                             std::to_string(expected));
  return payload.data_ptr<uint8_t>();
}

float read_float(const uint8_t* in) {
  float value;
  std::memcpy(&value, in, 4);
  return value;
}

// The floats of a 1-D contiguous float32 CPU input.
const float* input_data(const torch::Tensor& values, const std::string& method) {
  check_input(values, method, true);
  return values.data_ptr<float>();
}

// The floats of the contiguous float32 CPU sum a decoder of `method` adds to.
float* sum_data(torch::Tensor& sum, const std::string& method) {
  check_sum(sum, method, torch::kCPU);
  return sum.data_ptr<float>();
}

// A payload of a float32 header `head` followed by `rest` zero bytes.
torch::Tensor with_header(float head, int64_t rest) {
  torch::Tensor payload = torch::zeros({4 + rest}, torch::kUInt8);
  std::memcpy(payload.data_ptr<uint8_t>(), &head, 4);
  return payload;
}

// Advances 8 xorshift32 lanes count / 8 times, writing each lane's 24 high bits as a float in [0, 1).
IDDL_VECTOR_CLONES void fill_lanes(uint32_t* lanes, float* out, int64_t count) {
  uint32_t s[8];
  std::memcpy(s, lanes, sizeof s);
  for (int64_t i = 0; i < count; i += 8) {
    for (int j = 0; j < 8; ++j) {
      s[j] ^= s[j] << 13;
      s[j] ^= s[j] >> 17;
      s[j] ^= s[j] << 5;
      out[i + j] = static_cast<float>(static_cast<int32_t>(s[j] >> 8)) * (1.0f / 16777216.0f);
    }
  }
  std::memcpy(lanes, s, sizeof s);
}

// Uniform floats in [0, 1) from 8 independent xorshift32 lanes seeded from `generator`: one draw
// per entry at a few cycles (the loops vectorize), enough for stochastic rounding (24-bit resolution).
class UniformLanes {
 public:
  explicit UniformLanes(torch::Generator& generator) {
    const torch::Tensor seeds = torch::randint(1, int64_t{1} << 31, {kLanes}, generator, torch::kInt64);
    for (int j = 0; j < kLanes; ++j) lanes_[j] = static_cast<uint32_t>(seeds[j].item<int64_t>());
  }
  // Writes the next `count` (a multiple of 8) uniforms to `out`.
  void fill(float* out, int64_t count) { fill_lanes(lanes_, out, count); }
  // The lanes' state, for a kernel that draws in fill's order (8 uniforms, lane j's for entry 8k + j).
  uint32_t* state() { return lanes_; }
  static constexpr int kLanes = 8;

 private:
  uint32_t lanes_[kLanes];
};

// How a decoder puts a value v at out[i]: Add adds it to what is there (decode_add); Write writes 0 + v, the bits
// that adding v to a zeroed vector gives (decode, without the zero fill and the read).
enum class Store { Add, Write };

// out[0] = out[0] + v or 0 + v as `S` says.
template <Store S>
inline void put(float* out, float v) {
  *out = (S == Store::Add ? *out : 0.0f) + v;
}

// Whether a decoder writes the `count` floats of `out` with non-temporal stores of `alignment` bytes: when it writes
// a fresh vector (Write) larger than the caches keep (8 MiB) at such an address, so its lines are not first read.
template <Store S>
bool streams(const float* out, int64_t count, uintptr_t alignment) {
  return S == Store::Write && count >= (int64_t{1} << 21) && reinterpret_cast<uintptr_t>(out) % alignment == 0;
}

// Entries processed per block: the uniforms of a block stay in L1.
constexpr int64_t kBlock = 2048;

// max |x| over n floats (independent lanes so the loop vectorizes).
IDDL_VECTOR_CLONES float max_magnitude(const float* x, int64_t n) {
  float lane[8] = {};
  int64_t i = 0;
  for (; i + 8 <= n; i += 8)
    for (int j = 0; j < 8; ++j) lane[j] = std::max(lane[j], std::fabs(x[i + j]));
  float m = 0.0f;
  for (; i < n; ++i) m = std::max(m, std::fabs(x[i]));
  for (float v : lane) m = std::max(m, v);
  return m;
}

// `total` + the sum of f(x) over n floats, in float lanes of 8-entry blocks summed in double.
template <typename F>
double lane_sum(const float* x, int64_t n, F f, double total = 0.0) {
  for (int64_t block = 0; block < n; block += kBlock) {
    const int64_t end = std::min(n, block + kBlock);
    float lane[8] = {};
    int64_t i = block;
    for (; i + 8 <= end; i += 8)
      for (int j = 0; j < 8; ++j) lane[j] += f(x[i + j]);
    for (; i < end; ++i) total += f(x[i]);
    for (float v : lane) total += v;
  }
  return total;
}

#ifdef IDDL_X86
// The sum of squares of n floats as lane_sum computes it (the same lanes, in the same order: the same bits), four
// blocks at a time so that four chains of additions are in flight instead of one.
__attribute__((target("avx2"))) double square_sum_avx2(const float* x, int64_t n) {
  constexpr int kChains = 4;
  double total = 0.0;
  const int64_t groups = n / (kChains * kBlock);
  for (int64_t g = 0; g < groups; ++g) {
    const float* block = x + g * kChains * kBlock;
    __m256 sum[kChains];
    for (auto& lanes : sum) lanes = _mm256_setzero_ps();
    for (int64_t i = 0; i < kBlock; i += 8)
      for (int c = 0; c < kChains; ++c) {
        _mm_prefetch(reinterpret_cast<const char*>(block + c * kBlock + i) + 1024, _MM_HINT_T0);
        const __m256 v = _mm256_loadu_ps(block + c * kBlock + i);
        sum[c] = _mm256_add_ps(sum[c], _mm256_mul_ps(v, v));
      }
    for (const auto& lanes : sum) {
      float lane[8];
      _mm256_storeu_ps(lane, lanes);
      for (float v : lane) total += v;
    }
  }
  const int64_t done = groups * kChains * kBlock;
  return lane_sum(x + done, n - done, [](float v) { return v * v; }, total);
}
#endif

// One byte of 8 sign bits (1: x < 0) of x[0..7].
inline uint8_t sign_byte(const float* x) {
#ifdef IDDL_X86
  const __m128 zero = _mm_setzero_ps();
  const int low = _mm_movemask_ps(_mm_cmplt_ps(_mm_loadu_ps(x), zero));
  const int high = _mm_movemask_ps(_mm_cmplt_ps(_mm_loadu_ps(x + 4), zero));
  return static_cast<uint8_t>(low | (high << 4));
#else
  uint8_t b = 0;
  for (int j = 0; j < 8; ++j) b |= static_cast<uint8_t>(x[j] < 0.0f) << j;
  return b;
#endif
}

// Whether this CPU has AVX2 (the fused TernGrad and QSGD kernels).
bool has_avx2() {
#ifdef IDDL_X86
  static const bool supported = __builtin_cpu_supports("avx2");
  return supported;
#else
  return false;
#endif
}

// The sum of squares of n floats (lane_sum's bits, with AVX2 when the CPU has it).
double square_sum(const float* x, int64_t n) {
#ifdef IDDL_X86
  if (has_avx2()) return square_sum_avx2(x, n);
#endif
  return lane_sum(x, n, [](float v) { return v * v; });
}

// Whether this CPU converts float <-> half in hardware (F16C, with AVX).
bool has_f16c() {
#ifdef IDDL_X86
  static const bool supported = __builtin_cpu_supports("f16c") && __builtin_cpu_supports("avx");
  return supported;
#else
  return false;
#endif
}

#ifdef IDDL_X86
// x[0..n) clamped to ±65504 as IEEE half bits, 8 at a time in hardware.
__attribute__((target("avx,f16c"))) void to_half_f16c(const float* x, int64_t n, uint16_t* out) {
  const __m256 high = _mm256_set1_ps(65504.0f), low = _mm256_set1_ps(-65504.0f);
  int64_t i = 0;
  for (; i + 8 <= n; i += 8) {
    const __m256 v = _mm256_max_ps(_mm256_min_ps(_mm256_loadu_ps(x + i), high), low);
    _mm_storeu_si128(reinterpret_cast<__m128i*>(out + i), _mm256_cvtps_ph(v, _MM_FROUND_TO_NEAREST_INT));
  }
  for (; i < n; ++i) out[i] = c10::Half(std::clamp(x[i], -65504.0f, 65504.0f)).x;
}

// out[i] (+)= w * half[i] as `S` says, 8 at a time in hardware.
template <Store S>
__attribute__((target("avx,f16c"))) void put_half_f16c(const uint16_t* half, int64_t n, float w, float* out) {
  const __m256 weight = _mm256_set1_ps(w);
  const bool stream = streams<S>(out, n, 32);
  int64_t i = 0;
  for (; i + 8 <= n; i += 8) {
    const __m256 v = _mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(half + i)));
    const __m256 base = S == Store::Add ? _mm256_loadu_ps(out + i) : _mm256_setzero_ps();
    const __m256 sum = _mm256_add_ps(base, _mm256_mul_ps(weight, v));
    if (stream) {
      _mm256_stream_ps(out + i, sum);
    } else {
      _mm256_storeu_ps(out + i, sum);
    }
  }
  if (stream) _mm_sfence();
  for (; i < n; ++i) put<S>(out + i, w * static_cast<float>(c10::Half(half[i], c10::Half::from_bits())));
}
#endif

// ±1 for each bit of each byte value: kSigns[b][j] = 1 - 2 * bit j of b.
struct SignTable {
  float value[256][8];
  SignTable() {
    for (int b = 0; b < 256; ++b)
      for (int j = 0; j < 8; ++j) value[b][j] = 1.0f - 2.0f * static_cast<float>((b >> j) & 1);
  }
};
const SignTable kSigns;

// The TernGrad levels of the 4 codes of each byte value: 0, +1, -1 (code 3 unused: 0).
struct TernaryTable {
  float value[256][4];
  TernaryTable() {
    const float level[4] = {0.0f, 1.0f, -1.0f, 0.0f};
    for (int b = 0; b < 256; ++b)
      for (int j = 0; j < 4; ++j) value[b][j] = level[(b >> (2 * j)) & 3];
  }
};
const TernaryTable kTernary;

// TernGrad codes of `count` (a multiple of 4) entries, 4 per byte: 1 (+) when u * scale < x, 2 (-)
// when u * scale < -x, else 0.
IDDL_VECTOR_CLONES void ternary_codes(const float* x, const float* u, int64_t count, float scale, uint8_t* out) {
  uint8_t code[kBlock];
  for (int64_t i = 0; i < count; ++i) {
    const float threshold = u[i] * scale;
    code[i] = static_cast<uint8_t>((threshold < x[i] ? 1 : 0) | (threshold < -x[i] ? 2 : 0));
  }
  for (int64_t k = 0; k < count / 4; ++k)
    out[k] = static_cast<uint8_t>(code[4 * k] | code[4 * k + 1] << 2 | code[4 * k + 2] << 4 | code[4 * k + 3] << 6);
}

// out[i] (+)= step for code 1, -step for code 2, for `count` (a multiple of 4) entries packed 4 per byte.
template <Store S>
IDDL_VECTOR_CLONES void put_ternary(const uint8_t* in, int64_t count, float step, float* out) {
#ifdef IDDL_X86
  const __m128 weight = _mm_set1_ps(step);  // a byte's 4 levels are one 16-byte row of the table
  const bool stream = streams<S>(out, count, 16);
  for (int64_t k = 0; k < count / 4; ++k) {
    const __m128 level = _mm_loadu_ps(kTernary.value[in[k]]);
    const __m128 base = S == Store::Add ? _mm_loadu_ps(out + 4 * k) : _mm_setzero_ps();
    const __m128 sum = _mm_add_ps(base, _mm_mul_ps(weight, level));
    if (stream) {
      _mm_stream_ps(out + 4 * k, sum);
    } else {
      _mm_storeu_ps(out + 4 * k, sum);
    }
  }
  if (stream) _mm_sfence();
#else
  for (int64_t k = 0; k < count / 4; ++k) {
    const float* level = kTernary.value[in[k]];
    for (int j = 0; j < 4; ++j) put<S>(out + 4 * k + j, step * level[j]);
  }
#endif
}

// QSGD levels of `count` entries: floor(|x| / norm * top) rounded up when u < the remainder.
IDDL_VECTOR_CLONES void qsgd_levels(const float* x, const float* u, int64_t count, float per_norm, float top,
                                   uint32_t* level) {
  for (int64_t i = 0; i < count; ++i) {
    const float position = std::min(std::fabs(x[i]) * per_norm, top);
    const auto below = static_cast<int32_t>(position);  // floor: position >= 0
    const float up = u[i] < position - static_cast<float>(below) ? 1.0f : 0.0f;
    level[i] = static_cast<uint32_t>(static_cast<int32_t>(std::min(static_cast<float>(below) + up, top)));
  }
}

#ifdef IDDL_X86
// Bit j of each byte value at bit 2j: two 8-bit masks interleave into 8 two-bit codes.
struct SpreadTable {
  uint16_t value[256];
  SpreadTable() {
    for (int b = 0; b < 256; ++b) {
      value[b] = 0;
      for (int j = 0; j < 8; ++j) value[b] = static_cast<uint16_t>(value[b] | ((b >> j) & 1) << (2 * j));
    }
  }
};
const SpreadTable kSpread;

// The next uniform of each of 8 xorshift32 lanes `s`, exactly as fill_lanes draws it.
__attribute__((target("avx2"))) inline __m256 next_uniforms(__m256i& s) {
  s = _mm256_xor_si256(s, _mm256_slli_epi32(s, 13));
  s = _mm256_xor_si256(s, _mm256_srli_epi32(s, 17));
  s = _mm256_xor_si256(s, _mm256_slli_epi32(s, 5));
  return _mm256_mul_ps(_mm256_cvtepi32_ps(_mm256_srli_epi32(s, 8)), _mm256_set1_ps(1.0f / 16777216.0f));
}

// TernGrad codes of `count` (a multiple of 8) entries, as ternary_codes with the uniforms fill_lanes would draw from
// `lanes`, in one pass: 8 entries per step, two compare masks spread into 16 bits.
__attribute__((target("avx2"))) void ternary_codes_avx2(const float* x, int64_t count, float scale, uint32_t* lanes,
                                                         uint8_t* out) {
  __m256i s = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(lanes));
  const __m256 factor = _mm256_set1_ps(scale), sign = _mm256_set1_ps(-0.0f);
  for (int64_t i = 0; i < count; i += 8) {
    _mm_prefetch(reinterpret_cast<const char*>(x + i) + 1024, _MM_HINT_T0);
    const __m256 threshold = _mm256_mul_ps(next_uniforms(s), factor);
    const __m256 v = _mm256_loadu_ps(x + i);
    const int plus = _mm256_movemask_ps(_mm256_cmp_ps(threshold, v, _CMP_LT_OQ));
    const int minus = _mm256_movemask_ps(_mm256_cmp_ps(threshold, _mm256_xor_ps(v, sign), _CMP_LT_OQ));
    const auto codes = static_cast<uint16_t>(kSpread.value[plus] | kSpread.value[minus] << 1);
    std::memcpy(out + i / 4, &codes, 2);
  }
  _mm256_storeu_si256(reinterpret_cast<__m256i*>(lanes), s);
}

// QSGD byte levels (as qsgd_levels, the uniforms fill_lanes would draw from `lanes`) and sign bits of `count` (a
// multiple of 8) entries in one pass, 8 per step.
__attribute__((target("avx2"))) void qsgd_bytes_avx2(const float* x, int64_t count, float per_norm, float top,
                                                      uint32_t* lanes, uint8_t* levels, uint8_t* negative) {
  __m256i s = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(lanes));
  const __m256 factor = _mm256_set1_ps(per_norm), last = _mm256_set1_ps(top), one = _mm256_set1_ps(1.0f);
  const __m256 magnitude = _mm256_castsi256_ps(_mm256_set1_epi32(0x7fffffff)), zero = _mm256_setzero_ps();
  const __m256i low_bytes = _mm256_setr_epi8(0, 4, 8, 12, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,  //
                                             0, 4, 8, 12, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1);
  for (int64_t i = 0; i < count; i += 8) {
    _mm_prefetch(reinterpret_cast<const char*>(x + i) + 1024, _MM_HINT_T0);
    const __m256 u = next_uniforms(s);
    const __m256 v = _mm256_loadu_ps(x + i);
    // min(a, top) as std::min(a, top): top when top < a, else a (NaN included)
    const __m256 position = _mm256_min_ps(last, _mm256_mul_ps(_mm256_and_ps(v, magnitude), factor));
    const __m256 below = _mm256_cvtepi32_ps(_mm256_cvttps_epi32(position));
    const __m256 up = _mm256_and_ps(_mm256_cmp_ps(u, _mm256_sub_ps(position, below), _CMP_LT_OQ), one);
    const __m256i level = _mm256_shuffle_epi8(_mm256_cvttps_epi32(_mm256_min_ps(last, _mm256_add_ps(below, up))),
                                              low_bytes);
    _mm_storel_epi64(reinterpret_cast<__m128i*>(levels + i),
                     _mm_unpacklo_epi32(_mm256_castsi256_si128(level), _mm256_extracti128_si256(level, 1)));
    negative[i / 8] = static_cast<uint8_t>(_mm256_movemask_ps(_mm256_cmp_ps(v, zero, _CMP_LT_OQ)));
  }
  _mm256_storeu_si256(reinterpret_cast<__m256i*>(lanes), s);
}
#endif

// out[i] (+)= (1 - 2 sign bit) * level[i] * step for `count` (a multiple of 8) entries starting at
// entry `first` (a multiple of 8).
template <Store S>
IDDL_VECTOR_CLONES void put_qsgd(const uint32_t* level, const uint8_t* negative, int64_t first, int64_t count,
                                 float step, float* out) {
  for (int64_t k = 0; k < count / 8; ++k) {
    const float* sign = kSigns.value[negative[first / 8 + k]];
    for (int j = 0; j < 8; ++j)  // levels are below 2^16: through int32, which converts in vector registers
      put<S>(out + first + 8 * k + j, sign[j] * static_cast<float>(static_cast<int32_t>(level[8 * k + j])) * step);
  }
}

#ifdef IDDL_X86
// out[i] (+)= (1 - 2 sign bit i) * level byte i * step for `count` (a multiple of 8) entries, as put_qsgd.
template <Store S>
__attribute__((target("avx2"))) void put_qsgd_bytes_avx2(const uint8_t* levels, const uint8_t* negative,
                                                          int64_t count, float step, float* out) {
  const __m256 factor = _mm256_set1_ps(step);
  const bool stream = streams<S>(out, count, 32);
  for (int64_t i = 0; i < count; i += 8) {
    const __m256i wide = _mm256_cvtepu8_epi32(_mm_loadl_epi64(reinterpret_cast<const __m128i*>(levels + i)));
    const __m256 signed_level = _mm256_mul_ps(_mm256_loadu_ps(kSigns.value[negative[i / 8]]), _mm256_cvtepi32_ps(wide));
    const __m256 base = S == Store::Add ? _mm256_loadu_ps(out + i) : _mm256_setzero_ps();
    const __m256 sum = _mm256_add_ps(base, _mm256_mul_ps(signed_level, factor));
    if (stream) {
      _mm256_stream_ps(out + i, sum);
    } else {
      _mm256_storeu_ps(out + i, sum);
    }
  }
  if (stream) _mm_sfence();
}
#endif

// out[i] (+)= step * (1 - 2 sign bit i) for n entries.
template <Store S>
IDDL_VECTOR_CLONES void put_signs(const uint8_t* negative, int64_t n, float step, float* out) {
  int64_t i = 0;
  for (; i + 8 <= n; i += 8) {
    const float* sign = kSigns.value[negative[i / 8]];
    for (int j = 0; j < 8; ++j) put<S>(out + i + j, step * sign[j]);
  }
  for (; i < n; ++i) put<S>(out + i, step * kSigns.value[negative[i / 8]][i % 8]);
}

// The n-entry vector a decoder writes directly.
torch::Tensor fresh(int64_t n) { return torch::empty({n}, torch::kFloat32); }

}  // namespace

TernGrad::TernGrad(torch::Generator generator) : generator_(std::move(generator)) {}

torch::Tensor TernGrad::encode(const torch::Tensor& values) {
  const int64_t n = values.numel();
  const float* x = input_data(values, "terngrad");
  const float scale = max_magnitude(x, n);
  torch::Tensor payload = with_header(scale, packed_bytes(n, 2));
  if (scale > 0.0f) {
    // Code 0: zero, 1: +scale, 2: -scale; an entry is kept with probability |x| / scale (u * scale < |x|).
    UniformLanes uniforms(generator_);
    float u[kBlock];
    uint8_t* out = payload.data_ptr<uint8_t>() + 4;
    int64_t done = 0;  // entries coded by the fused kernel; the blocks below code the rest with the same draws
#ifdef IDDL_X86
    if (has_avx2()) {
      done = n / 8 * 8;
      ternary_codes_avx2(x, done, scale, uniforms.state(), out);
    }
#endif
    for (int64_t block = done; block < n; block += kBlock) {
      const int64_t count = std::min(kBlock, n - block);
      uniforms.fill(u, (count + 7) / 8 * 8);
      const int64_t whole = count / 4 * 4;
      ternary_codes(x + block, u, whole, scale, out + block / 4);
      for (int64_t i = whole; i < count; ++i) {  // the last 1-3 entries
        const int kept = u[i] * scale < std::fabs(x[block + i]), negative = x[block + i] < 0.0f;
        out[(block + i) / 4] |= static_cast<uint8_t>((kept << negative) << (2 * (i % 4)));
      }
    }
  }
  return payload;
}

namespace {

// out (+)= weight times the n entries of a TernGrad payload, as `S` says.
template <Store S>
void put_terngrad(const torch::Tensor& payload, double weight, int64_t n, float* out) {
  const uint8_t* in = checked_bytes(payload, 4 + packed_bytes(n, 2), "terngrad") + 4;
  const auto step = static_cast<float>(weight * read_float(in - 4));
  put_ternary<S>(in, n / 4 * 4, step, out);
  for (int64_t i = n / 4 * 4; i < n; ++i) {
    const int code = (in[i / 4] >> (2 * (i % 4))) & 3;
    put<S>(out + i, step * static_cast<float>((code & 1) - (code >> 1)));
  }
}

}  // namespace

void TernGrad::decode_add(const torch::Tensor& payload, double weight, torch::Tensor& sum) const {
  put_terngrad<Store::Add>(payload, weight, sum.numel(), sum_data(sum, "terngrad"));
}

torch::Tensor TernGrad::decode(const torch::Tensor& payload, int64_t numel) const {
  torch::Tensor out = fresh(numel);
  put_terngrad<Store::Write>(payload, 1.0, numel, out.data_ptr<float>());
  return out;
}

Qsgd::Qsgd(int levels, torch::Generator generator) : levels_(levels), bits_(1), generator_(std::move(generator)) {
  if (levels < 2 || levels > (1 << 16)) throw std::invalid_argument("qsgd: levels must be in [2, 65536]");
  while ((int64_t{1} << bits_) < levels_) ++bits_;
}

torch::Tensor Qsgd::encode(const torch::Tensor& values) {
  const int64_t n = values.numel();
  const float* x = input_data(values, "qsgd");
  const auto norm = static_cast<float>(std::sqrt(square_sum(x, n)));
  const int64_t level_bytes = packed_bytes(n, bits_);
  torch::Tensor payload = with_header(norm, level_bytes + packed_bytes(n, 1));
  if (norm > 0.0f) {
    // |x| / norm on a grid of levels-1 intervals, rounded up with probability equal to the remainder.
    UniformLanes uniforms(generator_);
    float u[kBlock];
    uint32_t level[kBlock];
    const auto top = static_cast<float>(levels_ - 1);
    const float per_norm = top / norm;
    uint8_t* codes = payload.data_ptr<uint8_t>() + 4;
    uint8_t* negative = codes + level_bytes;
    int64_t done = 0;  // entries coded by the fused kernel; the blocks below code the rest with the same draws
#ifdef IDDL_X86
    if (bits_ == 8 && has_avx2()) {
      done = n / 8 * 8;
      qsgd_bytes_avx2(x, done, per_norm, top, uniforms.state(), codes, negative);
    }
#endif
    for (int64_t block = done; block < n; block += kBlock) {  // kBlock * bits_ is a whole number of bytes
      const int64_t count = std::min(kBlock, n - block);
      uniforms.fill(u, (count + 7) / 8 * 8);
      const float* xb = x + block;
      qsgd_levels(xb, u, count, per_norm, top, level);
      uint8_t* block_codes = codes + block * bits_ / 8;
      if (bits_ == 8) {
        for (int64_t i = 0; i < count; ++i) block_codes[i] = static_cast<uint8_t>(level[i]);
      } else {
        pack_bits(level, count, bits_, block_codes);
      }
      int64_t i = 0;
      for (; i + 8 <= count; i += 8) negative[(block + i) / 8] = sign_byte(xb + i);
      for (; i < count; ++i)
        negative[(block + i) / 8] |= static_cast<uint8_t>(static_cast<int>(xb[i] < 0.0f) << ((block + i) % 8));
    }
  }
  return payload;
}

namespace {

// out (+)= weight times the n entries of a QSGD payload of `levels` levels in codes of `bits`, as `S` says.
template <Store S>
void put_qsgd_payload(const torch::Tensor& payload, double weight, int64_t n, int levels, int bits, float* out) {
  const int64_t level_bytes = packed_bytes(n, bits);
  const uint8_t* in = checked_bytes(payload, 4 + level_bytes + packed_bytes(n, 1), "qsgd");
  const float norm = read_float(in);
  if (norm == 0.0f) {  // nothing to add; a written vector is zero
    if (S == Store::Write) std::fill(out, out + n, 0.0f);
    return;
  }
  const uint8_t* negative = in + 4 + level_bytes;
  const auto step = static_cast<float>(weight * norm / (levels - 1));
  uint32_t level[kBlock];
  int64_t done = 0;  // entries decoded by the byte kernel
#ifdef IDDL_X86
  if (bits == 8 && has_avx2()) {
    done = n / 8 * 8;
    put_qsgd_bytes_avx2<S>(in + 4, negative, done, step, out);
  }
#endif
  for (int64_t block = done; block < n; block += kBlock) {
    const int64_t count = std::min(kBlock, n - block);
    const uint8_t* block_codes = in + 4 + block * bits / 8;
    if (bits == 8) {
      for (int64_t i = 0; i < count; ++i) level[i] = block_codes[i];
    } else {
      unpack_bits(block_codes, count, bits, level);
    }
    const int64_t whole = count / 8 * 8;
    put_qsgd<S>(level, negative, block, whole, step, out);
    for (int64_t i = whole; i < count; ++i)
      put<S>(out + block + i,
             kSigns.value[negative[(block + i) / 8]][(block + i) % 8] * static_cast<float>(level[i]) * step);
  }
}

}  // namespace

void Qsgd::decode_add(const torch::Tensor& payload, double weight, torch::Tensor& sum) const {
  put_qsgd_payload<Store::Add>(payload, weight, sum.numel(), levels_, bits_, sum_data(sum, "qsgd"));
}

torch::Tensor Qsgd::decode(const torch::Tensor& payload, int64_t numel) const {
  torch::Tensor out = fresh(numel);
  put_qsgd_payload<Store::Write>(payload, 1.0, numel, levels_, bits_, out.data_ptr<float>());
  return out;
}

torch::Tensor Fp16::encode(const torch::Tensor& values) {
  const int64_t n = values.numel();
  const float* x = input_data(values, "fp16");
  torch::Tensor payload = torch::empty({2 * n}, torch::kUInt8);
  auto* out = reinterpret_cast<uint16_t*>(payload.data_ptr<uint8_t>());
#ifdef IDDL_X86
  if (has_f16c()) {
    to_half_f16c(x, n, out);
    return payload;
  }
#endif
  for (int64_t i = 0; i < n; ++i) out[i] = c10::Half(std::clamp(x[i], -65504.0f, 65504.0f)).x;
  return payload;
}

namespace {

// out (+)= weight times the n entries of an fp16 payload, as `S` says.
template <Store S>
void put_fp16(const torch::Tensor& payload, double weight, int64_t n, float* out) {
  const auto* in = reinterpret_cast<const uint16_t*>(checked_bytes(payload, 2 * n, "fp16"));
  const auto w = static_cast<float>(weight);
#ifdef IDDL_X86
  if (has_f16c()) {
    put_half_f16c<S>(in, n, w, out);
    return;
  }
#endif
  for (int64_t i = 0; i < n; ++i) put<S>(out + i, w * static_cast<float>(c10::Half(in[i], c10::Half::from_bits())));
}

}  // namespace

void Fp16::decode_add(const torch::Tensor& payload, double weight, torch::Tensor& sum) const {
  put_fp16<Store::Add>(payload, weight, sum.numel(), sum_data(sum, "fp16"));
}

torch::Tensor Fp16::decode(const torch::Tensor& payload, int64_t numel) const {
  torch::Tensor out = fresh(numel);
  put_fp16<Store::Write>(payload, 1.0, numel, out.data_ptr<float>());
  return out;
}

torch::Tensor SignSgd::encode(const torch::Tensor& values) {
  const int64_t n = values.numel();
  const float* x = input_data(values, "signsgd");
  torch::Tensor payload = with_header(0.0f, packed_bytes(n, 1));
  uint8_t* negative = payload.data_ptr<uint8_t>() + 4;
  double magnitudes = 0.0;  // one pass: the signs and the magnitudes' sum (float lanes per block)
  for (int64_t block = 0; block < n; block += kBlock) {
    const int64_t end = std::min(n, block + kBlock);
    float lane[8] = {};
    int64_t i = block;
    for (; i + 8 <= end; i += 8) {
      negative[i / 8] = sign_byte(x + i);
      for (int j = 0; j < 8; ++j) lane[j] += std::fabs(x[i + j]);
    }
    for (; i < end; ++i) {
      negative[i / 8] |= static_cast<uint8_t>(static_cast<int>(x[i] < 0.0f) << (i % 8));
      magnitudes += std::fabs(x[i]);
    }
    for (float v : lane) magnitudes += v;
  }
  const auto scale = static_cast<float>(n > 0 ? magnitudes / static_cast<double>(n) : 0.0);
  std::memcpy(payload.data_ptr<uint8_t>(), &scale, 4);
  return payload;
}

namespace {

// out (+)= weight times the n entries of a SignSGD payload, as `S` says.
template <Store S>
void put_signsgd(const torch::Tensor& payload, double weight, int64_t n, float* out) {
  const uint8_t* in = checked_bytes(payload, 4 + packed_bytes(n, 1), "signsgd") + 4;
  put_signs<S>(in, n, static_cast<float>(weight * read_float(in - 4)), out);
}

}  // namespace

void SignSgd::decode_add(const torch::Tensor& payload, double weight, torch::Tensor& sum) const {
  put_signsgd<Store::Add>(payload, weight, sum.numel(), sum_data(sum, "signsgd"));
}

torch::Tensor SignSgd::decode(const torch::Tensor& payload, int64_t numel) const {
  torch::Tensor out = fresh(numel);
  put_signsgd<Store::Write>(payload, 1.0, numel, out.data_ptr<float>());
  return out;
}

}  // namespace iddl::compress
