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
  // As papers print FLOPs and parameters: 950, 94.6K, 0.31M and 0.102M (from 100K on), 557.89M, 1.2G.
  const double size = std::abs(count);
  if (size >= 1e9) return two_decimals(count / 1e9) + "G";
  if (size >= 1e6) return two_decimals(count / 1e6) + "M";
  if (size >= 1e5 && std::round(size / 1e3) < 1e3) return fmt::format("{:.3g}M", count / 1e6);
  if (size >= 1e5) return "1M";
  if (size >= 1e3) return two_decimals(count / 1e3) + "K";
  return two_decimals(count);
}

std::string format_integer(double value) { return fmt::format("{:.0f}", value); }

std::string format_bytes(double bytes) {
  return scaled(bytes, 1024.0, std::array<const char*, 5>{" B", " KiB", " MiB", " GiB", " TiB"});
}

std::string format_rate(double bytes_per_second) {
  return scaled(bytes_per_second, 1000.0, std::array<const char*, 5>{" B/s", " kB/s", " MB/s", " GB/s", " TB/s"});
}

std::string format_per_second(double per_second) { return fmt::format("{:.2f}/s", per_second); }

std::string format_milliseconds(double milliseconds) {
  if (std::abs(milliseconds) >= 999.5) return format_duration(milliseconds / 1000);
  return fmt::format("{:.3g}ms", milliseconds);
}

std::string format_decimal(double value) { return fmt::format("{:.4g}", value); }

std::string format_points(double fraction_difference) {
  if (std::abs(fraction_difference) < 0.00005) return "0.00 pp";  // would round to a signed zero
  return fmt::format("{:+.2f} pp", fraction_difference * 100);
}

std::string format_signed(double difference, std::string (*format)(double)) {
  if (difference == 0) return format(0);
  return (difference > 0 ? "+" : "-") + format(std::abs(difference));
}

std::string format_raw(double value) {
  if (!std::isfinite(value)) return "";
  if (value == std::trunc(value) && std::abs(value) < 9007199254740992.0)
    return fmt::format("{}", static_cast<long long>(value));
  return fmt::format("{:.12g}", value);
}

}  // namespace iddl::reports
