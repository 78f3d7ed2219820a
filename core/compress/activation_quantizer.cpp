#include "core/compress/activation_quantizer.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstring>
#include <iterator>
#include <limits>
#include <stdexcept>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "core/compress/bit_pack.hpp"

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#endif

namespace iddl::compress {
namespace {

// Compiles a loop for AVX2 as well as the baseline, the better one chosen at load time.
#if defined(__x86_64__) || defined(__i386__)
#define IDDL_VECTOR_CLONES __attribute__((target_clones("avx2", "default")))
#else
#define IDDL_VECTOR_CLONES
#endif

#if defined(__x86_64__) || defined(__i386__)
bool has_avx2() {
  static const bool supported = __builtin_cpu_supports("avx2");
  return supported;
}
#endif

// Entries coded per block: a block's codes stay in L1.
constexpr int64_t kBlock = 2048;

// Asks for the block of values after [x, x + count) ahead of its pass (hardware prefetchers here do not run
// ahead of a pass over a large input far enough: docs/performance.md).
inline void prefetch_next_block(const float* x, int64_t count, int64_t left) {
  const char* next = reinterpret_cast<const char*>(x + count);
  const int64_t bytes = std::min(count, left) * static_cast<int64_t>(sizeof(float));
  for (int64_t line = 0; line < bytes; line += 64) __builtin_prefetch(next + line);
}

// The smallest and largest of `start_low`, `start_high` and n floats (8 independent lanes, so the loop vectorizes).
IDDL_VECTOR_CLONES std::pair<float, float> lane_minmax(const float* x, int64_t n, float start_low, float start_high) {
  float low[8], high[8];
  for (int j = 0; j < 8; ++j) {
    low[j] = start_low;
    high[j] = start_high;
  }
  int64_t i = 0;
  for (; i + 8 <= n; i += 8)
    for (int j = 0; j < 8; ++j) {
      low[j] = x[i + j] < low[j] ? x[i + j] : low[j];
      high[j] = high[j] < x[i + j] ? x[i + j] : high[j];
    }
  for (; i < n; ++i) {
    low[0] = x[i] < low[0] ? x[i] : low[0];
    high[0] = high[0] < x[i] ? x[i] : high[0];
  }
  float a = low[0], b = high[0];
  for (int j = 1; j < 8; ++j) {
    a = low[j] < a ? low[j] : a;
    b = b < high[j] ? high[j] : b;
  }
  return {a, b};
}

// std::minmax_element's values from the lanes' smallest and largest of x[0..n): the first smallest and the last
// largest (they differ from the lanes' only in the sign of a zero).
std::pair<float, float> first_min_last_max(const float* x, int64_t n, float low, float high) {
  if (low == 0.0f) low = *std::find(x, x + n, low);
  if (high == 0.0f) high = *std::find(std::make_reverse_iterator(x + n), std::make_reverse_iterator(x), high);
  return {low, high};
}

// std::minmax_element's values of n > 0 floats.
std::pair<float, float> first_min_last_max(const float* x, int64_t n) {
  const auto [low, high] = lane_minmax(x, n, x[0], x[0]);
  return first_min_last_max(x, n, low, high);
}

// (Levels pass through int32, which converts to and from float in vector registers; they are below 2^16.)

// round((v - min) / step) clamped to [0, top]. (The file compiles with -fno-trapping-math, so that this vectorizes;
// the results are the same.)
inline float level_of(float v, float min, float step, float top) {
  return std::min(std::max(std::floor((v - min) / step + 0.5f), 0.0f), top);
}

// Codes of `count` values all in one bucket: round((v - min) / step) in [0, top] (0 when step is not positive),
// bucket in the high bits.
IDDL_VECTOR_CLONES void bucket_codes(const float* x, int64_t count, float min, float step, float top, uint32_t high,
                                     uint32_t* codes) {
  if (!(step > 0.0f)) {
    for (int64_t i = 0; i < count; ++i) codes[i] = high;
    return;
  }
  for (int64_t i = 0; i < count; ++i) {
    const float level = level_of(x[i], min, step, top);
    codes[i] = high | static_cast<uint32_t>(static_cast<int32_t>(level));
  }
}

// bucket_codes of one bucket (high bits 0) into bytes (top < 256).
IDDL_VECTOR_CLONES void byte_codes(const float* x, int64_t count, float min, float step, float top, uint8_t* codes) {
  if (!(step > 0.0f)) {
    std::memset(codes, 0, static_cast<size_t>(count));
    return;
  }
  for (int64_t i = 0; i < count; ++i)
    codes[i] = static_cast<uint8_t>(static_cast<int32_t>(level_of(x[i], min, step, top)));
}

}  // namespace

namespace {

// The table and codes of sortquant's equal-count buckets: bucket j holds the values at positions [p_j, p_{j+1}) of
// the order sorted by value, ties in index order (p_j = j n / B).
struct Buckets {
  int64_t count;                 // B
  std::vector<int64_t> position;  // p_0 .. p_B
  std::vector<float> min, step;   // per bucket
};

// Buckets of n values and their positions p_j = j n / B.
Buckets bucket_positions(int64_t n, int split) {
  Buckets b{int64_t{1} << split, {}, {}, {}};
  for (int64_t j = 0; j <= b.count; ++j) b.position.push_back(j * n / b.count);
  b.min.assign(static_cast<size_t>(b.count), 0.0f);
  b.step.assign(static_cast<size_t>(b.count), 0.0f);
  return b;
}

// The codes of every value by the definition, without sorting: ordered by (value, index), which is the stable
// sort's order, the 2^split - 1 bucket boundaries are order statistics (nth_element), and each bucket's min and
// max are its least and greatest entries in that order (split above 4, fewer values than buckets, and inputs a
// sample misleads).
void sorted_codes(const float* x, int64_t n, int bits, Buckets& b, uint32_t* codes) {
  std::vector<std::pair<float, int64_t>> entries(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i) entries[static_cast<size_t>(i)] = {x[i], i};
  const auto before = [](const std::pair<float, int64_t>& l, const std::pair<float, int64_t>& r) {
    return l.first < r.first || (!(r.first < l.first) && l.second < r.second);
  };
  for (int64_t j = 1; j < b.count; ++j)
    std::nth_element(entries.begin() + b.position[j - 1], entries.begin() + b.position[j], entries.end(), before);
  const auto top = static_cast<float>((int64_t{1} << bits) - 1);
  std::vector<float> run;
  std::vector<uint32_t> run_codes;
  for (int64_t j = 0; j < b.count; ++j) {
    const auto first = entries.begin() + b.position[j], last = entries.begin() + b.position[j + 1];
    if (first == last) continue;
    const auto [low, high] = std::minmax_element(first, last, before);
    b.min[j] = low->first;
    b.step[j] = (high->first - low->first) / top;
    run.resize(static_cast<size_t>(last - first));
    run_codes.resize(run.size());
    for (auto e = first; e != last; ++e) run[static_cast<size_t>(e - first)] = e->first;
    bucket_codes(run.data(), last - first, b.min[j], b.step[j], top, static_cast<uint32_t>(j << bits),
                 run_codes.data());
    for (auto e = first; e != last; ++e) codes[e->second] = run_codes[static_cast<size_t>(e - first)];
  }
}

// The flag bit of bracket j: bit j, the last one shared from bracket 7 up.
constexpr int flag_bit(int j) { return j < 7 ? j : 7; }

// Adds to less[j] the values of a block below lo[j]; flag[i]: bit flag_bit(j) set when value i is inside
// [lo[j], hi[j]].
template <int Boundaries>
IDDL_VECTOR_CLONES void bracket_block(const float* x, int64_t count, const float* lo, const float* hi, int64_t* less,
                                      uint8_t* flag) {
  int32_t below[Boundaries] = {};
  for (int64_t i = 0; i < count; ++i) {
    int32_t f = 0;
    for (int j = 0; j < Boundaries; ++j) {
      below[j] += x[i] < lo[j] ? 1 : 0;
      f |= ((lo[j] <= x[i] ? 1 : 0) & (x[i] <= hi[j] ? 1 : 0)) << flag_bit(j);
    }
    flag[i] = static_cast<uint8_t>(f);
  }
  for (int j = 0; j < Boundaries; ++j) less[j] += below[j];
}

// How many of n values equal v.
IDDL_VECTOR_CLONES int64_t count_equal(const float* x, int64_t n, float v) {
  int32_t equal = 0;
  for (int64_t i = 0; i < n; ++i) equal += x[i] == v ? 1 : 0;
  return equal;
}

// Inputs from this many values up take their brackets from a sample, smaller ones from a histogram.
constexpr int64_t kSampledInput = int64_t{1} << 20;

// Brackets [lo[j], hi[j]] around positions p_j - 1 and p_j (p_j = b.position[j + 1]) of the sorted order from a
// strided sample of 2^16 values: they hold both positions but for a deviation of more than 5 standard errors.
template <int Boundaries>
void sample_brackets(const float* x, int64_t n, const Buckets& b, float* lo, float* hi) {
  constexpr int64_t kSample = 1 << 16;
  static thread_local std::vector<float> sample;
  sample.resize(static_cast<size_t>(kSample));
  const int64_t stride = n / kSample;
  for (int64_t s = 0; s < kSample; ++s) sample[static_cast<size_t>(s)] = x[s * stride];
  std::sort(sample.begin(), sample.end());
  for (int j = 0; j < Boundaries; ++j) {
    const double q = static_cast<double>(b.position[j + 1]) / static_cast<double>(n);
    const auto margin = static_cast<int64_t>(5.0 * std::sqrt(kSample * q * (1.0 - q)) + 16.0);
    const auto rank = static_cast<int64_t>(q * kSample);
    lo[j] = sample[static_cast<size_t>(std::max<int64_t>(0, rank - margin))];
    hi[j] = sample[static_cast<size_t>(std::min(kSample - 1, rank + margin))];
  }
}

// An unsigned key that orders as its float does (NaN aside), zeros of either sign one key.
inline uint32_t order_key(float v) {
  uint32_t u;
  std::memcpy(&u, &v, 4);
  u = u == 0x80000000u ? 0 : u;
  return u ^ (static_cast<uint32_t>(static_cast<int32_t>(u) >> 31) | 0x80000000u);
}

// The float of an order key.
inline float key_value(uint32_t key) {
  const uint32_t u = key & 0x80000000u ? key & 0x7fffffffu : ~key;
  float v;
  std::memcpy(&v, &u, 4);
  return v;
}

// Histogram bins of order keys: the sign, the exponent and 2 mantissa bits (2,048 bins).
constexpr int kBinShift = 21;
constexpr int64_t kBins = int64_t{1} << (32 - kBinShift);

// Brackets [lo[j], hi[j]] that hold positions p_j - 1 and p_j (p_j = b.position[j + 1], 1 <= p_j < n) of the sorted
// order for certain: the key ranges of their histogram bins; or, where both positions fall in the run of zeros,
// known[j] with the boundary, the value before it (zeros, their signs settled later) and the values below it.
template <int Boundaries>
void histogram_brackets(const float* x, int64_t n, const Buckets& b, float* lo, float* hi, bool* known,
                        float* boundary, float* before, int64_t* below_boundary) {
  static thread_local std::vector<uint32_t> histograms;
  histograms.assign(static_cast<size_t>(4 * kBins), 0);  // four, so that a run of one bin (zeros) is not serial
  uint32_t* h = histograms.data();
  int64_t i = 0;
  for (; i + 4 <= n; i += 4)
    for (int64_t l = 0; l < 4; ++l) ++h[l * kBins + (order_key(x[i + l]) >> kBinShift)];
  for (; i < n; ++i) ++h[order_key(x[i]) >> kBinShift];
  const auto in_bin = [h](int64_t k) { return int64_t{h[k]} + h[kBins + k] + h[2 * kBins + k] + h[3 * kBins + k]; };
  int64_t negatives = 0;  // the bins below the one of zero (key 2^31) hold the values below zero
  for (int64_t k = 0; k < kBins / 2; ++k) negatives += in_bin(k);
  const int64_t zeros = count_equal(x, n, 0.0f);
  int64_t bin = 0, below = 0, count = in_bin(0);  // `below`: values in the bins before `bin`
  const auto bin_of = [&](int64_t position) {
    for (; below + count <= position; count = in_bin(++bin)) below += count;
    return bin;
  };
  for (int j = 0; j < Boundaries; ++j) {
    known[j] = negatives <= b.position[j + 1] - 1 && b.position[j + 1] < negatives + zeros;
    if (known[j]) {
      boundary[j] = before[j] = 0.0f;
      below_boundary[j] = negatives;
      lo[j] = std::numeric_limits<float>::infinity();  // an empty bracket
      hi[j] = -std::numeric_limits<float>::infinity();
      continue;
    }
    const int64_t first = bin_of(b.position[j + 1] - 1), last = bin_of(b.position[j + 1]);
    lo[j] = key_value(static_cast<uint32_t>(first << kBinShift));
    hi[j] = key_value(static_cast<uint32_t>(((last + 1) << kBinShift) - 1));
    if (std::isnan(lo[j])) lo[j] = -std::numeric_limits<float>::infinity();  // the bins of NaN and infinity
    if (std::isnan(hi[j])) hi[j] = std::numeric_limits<float>::infinity();
  }
}

// How many of n values are below v.
IDDL_VECTOR_CLONES int64_t count_below(const float* x, int64_t n, float v) {
  int64_t below = 0;
  for (int64_t i = 0; i < n; ++i) below += x[i] < v ? 1 : 0;
  return below;
}

#if defined(__x86_64__) || defined(__i386__)
// For each 8-bit mask, the lanes it selects, in order (then the others): a left-packing permutation.
std::array<std::array<int32_t, 8>, 256> left_pack_table() {
  std::array<std::array<int32_t, 8>, 256> table{};
  for (int mask = 0; mask < 256; ++mask) {
    int next = 0;
    for (int lane = 0; lane < 8; ++lane)
      if (mask >> lane & 1) table[mask][next++] = lane;
    for (int lane = 0; lane < 8; ++lane)
      if (!(mask >> lane & 1)) table[mask][next++] = lane;
  }
  return table;
}

// Writes the values of x[0..8) inside [lo, hi] to `to` (room for 8), in order; returns how many.
__attribute__((target("avx2"))) int64_t append_inside_avx2(const float* x, float lo, float hi, float* to) {
  static const std::array<std::array<int32_t, 8>, 256> table = left_pack_table();
  const __m256 v = _mm256_loadu_ps(x);
  const __m256 inside = _mm256_and_ps(_mm256_cmp_ps(_mm256_set1_ps(lo), v, _CMP_LE_OQ),
                                      _mm256_cmp_ps(v, _mm256_set1_ps(hi), _CMP_LE_OQ));
  const int mask = _mm256_movemask_ps(inside);
  const __m256i order = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(table[static_cast<size_t>(mask)].data()));
  _mm256_storeu_ps(to, _mm256_permutevar8x32_ps(v, order));
  return __builtin_popcount(static_cast<unsigned>(mask));
}
#endif

// Values of x inside a bracket, appended without branches on each value.
struct Inside {
  std::vector<float> values;
  int64_t size = 0;
};

// The values at positions p_1 .. p_{B-1} (the boundaries b_j, the first value of bucket j), the value just before
// each and, for each, how many values are below it (but those `known` already): read from one pass that counts the
// values below the brackets [lo[j], hi[j]] around each position and collects those inside, and that also finds the
// smallest and largest value (`extremes`, as first_min_last_max). False when a bracket misses its position.
template <int Boundaries>
bool find_boundaries(const float* x, int64_t n, const Buckets& b, const float* lo, const float* hi, const bool* known,
                     float* boundary, float* before, int64_t* below, std::pair<float, float>& extremes) {
  int64_t less[Boundaries] = {};
  static thread_local Inside inside[Boundaries];
  for (Inside& v : inside) v.size = 0;
  uint8_t flag[kBlock] = {};
  float low = x[0], high = x[0];
  for (int64_t block = 0; block < n; block += kBlock) {
    const int64_t count = std::min(kBlock, n - block);
    const float* xb = x + block;
    prefetch_next_block(xb, count, n - block - count);
    bracket_block<Boundaries>(xb, count, lo, hi, less, flag);
    std::tie(low, high) = lane_minmax(xb, count, low, high);  // the block is in L1 now
    for (int64_t word = 0; word < count; word += 8) {  // most values are outside every bracket: 8 flags at a time
      uint64_t flags;
      std::memcpy(&flags, flag + word, 8);
      if (flags == 0) continue;
      for (int j = 0; j < Boundaries; ++j) {
        if ((flags & (uint64_t{0x0101010101010101} << flag_bit(j))) == 0) continue;
        Inside& v = inside[j];
        if (v.size + 8 > static_cast<int64_t>(v.values.size())) v.values.resize(v.values.size() * 2 + 64);
        const float low_j = lo[j], high_j = hi[j];
        float* to = v.values.data();
        int64_t size = v.size;
#if defined(__x86_64__) || defined(__i386__)
        if (word + 8 <= count && has_avx2()) {
          v.size += append_inside_avx2(xb + word, low_j, high_j, to + size);
          continue;
        }
#endif
        for (int64_t i = word; i < std::min(count, word + 8); ++i) {
          to[size] = xb[i];
          size += (low_j <= xb[i] ? 1 : 0) & (xb[i] <= high_j ? 1 : 0);
        }
        v.size = size;
      }
    }
  }
  extremes = first_min_last_max(x, n, low, high);
  for (int j = 0; j < Boundaries; ++j) {
    if (known[j]) continue;
    const int64_t rank = b.position[j + 1] - less[j];  // of b_j among the values inside the bracket
    const auto first = inside[j].values.begin(), last = first + inside[j].size;
    if (rank < 1 || rank >= inside[j].size) return false;
    std::nth_element(first, first + rank, last);
    boundary[j] = first[rank];
    before[j] = lane_minmax(&first[0], rank, first[0], first[0]).second;  // (the sign of a zero is settled later)
    below[j] = less[j] + count_below(&first[0], rank, boundary[j]);
  }
  return true;
}

// The codes of `count` values of a block without a value equal to a boundary: bucket = boundaries below the value.
template <int Boundaries>
IDDL_VECTOR_CLONES int64_t block_codes(const float* x, int64_t count, const float* boundary, const float* min,
                                       const float* step, float top, int bits, uint32_t* codes) {
  // (Local copies of the tables, int32 counters and selects rather than loads in the loop: it vectorizes.)
  float bound[Boundaries], mins[Boundaries + 1], steps[Boundaries + 1];
  for (int k = 0; k < Boundaries; ++k) bound[k] = boundary[k];
  for (int k = 0; k <= Boundaries; ++k) {
    mins[k] = min[k];
    steps[k] = step[k];
  }
  int32_t ties = 0;
  for (int64_t i = 0; i < count; ++i) {
    int32_t j = 0;
    float m = mins[0], s = steps[0];
    for (int k = 0; k < Boundaries; ++k) {  // the boundaries ascend: the last one below x[i] names the bucket
      const bool above = bound[k] < x[i];
      j += above ? 1 : 0;
      m = above ? mins[k + 1] : m;
      s = above ? steps[k + 1] : s;
      ties += bound[k] == x[i] ? 1 : 0;
    }
    const float level = s > 0.0f ? level_of(x[i], m, s, top) : 0.0f;
    codes[i] = static_cast<uint32_t>(j << bits) | static_cast<uint32_t>(static_cast<int32_t>(level));
  }
  return ties;
}

// codes[i] = code where x[i] equals v.
IDDL_VECTOR_CLONES void set_equal(const float* x, int64_t n, float v, uint32_t code, uint32_t* codes) {
  for (int64_t i = 0; i < n; ++i) codes[i] = x[i] == v ? code : codes[i];
}

// Whether any of n floats is -0.
IDDL_VECTOR_CLONES bool has_negative_zero(const float* x, int64_t n) {
  int32_t found = 0;
  for (int64_t i = 0; i < n; ++i) {
    uint32_t u;
    std::memcpy(&u, x + i, 4);
    found |= u == 0x80000000u ? 1 : 0;
  }
  return found != 0;
}

// The k-th (from 0) zero of either sign of x in index order; `last`: the last one.
float zero_at(const float* x, int64_t n, int64_t k, bool last) {
  if (last) return *std::find(std::make_reverse_iterator(x + n), std::make_reverse_iterator(x), 0.0f);
  int64_t i = 0;
  for (int64_t zeros; i + 64 <= n && k >= (zeros = count_equal(x + i, 64, 0.0f)); i += 64) k -= zeros;
  for (; i < n; ++i)
    if (x[i] == 0.0f && k-- == 0) return x[i];
  return 0.0f;
}

// Sortquant codes of n values (n >= B) with `Boundaries` = B - 1 boundaries, packed at `wire` bits a code into
// `packed` block by block; false (nothing written) when the sample misleads.
template <int Boundaries>
bool selected_codes(const float* x, int64_t n, int bits, int wire, Buckets& b, uint8_t* packed) {
  float lo[Boundaries], hi[Boundaries], boundary[Boundaries], before[Boundaries];
  int64_t below[Boundaries];
  bool known[Boundaries] = {};
  if (n >= kSampledInput) {
    sample_brackets<Boundaries>(x, n, b, lo, hi);
  } else {
    histogram_brackets<Boundaries>(x, n, b, lo, hi, known, boundary, before, below);
  }
  std::pair<float, float> extremes;
  if (!find_boundaries<Boundaries>(x, n, b, lo, hi, known, boundary, before, below, extremes)) return false;
  // A boundary or the value before it that is zero is the zero of its position: the zeros sort in index order.
  // (Only zeros of both signs can differ: without a -0 every zero is +0.)
  const bool zero_boundary = std::any_of(boundary, boundary + Boundaries, [](float v) { return v == 0.0f; }) ||
                             std::any_of(before, before + Boundaries, [](float v) { return v == 0.0f; });
  const bool signed_zeros = zero_boundary && has_negative_zero(x, n);
  for (int j = 0; signed_zeros && j < Boundaries; ++j) {
    if (before[j] == 0.0f)
      before[j] = zero_at(x, n, b.position[j + 1] - 1 - below[j], !(boundary[j] == 0.0f));
    if (boundary[j] == 0.0f) boundary[j] = zero_at(x, n, b.position[j + 1] - below[j], false);
  }
  const auto [low, high] = extremes;
  const auto top = static_cast<float>((int64_t{1} << bits) - 1);
  for (int j = 0; j <= Boundaries; ++j) {
    b.min[j] = j == 0 ? low : boundary[j - 1];
    b.step[j] = ((j == Boundaries ? high : before[j]) - b.min[j]) / top;
  }
  const auto code_of = [&](int64_t bucket, float v) {
    const float level = b.step[bucket] > 0.0f ? level_of(v, b.min[bucket], b.step[bucket], top) : 0.0f;
    return static_cast<uint32_t>(bucket) << bits | static_cast<uint32_t>(static_cast<int32_t>(level));
  };
  // Values equal to boundary b_j (j the first of equal boundaries) in index order take positions below[j],
  // below[j] + 1, ...: the bucket of a position is j plus the number of p_k (k > j, b_{k-1} = b_j) at or below it.
  const auto bucket_at = [&](int j, int64_t position) {
    int64_t bucket = j;
    for (int k = j; k < Boundaries && boundary[k] == boundary[j]; ++k) bucket += b.position[k + 1] <= position;
    return bucket;
  };
  int64_t seen[Boundaries] = {};
  for (int64_t block = 0; block < n; block += kBlock) {
    const int64_t count = std::min(kBlock, n - block);
    const float* xb = x + block;
    prefetch_next_block(xb, count, n - block - count);
    uint32_t cb[kBlock];  // a block of kBlock codes packs into whole bytes
    const bool ties = block_codes<Boundaries>(xb, count, boundary, b.min.data(), b.step.data(), top, bits, cb) > 0;
    for (int j = 0; ties && j < Boundaries; ++j) {
      if (j > 0 && boundary[j] == boundary[j - 1]) continue;  // the run of equal boundaries starts at j - 1
      const float v = boundary[j];
      const int64_t equal = count_equal(xb, count, v);
      if (equal == 0) continue;
      const int64_t first = below[j] + seen[j];
      seen[j] += equal;
      if (bucket_at(j, first) == bucket_at(j, first + equal - 1)) {  // one bucket for all of them
        set_equal(xb, count, v, code_of(bucket_at(j, first), v), cb);
        continue;
      }
      int64_t position = first;
      for (int64_t i = 0; i < count; ++i)
        if (xb[i] == v) cb[i] = code_of(bucket_at(j, position++), v);
    }
    pack_bits(cb, count, wire, packed + block / 8 * wire);
  }
  return true;
}

}  // namespace

