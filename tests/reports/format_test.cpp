#include "reports/format.hpp"

#include <gtest/gtest.h>

namespace iddl::reports {
namespace {

TEST(reports_format, Durations) {
  EXPECT_EQ(format_duration(0.45), "450ms");
  EXPECT_EQ(format_duration(12.34), "12.3s");
  EXPECT_EQ(format_duration(59.97), "1m00s");
  EXPECT_EQ(format_duration(114.4), "1m54s");
  EXPECT_EQ(format_duration(605), "10m05s");
  EXPECT_EQ(format_duration(7387), "2h03m07s");
}

TEST(reports_format, Percent) {
  EXPECT_EQ(format_percent(0.87346), "87.35%");
  EXPECT_EQ(format_percent(1.0), "100.00%");
  EXPECT_EQ(format_percent(0.0), "0.00%");
}

TEST(reports_format, Counts) {
  EXPECT_EQ(format_count(0), "0");
  EXPECT_EQ(format_count(950), "950");
  EXPECT_EQ(format_count(94600), "94.6K");
  EXPECT_EQ(format_count(310000), "0.31M");
  EXPECT_EQ(format_count(101770), "0.102M");
  EXPECT_EQ(format_count(557890000), "557.89M");
  EXPECT_EQ(format_count(999999), "1M");
  EXPECT_EQ(format_count(1.2e9), "1.2G");
}

TEST(reports_format, Bytes) {
  EXPECT_EQ(format_bytes(0), "0 B");
  EXPECT_EQ(format_bytes(512), "512 B");
  EXPECT_EQ(format_bytes(1536), "1.5 KiB");
  EXPECT_EQ(format_bytes(12.25 * 1024 * 1024), "12.25 MiB");
  EXPECT_EQ(format_bytes(3.0 * 1024 * 1024 * 1024), "3 GiB");
}

TEST(reports_format, Rates) {
  EXPECT_EQ(format_rate(800), "800 B/s");
  EXPECT_EQ(format_rate(12500), "12.5 kB/s");
  EXPECT_EQ(format_rate(3.2e6), "3.2 MB/s");
  EXPECT_EQ(format_rate(1.1e9), "1.1 GB/s");
}

TEST(reports_format, Milliseconds) {
  EXPECT_EQ(format_milliseconds(0.0625), "0.0625ms");
  EXPECT_EQ(format_milliseconds(12.34), "12.3ms");
  EXPECT_EQ(format_milliseconds(450), "450ms");
  EXPECT_EQ(format_milliseconds(1500), "1.5s");
}

TEST(reports_format, Decimals) {
  EXPECT_EQ(format_decimal(0.3125), "0.3125");
  EXPECT_EQ(format_decimal(2.302585), "2.303");
  EXPECT_EQ(format_decimal(0), "0");
}

TEST(reports_format, SignedDifferences) {
  EXPECT_EQ(format_points(0.0125), "+1.25 pp");
  EXPECT_EQ(format_points(-0.5), "-50.00 pp");
  EXPECT_EQ(format_signed(12.34, format_duration), "+12.3s");
  EXPECT_EQ(format_signed(-62, format_duration), "-1m02s");
  EXPECT_EQ(format_signed(-1536, format_bytes), "-1.5 KiB");
  EXPECT_EQ(format_signed(0, format_bytes), "0 B");
}

}  // namespace
}  // namespace iddl::reports
