#include "reports/metric_columns.hpp"

#include <gtest/gtest.h>

#include <stdexcept>

#include "reports/names.hpp"

namespace iddl::reports {
namespace {

std::vector<std::string> columns(const std::vector<const Metric*>& chosen) {
  std::vector<std::string> names;
  for (const Metric* metric : chosen) names.push_back(metric->column);
  return names;
}

TEST(reports_metric_columns, EveryDatabaseMetricIsKnownOnce) {
  const std::vector<std::string> expected = {"test_accuracy", "train_time_s",  "params",           "flops",
                                             "bytes_sent",    "bandwidth_Bps", "inference_time_s", "latency_ms",
                                             "test_loss",     "train_loss",    "comm_time_s",      "bytes_received",
                                             "epochs"};
  std::vector<std::string> names;
  for (const Metric& metric : metrics()) names.push_back(metric.column);
  EXPECT_EQ(names, expected);
  for (size_t i = 0; i < metrics().size(); ++i) EXPECT_EQ(metric_index(metrics()[i]), i);
}

TEST(reports_metric_columns, DefaultsAreTheClassicReportColumns) {
  EXPECT_EQ(columns(default_metrics()), (std::vector<std::string>{"epochs", "train_time_s", "test_accuracy", "params",
                                                                  "flops", "bytes_sent", "bandwidth_Bps"}));
}

TEST(reports_metric_columns, ListKeepsItsOrderAndTrimsBlanks) {
  EXPECT_EQ(columns(parse_metric_list("latency_ms, test_accuracy ,flops")),
            (std::vector<std::string>{"latency_ms", "test_accuracy", "flops"}));
}

TEST(reports_metric_columns, UnknownNameSuggestsTheClosest) {
  try {
    parse_metric_list("test_accuracy,trian_time_s");
    FAIL() << "expected an error";
  } catch (const std::invalid_argument& error) {
    EXPECT_STREQ(error.what(), "unknown column 'trian_time_s' (did you mean 'train_time_s'?)");
  }
  try {
    parse_metric_list("zzzzzz");
    FAIL() << "expected an error";
  } catch (const std::invalid_argument& error) {
    EXPECT_NE(std::string(error.what()).find("(known: test_accuracy, train_time_s,"), std::string::npos)
        << error.what();
  }
}

TEST(reports_metric_columns, DifferencesOfAccuracyAreInPercentagePoints) {
  EXPECT_EQ(difference_cell(*find_metric("test_accuracy"), -0.25), "-25.00 pp");
  EXPECT_EQ(difference_cell(*find_metric("train_time_s"), -10.84), "-10.8s");
  EXPECT_EQ(difference_cell(*find_metric("bytes_sent"), 1048576), "+1 MiB");
  EXPECT_EQ(find_metric("host"), nullptr);
}

TEST(reports_names, SplitsAndRefusesEmptyNames) {
  EXPECT_EQ(split_names("a"), (std::vector<std::string>{"a"}));
  EXPECT_EQ(split_names(" a , b"), (std::vector<std::string>{"a", "b"}));
  EXPECT_THROW(split_names("a,,b"), std::invalid_argument);
  EXPECT_THROW(split_names(""), std::invalid_argument);
}

}  // namespace
}  // namespace iddl::reports