namespace {

// Sortquant codes of n values with 2^split buckets, packed at `wire` bits into `packed`: the selected boundaries
// (split 1..4, at least one value a bucket), else the (value, index) order statistics.
void split_codes(const float* x, int64_t n, int bits, int split, int wire, Buckets& b, uint8_t* packed) {
  if (n >= b.count) {
    switch (split) {
      case 1: if (selected_codes<1>(x, n, bits, wire, b, packed)) return; break;
      case 2: if (selected_codes<3>(x, n, bits, wire, b, packed)) return; break;
      case 3: if (selected_codes<7>(x, n, bits, wire, b, packed)) return; break;
      case 4: if (selected_codes<15>(x, n, bits, wire, b, packed)) return; break;
      default: break;
    }
  }
  std::vector<uint32_t> codes(static_cast<size_t>(n));
  sorted_codes(x, n, bits, b, codes.data());
  // A code in a whole byte or two is the same code packed at 8 or 16 bits (least significant byte first).
  pack_bits(codes.data(), n, wire, packed);
}

#if defined(__x86_64__) || defined(__i386__)
// decode_codes of 1..8 buckets (split 0..3) for `count` (a multiple of 8) codes: the table in two registers, read
// with a lane permute; `stream`: non-temporal stores (`out` 32-byte aligned, the caller fences).
__attribute__((target("avx2"))) void decode_codes_avx2(const uint32_t* codes, int64_t count, int bits, int split,
                                                       const float* min, const float* step, bool stream, float* out) {
  float mins[8] = {}, steps[8] = {};
  for (int j = 0; j < (1 << split); ++j) {
    mins[j] = min[j];
    steps[j] = step[j];
  }
  const __m256 table_min = _mm256_loadu_ps(mins), table_step = _mm256_loadu_ps(steps);
  const __m256i level_mask = _mm256_set1_epi32(static_cast<int>((1u << bits) - 1));
  const __m256i bucket_mask = _mm256_set1_epi32((1 << split) - 1);
  const __m128i shift = _mm_cvtsi32_si128(bits);
  for (int64_t i = 0; i < count; i += 8) {
    const __m256i c = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(codes + i));
    const __m256i j = _mm256_and_si256(_mm256_srl_epi32(c, shift), bucket_mask);
    const __m256 level = _mm256_cvtepi32_ps(_mm256_and_si256(c, level_mask));
    const __m256 value = _mm256_add_ps(_mm256_permutevar8x32_ps(table_min, j),
                                       _mm256_mul_ps(level, _mm256_permutevar8x32_ps(table_step, j)));
    if (stream) {
      _mm256_stream_ps(out + i, value);
    } else {
      _mm256_storeu_ps(out + i, value);
    }
  }
}

