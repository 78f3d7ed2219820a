// `iddl-report html`, the trade-off charts and `plot` on the results of every shipped sweep: each sweeps/*.toml is
// expanded by the real matrix, its runs stored done in a real database with figures that differ between runs, and
// the page, charts and plots drawn from it. The charts must be the ones the sweep's varying settings call for, and
// every SVG must be well-formed XML (xmllint). Training the shipped sweeps for real is left to the sweep tests; the
// docs test (tests/docs) runs the report commands of the docs on quick real runs.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <set>
#include <sstream>

#include "matrix/sweep_file.hpp"
#include "reports/html_report.hpp"
#include "reports/plot.hpp"
#include "reports/tradeoff_charts.hpp"
#include "results/schema.hpp"
#include "tests/reports/sample_db.hpp"
#include "tests/reports/svg_check.hpp"
#include "tests/support/temp_dir.hpp"

namespace iddl::reports {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

std::vector<std::string> shipped_sweeps() {
  std::vector<std::string> files;
  for (const auto& entry : fs::directory_iterator(fs::path(IDDL_SOURCE_DIR) / "sweeps"))
    if (entry.path().extension() == ".toml") files.push_back(entry.path().string());
  std::sort(files.begin(), files.end());
  return files;
}

// Whether the run's horizontal axis adds early exits.
bool has_exits(const json& config) {
  return config.contains("horizontal") && config["horizontal"].value("method", "none") != "none";
}

// Stores every planned run of the sweep as done, with figures that depend on the run (its index and ranks), and
// the named metrics the report draws: throughput, and per-exit figures for early-exit runs.
void store_done(results::Store& store, const matrix::Sweep& sweep) {
  std::vector<results::PlannedRunRow> planned;
  for (const auto& run : sweep.runs) planned.push_back({run.key, run.repeat, run.config});
  const auto stored = store.runs_of(store.register_sweep(sweep.name, sweep.file, planned));
  for (size_t i = 0; i < stored.size(); ++i) {
    const json& config = sweep.runs[i].config;
    const int ranks = config.value("ranks", 1);
    json event = test_support::finished(10.0 + static_cast<double>(i % 7), 0.5 + static_cast<double>(i % 40) / 100,
                                        ranks > 1 ? (int64_t{1} << 20) * static_cast<int64_t>(1 + i % 5) : 0, 1e6);
    event["params"] = 1000 * static_cast<int64_t>(1 + i % 9);
    event["flops"] = 50000 * static_cast<int64_t>(1 + i % 11);
    event["metrics"] = {{"samples_per_s", 100.0 * ranks + static_cast<double>(i % 13)}};
    if (has_exits(config)) {
      event["metrics"]["exit_accuracy.1"] = 0.4 + static_cast<double>(i % 10) / 100;
      event["metrics"]["exit_fraction.1"] = 0.5;
      event["metrics"]["exit_flops.1"] = 20000;
    }
    test_support::run_to_done(store, stored[i].id, event);
  }
}

bool varies(const matrix::Sweep& sweep, std::initializer_list<const char*> names) {
  return std::any_of(sweep.varying.begin(), sweep.varying.end(),
                     [&](const std::string& v) { return std::find(names.begin(), names.end(), v) != names.end(); });
}

// The trade-off chart titles the sweep's matrix calls for (docs/reports.md, "tradeoffs"), at least.
std::vector<std::string> expected_titles(const matrix::Sweep& sweep) {
  std::vector<std::string> titles;
  if (varies(sweep, {"compression", "parallelism"})) titles.push_back("Test accuracy vs bytes sent");
  if (varies(sweep, {"sparsification", "vertical", "model"})) {
    titles.push_back("Test accuracy vs parameters");
    titles.push_back("Test accuracy vs FLOPs");
  }
  if (varies(sweep, {"parallelism", "ranks"})) titles.push_back("Throughput vs ranks");
  if (std::any_of(sweep.runs.begin(), sweep.runs.end(), [](const auto& run) { return has_exits(run.config); }))
    titles.push_back("Per-exit accuracy vs FLOPs");
  return titles;
}

// Every <svg>...</svg> element of the page.
std::vector<std::string> svgs_of(const std::string& page) {
  std::vector<std::string> svgs;
  for (size_t at = page.find("<svg"); at != std::string::npos; at = page.find("<svg", at + 1)) {
    const size_t end = page.find("</svg>", at);
    if (end == std::string::npos) break;
    svgs.push_back(page.substr(at, end + 6 - at));
  }
  return svgs;
}

class ShippedSweepReports : public ::testing::TestWithParam<std::string> {};

TEST_P(ShippedSweepReports, PageChartsAndPlotsDraw) {
  const matrix::Sweep sweep = matrix::load_sweep(GetParam());
  test_support::TempDir dir;
  const std::string path = dir.file("iddl.db");
  {
    results::Store store(path);
    store_done(store, sweep);
  }
  results::Database db = results::open_for_reading(path);

  std::set<std::string> titles;
  for (const Chart& chart : tradeoff_charts(db, sweep.name)) {
    titles.insert(chart.title);
    EXPECT_EQ(test_support::xmllint_errors(chart.svg, dir.file(chart.slug + ".svg")), "") << chart.title;
  }
  for (const std::string& title : expected_titles(sweep)) EXPECT_EQ(titles.count(title), 1u) << title;

  std::ostringstream page;
  write_html_report(page, db, {sweep.name});
  const std::string html = page.str();
  EXPECT_NE(html.find("<h2>" + sweep.name + "</h2>"), std::string::npos);
  EXPECT_NE(html.find("runs: " + std::to_string(sweep.runs.size()) + " done"), std::string::npos);
  const std::vector<std::string> svgs = svgs_of(html);
  EXPECT_EQ(svgs.size(), 2 + titles.size());  // accuracy and loss against epoch, and each trade-off chart
  for (size_t i = 0; i < svgs.size(); ++i)
    EXPECT_EQ(test_support::xmllint_errors(svgs[i], dir.file("page-" + std::to_string(i) + ".svg")), "");

  PlotRequest request{"params", "test_accuracy", std::nullopt, false, false};
  if (!sweep.varying.empty() && sweep.varying.front() != "seed") request.color = sweep.varying.front();
  const std::string plot = plot_svg(db, {sweep.name, std::nullopt}, request);
  EXPECT_EQ(test_support::xmllint_errors(plot, dir.file("plot.svg")), "");
}

INSTANTIATE_TEST_SUITE_P(EveryShippedSweep, ShippedSweepReports, ::testing::ValuesIn(shipped_sweeps()),
                         [](const ::testing::TestParamInfo<std::string>& info) {
                           std::string name = fs::path(info.param).stem().string();
                           std::replace_if(name.begin(), name.end(), [](char c) { return !std::isalnum(c); }, '_');
                           return name;
                         });

}  // namespace
}  // namespace iddl::reports
