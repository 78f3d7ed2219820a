#include "reports/format.hpp"

#include <fmt/format.h>

#include <array>
#include <cmath>

namespace iddl::reports {

namespace {

// value with 2 decimals, trailing zeros (and a trailing point) removed: 94.60 -> "94.6", 3.00 -> "3".
std::string two_decimals(double value) {
  std::string text = fmt::format("{:.2f}", value);
  while (text.back() == '0') text.pop_back();
  if (text.back() == '.') text.pop_back();
  return text == "-0" ? "0" : text;
}

// value scaled down by base until it is below base (or the units run out), then written with
// two_decimals and the unit at that step.
template <size_t N>
std::string scaled(double value, double base, const std::array<const char*, N>& units) {
  size_t unit = 0;
  while (unit + 1 < N && std::abs(value) >= base) {
    value /= base;
    ++unit;
  }
  if (unit + 1 < N && std::abs(std::round(value * 100) / 100) >= base) {  // 999.999K rounds to 1000K: use 1M
    value /= base;
    ++unit;
  }
  return two_decimals(value) + units[unit];
}

}  // namespace

std::string format_duration(double seconds) {
  if (std::abs(seconds) < 1.0) return fmt::format("{:.0f}ms", seconds * 1000);
  if (std::abs(std::round(seconds * 10) / 10) < 60.0) return fmt::format("{:.1f}s", seconds);
  const long long total = std::llround(seconds);
  const long long hours = total / 3600;
  const long long minutes = total % 3600 / 60;
  const long long rest = total % 60;
  if (hours == 0) return fmt::format("{}m{:02}s", minutes, rest);
  return fmt::format("{}h{:02}m{:02}s", hours, minutes, rest);
}

std::string format_percent(double fraction) { return fmt::format("{:.2f}%", fraction * 100); }

std::string format_count(double count) {
  return scaled(count, 1000.0, std::array<const char*, 5>{"", "K", "M", "G", "T"});
}

std::string format_bytes(double bytes) {
  return scaled(bytes, 1024.0, std::array<const char*, 5>{" B", " KiB", " MiB", " GiB", " TiB"});
}

std::string format_rate(double bytes_per_second) {
  return scaled(bytes_per_second, 1000.0, std::array<const char*, 5>{" B/s", " kB/s", " MB/s", " GB/s", " TB/s"});
}

}  // namespace iddl::reports