// decode_codes of one bucket for `count` (a multiple of 8) codes in bytes, as decode_codes_avx2.
__attribute__((target("avx2"))) void decode_bytes_avx2(const uint8_t* codes, int64_t count, int bits, float min,
                                                       float step, bool stream, float* out) {
  const __m256 table_min = _mm256_set1_ps(min), table_step = _mm256_set1_ps(step);
  const __m256i level_mask = _mm256_set1_epi32(static_cast<int>((1u << bits) - 1));
  for (int64_t i = 0; i < count; i += 8) {
    const __m256i c = _mm256_cvtepu8_epi32(_mm_loadl_epi64(reinterpret_cast<const __m128i*>(codes + i)));
    const __m256 level = _mm256_cvtepi32_ps(_mm256_and_si256(c, level_mask));
    const __m256 value = _mm256_add_ps(table_min, _mm256_mul_ps(level, table_step));
    if (stream) {
      _mm256_stream_ps(out + i, value);
    } else {
      _mm256_storeu_ps(out + i, value);
    }
  }
}
#endif

// Values of `count` codes: min[j] + level * step[j] for bucket j in the high bits (masked: an Int container has room
// above the bucket index, and the mask keeps a malformed code inside the table). `stream`: may store past the
// caches (the caller fences).
IDDL_VECTOR_CLONES void decode_codes(const uint32_t* codes, int64_t count, int bits, int split, const float* min,
                                     const float* step, bool stream, float* out) {
  const uint32_t level_mask = (1u << bits) - 1, bucket_mask = (1u << split) - 1;
#if defined(__x86_64__) || defined(__i386__)
  if (split <= 3 && has_avx2()) {
    const int64_t whole = count / 8 * 8;
    decode_codes_avx2(codes, whole, bits, split, min, step, stream && reinterpret_cast<uintptr_t>(out) % 32 == 0, out);
    codes += whole;
    out += whole;
    count -= whole;
  }
#endif
  if (split == 0) {  // one bucket: no table lookups
    for (int64_t i = 0; i < count; ++i)
      out[i] = min[0] + static_cast<float>(static_cast<int32_t>(codes[i] & level_mask)) * step[0];
    return;
  }
  for (int64_t i = 0; i < count; ++i) {
    const uint32_t c = codes[i], j = (c >> bits) & bucket_mask;
    out[i] = min[j] + static_cast<float>(static_cast<int32_t>(c & level_mask)) * step[j];
  }
}

}  // namespace

