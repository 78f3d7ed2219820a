#include "reports/metric_columns.hpp"

#include <gtest/gtest.h>

#include <stdexcept>

#include "reports/format.hpp"
#include "reports/names.hpp"
#include "results/fields.hpp"

namespace iddl::reports {
namespace {

std::vector<std::string> columns(const std::vector<Metric>& chosen) {
  std::vector<std::string> names;
  for (const Metric& metric : chosen) names.push_back(metric.column);
  return names;
}

TEST(reports_metric_columns, EveryFieldOfTheContractWithAUnitIsAMetricOnce) {
  std::vector<std::string> expected;
  for (const results::EventField& field : results::kEventFields) {
    if (field.unit != results::Unit::None) expected.push_back(field.name);
  }
  EXPECT_EQ(columns(metrics()), expected);
  for (size_t i = 0; i < metrics().size(); ++i) EXPECT_EQ(metric_index(metrics()[i]), i);
  EXPECT_EQ(find_metric("train_time_s")->header, "training time");
  EXPECT_EQ(find_metric("staleness_mean")->format(0.25), "0.25");
  EXPECT_EQ(find_metric("memory_bytes")->format(2147483648.0), "2 GiB");
  EXPECT_EQ(find_metric("seed")->format(12345), "12345");
  EXPECT_TRUE(find_metric("host")->text);
  EXPECT_TRUE(find_metric("parallelism")->text);
  EXPECT_EQ(metric_sql(*find_metric("test_accuracy")), "r.test_accuracy");
  EXPECT_EQ(metric_sql(*find_metric("epoch_time_s")),
            "(SELECT AVG(e.epoch_time_s) FROM epochs AS e WHERE e.run_id = r.id)");
  for (const char* not_a_column : {"run_key", "config", "world_size", "epoch", "metrics", "message"})
    EXPECT_EQ(find_metric(not_a_column), nullptr) << not_a_column;
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
    EXPECT_NE(std::string(error.what()).find("(known: dataset, model, sparsification,"), std::string::npos)
        << error.what();
  }
}

TEST(reports_metric_columns, DifferencesOfAccuracyAreInPercentagePoints) {
  EXPECT_EQ(difference_cell(*find_metric("test_accuracy"), -0.25), "-25.00 pp");
  EXPECT_EQ(difference_cell(*find_metric("train_time_s"), -10.84), "-10.8s");
  EXPECT_EQ(difference_cell(*find_metric("bytes_sent"), 1048576), "+1 MiB");
}

TEST(reports_metric_columns, CompressionRatioIsAPlainNumber) {
  const Metric& ratio = *find_metric("compression_ratio");
  EXPECT_EQ(ratio.header, "compression ratio");
  EXPECT_EQ(ratio.format(0.0123), "0.0123");
  EXPECT_EQ(difference_cell(ratio, -0.01), "-0.01");
  EXPECT_FALSE(ratio.named);
}

TEST(reports_metric_columns, NamedMetricsAreWrittenByTheirName) {
  const Metric accuracy = named_metric("member_accuracy.0");
  EXPECT_EQ(accuracy.header, "member_accuracy.0");
  EXPECT_TRUE(accuracy.named);
  EXPECT_EQ(accuracy.format(0.84), "84.00%");
  EXPECT_EQ(difference_cell(accuracy, 0.0125), "+1.25 pp");
  EXPECT_EQ(named_metric("exit_fraction.1").format(0.62), "62.00%");
  EXPECT_EQ(named_metric("exit_flops.1").format(88000), format_count(88000));
  EXPECT_EQ(named_metric("baseline_flops").format(94640), format_count(94640));
  EXPECT_EQ(named_metric("baseline_inference_time_s").format(0.21), "210ms");
  EXPECT_EQ(difference_cell(named_metric("baseline_inference_time_s"), -1.5), "-1.5s");
  EXPECT_EQ(named_metric("baseline_latency_ms").format(0.0625), "0.0625ms");
  EXPECT_EQ(named_metric("speedup").format(1.04), "1.04");
  EXPECT_FALSE(named_metric("speedup").fraction);
}

TEST(reports_metric_columns, NaturalOrderComparesDigitRunsAsNumbers) {
  EXPECT_TRUE(natural_less("exit_accuracy.2", "exit_accuracy.10"));
  EXPECT_FALSE(natural_less("exit_accuracy.10", "exit_accuracy.2"));
  EXPECT_TRUE(natural_less("exit_accuracy.10", "exit_fraction.1"));
  EXPECT_TRUE(natural_less("a.1", "a.1.0"));
  EXPECT_TRUE(natural_less("a.01", "a.1"));
  EXPECT_FALSE(natural_less("a.1", "a.1"));
}

TEST(reports_metric_columns, ListResolvesPresentNamesAndPatterns) {
  const std::vector<std::string> present = {"exit_accuracy.1", "exit_accuracy.2", "exit_accuracy.10",
                                            "exit_fraction.1", "member_accuracy.0"};
  EXPECT_EQ(columns(parse_metric_list("test_accuracy,exit_accuracy.*,member_accuracy.0", present)),
            (std::vector<std::string>{"test_accuracy", "exit_accuracy.1", "exit_accuracy.2", "exit_accuracy.10",
                                      "member_accuracy.0"}));
  EXPECT_EQ(columns(parse_metric_list("exit_*", {"exit_accuracy.10", "exit_accuracy.9"})),
            (std::vector<std::string>{"exit_accuracy.9", "exit_accuracy.10"}));
  EXPECT_TRUE(parse_metric_list("exit_fraction.1", present).front().named);
  EXPECT_FALSE(parse_metric_list("test_accuracy", present).front().named);
  try {
    parse_metric_list("exit_fraction.2", present);
    FAIL() << "expected an error";
  } catch (const std::invalid_argument& error) {
    EXPECT_STREQ(error.what(), "unknown column 'exit_fraction.2' (did you mean 'exit_fraction.1'?)");
  }
  try {
    parse_metric_list("member_acuracy.*", present);
    FAIL() << "expected an error";
  } catch (const std::invalid_argument& error) {
    EXPECT_STREQ(error.what(), "unknown column pattern 'member_acuracy.*' (did you mean 'member_accuracy.0'?)");
  }
  EXPECT_THROW(parse_metric_list("exit_fraction.1"), std::invalid_argument);  // not present
}

TEST(reports_names, SplitsAndRefusesEmptyNames) {
  EXPECT_EQ(split_names("a"), (std::vector<std::string>{"a"}));
  EXPECT_EQ(split_names(" a , b"), (std::vector<std::string>{"a", "b"}));
  EXPECT_THROW(split_names("a,,b"), std::invalid_argument);
  EXPECT_THROW(split_names(""), std::invalid_argument);
}

}  // namespace
}  // namespace iddl::reports
