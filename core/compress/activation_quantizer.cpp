#include "core/compress/activation_quantizer.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <iterator>
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

// Entries coded per block: a block's codes stay in L1.
constexpr int64_t kBlock = 2048;

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
// max are its least and greatest entries in that order (small inputs, and inputs a sample misleads).
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

// Adds to less[j] the values of a block below lo[j]; flag[i]: whether value i is inside some [lo[j], hi[j]].
template <int Boundaries>
IDDL_VECTOR_CLONES void bracket_block(const float* x, int64_t count, const float* lo, const float* hi, int64_t* less,
                                      uint8_t* flag) {
  int32_t below[Boundaries] = {};
  for (int64_t i = 0; i < count; ++i) {
    int32_t f = 0;
    for (int j = 0; j < Boundaries; ++j) {
      below[j] += x[i] < lo[j] ? 1 : 0;
      f |= (lo[j] <= x[i] ? 1 : 0) & (x[i] <= hi[j] ? 1 : 0);
    }
    flag[i] = static_cast<uint8_t>(f);
  }
  for (int j = 0; j < Boundaries; ++j) less[j] += below[j];
}

// The values at positions p_1 .. p_{B-1} (the boundaries b_j, the first value of bucket j), the value just before
// each and, for each, how many values are below it: read from one pass that counts the values below a bracket
// around each position (from a strided sample) and collects those inside, and that also finds the smallest and
// largest value (`extremes`, as first_min_last_max). False when a bracket misses its position.
template <int Boundaries>
bool find_boundaries(const float* x, int64_t n, const Buckets& b, float* boundary, float* before, int64_t* below,
                     std::pair<float, float>& extremes) {
  constexpr int64_t kSample = 1 << 16;
  std::vector<float> sample(static_cast<size_t>(kSample));
  const int64_t stride = n / kSample;
  for (int64_t s = 0; s < kSample; ++s) sample[static_cast<size_t>(s)] = x[s * stride];
  std::sort(sample.begin(), sample.end());
  float lo[Boundaries], hi[Boundaries];
  for (int j = 0; j < Boundaries; ++j) {
    // Positions p_j - 1 and p_j inside [lo, hi] but for a deviation of more than 5 standard errors.
    const double q = static_cast<double>(b.position[j + 1]) / static_cast<double>(n);
    const auto margin = static_cast<int64_t>(5.0 * std::sqrt(kSample * q * (1.0 - q)) + 16.0);
    const auto rank = static_cast<int64_t>(q * kSample);
    lo[j] = sample[static_cast<size_t>(std::max<int64_t>(0, rank - margin))];
    hi[j] = sample[static_cast<size_t>(std::min(kSample - 1, rank + margin))];
  }
  int64_t less[Boundaries] = {};
  std::vector<float> inside[Boundaries];
  uint8_t flag[kBlock] = {};
  float low = x[0], high = x[0];
  for (int64_t block = 0; block < n; block += kBlock) {
    const int64_t count = std::min(kBlock, n - block);
    const float* xb = x + block;
    bracket_block<Boundaries>(xb, count, lo, hi, less, flag);
    std::tie(low, high) = lane_minmax(xb, count, low, high);  // the block is in L1 now
    for (int64_t word = 0; word < count; word += 8) {  // most values are outside every bracket: 8 flags at a time
      uint64_t flags;
      std::memcpy(&flags, flag + word, 8);
      if (flags == 0) continue;
      for (int64_t i = word; i < std::min(count, word + 8); ++i)
        if (flag[i])
          for (int j = 0; j < Boundaries; ++j)
            if (lo[j] <= xb[i] && xb[i] <= hi[j]) inside[j].push_back(xb[i]);
    }
  }
  extremes = first_min_last_max(x, n, low, high);
  for (int j = 0; j < Boundaries; ++j) {
    const int64_t rank = b.position[j + 1] - less[j];  // of b_j among the values inside the bracket
    std::vector<float>& v = inside[j];
    if (rank < 1 || rank >= static_cast<int64_t>(v.size())) return false;
    std::nth_element(v.begin(), v.begin() + rank, v.end());
    boundary[j] = v[static_cast<size_t>(rank)];
    before[j] = *std::max_element(v.begin(), v.begin() + rank);
    below[j] = less[j] + std::count_if(v.begin(), v.begin() + rank, [&](float e) { return e < boundary[j]; });
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

// Sortquant codes of n values (n >= 2^16) with `Boundaries` = B - 1 boundaries, packed at `wire` bits a code into
// `packed` block by block; false (nothing written) when the sample misleads.
template <int Boundaries>
bool selected_codes(const float* x, int64_t n, int bits, int wire, Buckets& b, uint8_t* packed) {
  float boundary[Boundaries], before[Boundaries];
  int64_t below[Boundaries];
  std::pair<float, float> extremes;
  if (!find_boundaries<Boundaries>(x, n, b, boundary, before, below, extremes)) return false;
  const auto [low, high] = extremes;
  const auto top = static_cast<float>((int64_t{1} << bits) - 1);
  for (int j = 0; j <= Boundaries; ++j) {
    b.min[j] = j == 0 ? low : boundary[j - 1];
    b.step[j] = ((j == Boundaries ? high : before[j]) - b.min[j]) / top;
  }
  // Values equal to boundary b_j in index order take positions below[j], below[j] + 1, ...: the bucket of a
  // position is the number of p_j (j >= 1) at or below it.
  int64_t seen[Boundaries] = {};
  for (int64_t block = 0; block < n; block += kBlock) {
    const int64_t count = std::min(kBlock, n - block);
    const float* xb = x + block;
    uint32_t cb[kBlock];  // a block of kBlock codes packs into whole bytes
    const bool ties = block_codes<Boundaries>(xb, count, boundary, b.min.data(), b.step.data(), top, bits, cb) > 0;
    for (int64_t i = 0; ties && i < count; ++i) {
      int j = 0;
      while (j < Boundaries && boundary[j] < xb[i]) ++j;
      if (j == Boundaries || boundary[j] != xb[i]) continue;
      const int64_t position = below[j] + seen[j]++;
      int bucket = j;
      for (int k = j; k < Boundaries && boundary[k] == xb[i]; ++k) bucket += b.position[k + 1] <= position;
      const float level = b.step[bucket] > 0.0f ? level_of(xb[i], b.min[bucket], b.step[bucket], top) : 0.0f;
      cb[i] = static_cast<uint32_t>(bucket) << bits | static_cast<uint32_t>(static_cast<int32_t>(level));
    }
    pack_bits(cb, count, wire, packed + block / 8 * wire);
  }
  return true;
}

}  // namespace

namespace {

// Sortquant codes of n values with 2^split buckets, packed at `wire` bits into `packed`: the selected boundaries for
// large inputs (split 1..4), else a stable sort.
void split_codes(const float* x, int64_t n, int bits, int split, int wire, Buckets& b, uint8_t* packed) {
  if (n >= (int64_t{1} << 20)) {
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

bool has_avx2() {
  static const bool supported = __builtin_cpu_supports("avx2");
  return supported;
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
      bucket_codes(values + block, count, b.min[0], b.step[0], top, 0, codes);
      uint8_t* block_out = packed + block / 8 * wire;
      if (wire == 8) {
        for (int64_t i = 0; i < count; ++i) block_out[i] = static_cast<uint8_t>(codes[i]);
      } else {
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
  const BucketTable buckets = table(payload);
  const float* min = buckets.min.data_ptr<float>();
  const float* step = buckets.step.data_ptr<float>();
  const uint8_t* packed = payload.data_ptr<uint8_t>() + 8 * buckets.min.numel();
  torch::Tensor out = torch::empty({n}, torch::kFloat32);
  float* values = out.data_ptr<float>();
  // A vector larger than the caches keep (8 MiB) is written past them, so its lines are not first read.
  const bool stream = n >= (int64_t{1} << 21);
  uint32_t codes[kBlock];  // a block of kBlock codes unpacks from whole bytes
  for (int64_t block = 0; block < n; block += kBlock) {
    const int64_t count = std::min(kBlock, n - block);
    const uint8_t* block_in = packed + block / 8 * wire_bits();
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