ActivationQuantizer::ActivationQuantizer(int bits, int split, CodeContainer container)
    : bits_(bits), split_(split), container_(container) {
  if (bits < 1 || bits > 16)
    throw std::invalid_argument("activation quantizer: bits must be 1..16, got " + std::to_string(bits));
  if (split < 0 || split > 8)
    throw std::invalid_argument("activation quantizer: split must be 0..8, got " + std::to_string(split));
}

int ActivationQuantizer::wire_bits() const {
  if (container_ == CodeContainer::Packed) return bits_ + split_;
  return bits_ + split_ <= 8 ? 8 : 16;
}

int64_t ActivationQuantizer::payload_bytes(int64_t numel) const {
  return 8 * (int64_t{1} << split_) + packed_bytes(numel, wire_bits());
}

torch::Tensor ActivationQuantizer::encode(const torch::Tensor& x) const {
  const torch::Tensor flat = x.detach().reshape(-1).to(torch::kCPU, torch::kFloat32).contiguous();
  const int64_t n = flat.numel();
  const float* values = flat.data_ptr<float>();
  Buckets b = bucket_positions(n, split_);
  torch::Tensor payload = torch::empty({payload_bytes(n)}, torch::kUInt8);
  uint8_t* out = payload.data_ptr<uint8_t>();
  uint8_t* packed = out + 8 * b.count;
  const int wire = wire_bits();
  // The code of value v in bucket j: round((v - min) / step) in [0, 2^bits - 1], bucket j in the high bits.
  if (n > 0 && split_ == 0) {
    const auto [low, high] = first_min_last_max(values, n);
    const auto top = static_cast<float>((int64_t{1} << bits_) - 1);
    b.min[0] = low;
    b.step[0] = (high - low) / top;
    uint32_t codes[kBlock];  // a block of kBlock codes packs into whole bytes
    for (int64_t block = 0; block < n; block += kBlock) {
      const int64_t count = std::min(kBlock, n - block);
      prefetch_next_block(values + block, count, n - block - count);
      uint8_t* block_out = packed + block / 8 * wire;
      if (wire == 8) {
        byte_codes(values + block, count, b.min[0], b.step[0], top, block_out);
      } else {
        bucket_codes(values + block, count, b.min[0], b.step[0], top, 0, codes);
        pack_bits(codes, count, wire, block_out);
      }
    }
  } else if (n > 0) {
    split_codes(values, n, bits_, split_, wire, b, packed);
  }
  for (int64_t j = 0; j < b.count; ++j) {
    std::memcpy(out + 8 * j, &b.min[j], 4);
    std::memcpy(out + 8 * j + 4, &b.step[j], 4);
  }
  return payload;
}

BucketTable ActivationQuantizer::table(const torch::Tensor& payload) const {
  const int64_t buckets = int64_t{1} << split_;
  if (payload.scalar_type() != torch::kUInt8 || !payload.is_contiguous() || payload.numel() < 8 * buckets)
    throw std::invalid_argument("activation quantizer: payload too short for its table");
  const uint8_t* in = payload.data_ptr<uint8_t>();
  BucketTable table{torch::empty({buckets}, torch::kFloat32), torch::empty({buckets}, torch::kFloat32)};
  for (int64_t j = 0; j < buckets; ++j) {
    std::memcpy(table.min.data_ptr<float>() + j, in + 8 * j, 4);
    std::memcpy(table.step.data_ptr<float>() + j, in + 8 * j + 4, 4);
  }
  return table;
}

torch::Tensor ActivationQuantizer::decode(const torch::Tensor& payload, at::IntArrayRef shape) const {
  int64_t n = 1;
  for (const int64_t size : shape) n *= size;
  if (payload.numel() < payload_bytes(n))
    throw std::invalid_argument("activation quantizer: payload of " + std::to_string(payload.numel()) +
                                " bytes, expected " + std::to_string(payload_bytes(n)));
  if (payload.scalar_type() != torch::kUInt8 || !payload.is_contiguous())
    throw std::invalid_argument("activation quantizer: payload must be contiguous bytes");
  const int64_t buckets = int64_t{1} << split_;
  float min[256], step[256];  // the table (at most 2^8 buckets)
  const uint8_t* in = payload.data_ptr<uint8_t>();
  for (int64_t j = 0; j < buckets; ++j) {
    std::memcpy(min + j, in + 8 * j, 4);
    std::memcpy(step + j, in + 8 * j + 4, 4);
  }
  const uint8_t* packed = in + 8 * buckets;
  torch::Tensor out = torch::empty({n}, torch::kFloat32);
  float* values = out.data_ptr<float>();
  // A vector larger than the caches keep (8 MiB) is written past them, so its lines are not first read.
  const bool stream = n >= (int64_t{1} << 21);
  uint32_t codes[kBlock];  // a block of kBlock codes unpacks from whole bytes
  for (int64_t block = 0; block < n; block += kBlock) {
    const int64_t count = std::min(kBlock, n - block);
    const uint8_t* block_in = packed + block / 8 * wire_bits();
#if defined(__x86_64__) || defined(__i386__)
    if (wire_bits() == 8 && split_ == 0 && count % 8 == 0 && has_avx2()) {  // one bucket in bytes: one pass
      decode_bytes_avx2(block_in, count, bits_, min[0], step[0],
                        stream && reinterpret_cast<uintptr_t>(values + block) % 32 == 0, values + block);
      continue;
    }
#endif
    if (wire_bits() == 8) {
      for (int64_t i = 0; i < count; ++i) codes[i] = block_in[i];
    } else {
      unpack_bits(block_in, count, wire_bits(), codes);
    }
    decode_codes(codes, count, bits_, split_, min, step, stream, values + block);
  }
#if defined(__x86_64__) || defined(__i386__)
  if (stream) _mm_sfence();
#endif
  return out.view(shape);
}

ActivationQuantizer sortquant(int bits, int split, CodeContainer container) {
  if (bits != 4 && bits != 8 && bits != 12 && bits != 16)
    throw std::invalid_argument("sortquant: bits must be 4, 8, 12 or 16, got " + std::to_string(bits));
  if (split < 1)
    throw std::invalid_argument("sortquant: split must be 1..8 (0 is uniform), got " + std::to_string(split));
  return ActivationQuantizer(bits, split, container);
}

ActivationQuantizer uniform(int bits, CodeContainer container) { return ActivationQuantizer(bits, 0, container); }

}  // namespace iddl::compress
