// iddl-report: tables, JSON, learning curves, comparisons and read-only SQL queries on the results
// database (docs/reports.md).
//   iddl-report markdown|csv [--db PATH] [--sweep NAME] [--where EXPR] [--group-by COLS] [--columns COLS] [--sort COL]
//               [--baseline SETTING=VALUE] [--human (csv)]
//   iddl-report json [--db PATH] [--sweep NAME] [--where EXPR] [--sort KEY]
//   iddl-report html [--db PATH] [--sweep NAME ...] [--out report.html]
//   iddl-report curves [--db PATH] [--sweep NAME] [--where EXPR] [--group-by COLS] --out FILE.svg
//   iddl-report plot --x METRIC|SETTING --y METRIC|SETTING [--color SETTING] [--log-x] [--log-y] [--db PATH]
//               [--sweep NAME] [--where EXPR] --out FILE.svg
//   iddl-report tradeoffs --sweep NAME [--db PATH] --out-dir DIR
//   iddl-report compare A [B] [--db PATH] [--where-a EXPR] [--where-b EXPR] [--columns COLS] [--group-by COLS]
//               [--sort COL] [--baseline SETTING=VALUE] [--format markdown|csv] [--human]
//   iddl-report show RUN_KEY [--db PATH] [--sweep NAME]
//   iddl-report query [--db PATH] [--format markdown|csv] [--timeout SECONDS] "SQL"
// Exit code 0 on success, 2 on any error (one line on stderr).
#include <CLI/CLI.hpp>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <cstdlib>
#include <exception>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <optional>
#include <sstream>
#include <stdexcept>
#include <string>

#include "reports/compare.hpp"
#include "reports/curves.hpp"
#include "reports/html_report.hpp"
#include "reports/json_report.hpp"
#include "reports/markdown_report.hpp"
#include "reports/names.hpp"
#include "reports/pipeline_report.hpp"
#include "reports/plot.hpp"
#include "reports/query.hpp"
#include "reports/run_show.hpp"
#include "reports/tradeoff_charts.hpp"
#include "reports/unknown_subcommand.hpp"
#include "results/schema.hpp"

namespace {

namespace reports = iddl::reports;

constexpr int kErrorExit = 2;

int fail(std::string message) {
  std::replace(message.begin(), message.end(), '\n', ' ');
  std::cerr << "iddl-report: " << message << "\n";
  return kErrorExit;
}

// Every option of every subcommand; each subcommand registers the ones it takes.
struct Options {
  std::string db_path = "iddl.db";
  std::string sweep, where, group_by, columns, sort, out, sql, sweep_b, where_a, where_b, baseline, run_key;
  std::string format = "markdown";
  bool stale = false;
  bool human = false;
  double query_timeout_s = 10;
  std::vector<std::string> html_sweeps;  // html: the sweeps of the page
  std::string html_out = "report.html";
};

std::optional<std::string> given(const CLI::App& command, const std::string& option, const std::string& value) {
  return command.count(option) > 0 ? std::optional<std::string>(value) : std::nullopt;
}

void add_db(CLI::App* command, Options& options) {
  command->add_option("--db", options.db_path, "Results database file")->capture_default_str();
}

void add_selection(CLI::App* command, Options& options) {
  add_db(command, options);
  command->add_option("--sweep", options.sweep, "Only this sweep");
  command->add_option("--where", options.where, "SQL boolean expression over the runs columns");
  command->add_flag("--stale", options.stale, "Also the runs their sweep file no longer plans (left out by default)");
}

void add_layout(CLI::App* command, Options& options) {
  command->add_option("--group-by", options.group_by, "Fold rows by these settings/columns (comma-separated)");
  command->add_option("--columns", options.columns,
                      "Metric columns to show, in order (comma-separated): metrics, run_metrics names, NAME* patterns");
  command->add_option("--sort", options.sort, "Sort rows by a column; -COL for descending");
}

void add_baseline(CLI::App* command, Options& options) {
  command->add_option("--baseline", options.baseline,
                      "Per row: accuracy difference and bytes/time ratios against the run with this setting value, "
                      "e.g. compression=none");
}

void add_human(CLI::App* command, Options& options) {
  command->add_flag("--human", options.human, "CSV: display strings (\"82.40%\", \"7.98 MiB\") instead of raw numbers");
}

std::optional<reports::Baseline> baseline_of(const CLI::App& command, const Options& options) {
  if (command.count("--baseline") == 0) return std::nullopt;
  return reports::parse_baseline(options.baseline);
}

void add_format(CLI::App* command, Options& options) {
  command->add_option("--format", options.format, "Output format")
      ->check(CLI::IsMember({"markdown", "csv"}))
      ->capture_default_str();
}

reports::Selection selection_of(const CLI::App& command, const Options& options) {
  return {given(command, "--sweep", options.sweep), given(command, "--where", options.where), options.stale};
}

std::vector<std::string> group_by_of(const CLI::App& command, const Options& options) {
  return command.count("--group-by") > 0 ? reports::split_names(options.group_by) : std::vector<std::string>{};
}

std::optional<std::string> columns_of(const CLI::App& command, const Options& options) {
  return given(command, "--columns", options.columns);
}

std::optional<reports::SortOrder> sort_of(const CLI::App& command, const Options& options) {
  if (command.count("--sort") == 0) return std::nullopt;
  return reports::parse_sort(options.sort);
}

reports::ReportOptions report_options(const CLI::App& command, const Options& options) {
  reports::ReportOptions report{selection_of(command, options), {}};
  report.layout.group_by = group_by_of(command, options);
  report.layout.columns = columns_of(command, options);
  report.layout.sort = sort_of(command, options);
  report.layout.baseline = baseline_of(command, options);
  report.human = options.human;
  return report;
}

void print_table_report(const CLI::App& command, const Options& options, bool csv) {
  iddl::results::Database db = iddl::results::open_for_reading(options.db_path);
  const reports::ReportOptions report = report_options(command, options);
  if (csv) {
    reports::write_csv_report(std::cout, db, report);
  } else {
    reports::write_markdown_report(std::cout, db, report);
  }
}

void print_json(const CLI::App& command, const Options& options) {
  iddl::results::Database db = iddl::results::open_for_reading(options.db_path);
  std::cout << reports::runs_json(db, selection_of(command, options), sort_of(command, options)).dump(2) << "\n";
}

void write_curves(const CLI::App& command, const Options& options) {
  iddl::results::Database db = iddl::results::open_for_reading(options.db_path);
  const std::string svg = reports::curves_svg(db, selection_of(command, options), group_by_of(command, options));
  std::ofstream file(options.out);
  file << svg;
  file.close();
  if (!file) throw std::runtime_error(options.out + ": cannot write the SVG file");
  std::cout << "wrote " << options.out << "\n";
}

void write_svg_file(const std::string& path, const std::string& svg) {
  std::ofstream file(path);
  file << svg;
  file.close();
  if (!file) throw std::runtime_error(path + ": cannot write the SVG file");
  std::cout << "wrote " << path << "\n";
}

void write_plot(const CLI::App& command, const Options& options, const reports::PlotRequest& request) {
  iddl::results::Database db = iddl::results::open_for_reading(options.db_path);
  write_svg_file(options.out, reports::plot_svg(db, selection_of(command, options), request));
}

void write_tradeoffs(const Options& options, const std::string& folder) {
  iddl::results::Database db = iddl::results::open_for_reading(options.db_path);
  const std::vector<reports::Chart> charts = reports::tradeoff_charts(db, options.sweep);
  if (charts.empty()) {
    std::cout << "no trade-off chart fits sweep " << options.sweep
              << ": no done run, or none of the settings the charts compare varies\n";
    return;
  }
  std::filesystem::create_directories(folder);
  for (const reports::Chart& chart : charts)
    write_svg_file((std::filesystem::path(folder) / (chart.slug + ".svg")).string(), chart.svg);
}

void write_html(const Options& options) {
  iddl::results::Database db = iddl::results::open_for_reading(options.db_path);
  std::ostringstream page;
  reports::write_html_report(page, db, options.html_sweeps);
  std::ofstream file(options.html_out);
  file << page.str();
  file.close();
  if (!file) throw std::runtime_error(options.html_out + ": cannot write the HTML file");
  std::cout << "wrote " << std::filesystem::absolute(options.html_out).string() << "\n";
}

void print_comparison(const CLI::App& command, const Options& options) {
  const reports::Selection a{options.sweep, given(command, "--where-a", options.where_a)};
  const reports::Selection b{command.count("B") > 0 ? options.sweep_b : options.sweep,
                             given(command, "--where-b", options.where_b)};
  if (command.count("B") == 0 && !a.where && !b.where) {
    throw std::invalid_argument("compare needs two sweeps, or one sweep with --where-a and/or --where-b");
  }
  iddl::results::Database db = iddl::results::open_for_reading(options.db_path);
  reports::CompareLayout layout;
  layout.columns = columns_of(command, options);
  layout.group_by = group_by_of(command, options);
  layout.sort = sort_of(command, options);
  layout.baseline = baseline_of(command, options);
  layout.numeric = options.format == "csv" && !options.human;
  const reports::Table table = reports::compare_table(db, a, b, layout);
  if (options.format == "csv") {
    std::cout << reports::render_csv(table);
    return;
  }
  std::cout << "A: " << reports::describe(a) << "\nB: " << reports::describe(b) << "\n\n"
            << reports::render_markdown(table);
}

void print_pipeline(const CLI::App& command, const Options& options) {
  iddl::results::Database db = iddl::results::open_for_reading(options.db_path);
  reports::write_pipeline_report(std::cout, db, selection_of(command, options));
}

void print_run(const CLI::App& command, const Options& options) {
  iddl::results::Database db = iddl::results::open_for_reading(options.db_path);
  reports::write_run(std::cout, db, options.run_key, given(command, "--sweep", options.sweep));
}

void print_query(const Options& options) {
  const auto limit = std::chrono::milliseconds(static_cast<int64_t>(options.query_timeout_s * 1000));
  const reports::Table table = reports::run_query(options.db_path, options.sql, limit);
  std::cout << (options.format == "csv" ? reports::render_csv(table) : reports::render_markdown(table));
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"Tables, JSON, learning curves, comparisons and read-only queries on the IDDL results database."};
  app.require_subcommand(1);
  Options options;

  CLI::App* markdown = app.add_subcommand("markdown", "One markdown table per sweep of its done runs.");
  add_selection(markdown, options);
  add_layout(markdown, options);
  add_baseline(markdown, options);

  CLI::App* csv = app.add_subcommand("csv", "One CSV table of the done runs of the selected sweeps.");
  add_selection(csv, options);
  add_layout(csv, options);
  add_baseline(csv, options);
  add_human(csv, options);

  CLI::App* json = app.add_subcommand("json", "Every selected run as one JSON object, in one array.");
  add_selection(json, options);
  json->add_option("--sort", options.sort, "Sort runs by a key of the run objects; -KEY for descending");

  CLI::App* curves = app.add_subcommand("curves", "Learning curves of the done runs as an SVG file.");
  add_selection(curves, options);
  curves->add_option("--group-by", options.group_by, "One line per value of these settings/columns (comma-separated)");
  curves->add_option("--out", options.out, "The SVG file to write")->required();

  reports::PlotRequest plot_request;
  std::string plot_color;
  CLI::App* plot = app.add_subcommand("plot", "Any two stored metrics or settings of the done runs as an SVG chart.");
  add_selection(plot, options);
  plot->add_option("--x", plot_request.x, "Metric or setting on the x axis")->required();
  plot->add_option("--y", plot_request.y, "Metric or setting on the y axis")->required();
  plot->add_option("--color", plot_color, "One series per value of this setting (or runs column)");
  plot->add_flag("--log-x", plot_request.log_x, "Log scale on x");
  plot->add_flag("--log-y", plot_request.log_y, "Log scale on y");
  plot->add_option("--out", options.out, "The SVG file to write")->required();

  std::string tradeoffs_folder;
  CLI::App* tradeoffs = app.add_subcommand("tradeoffs", "The trade-off charts that fit one sweep, one SVG file each.");
  add_db(tradeoffs, options);
  tradeoffs->add_option("--sweep", options.sweep, "The sweep")->required();
  tradeoffs->add_option("--out-dir", tradeoffs_folder, "The folder to write them in (made when missing)")->required();

  CLI::App* html = app.add_subcommand("html", "One self-contained HTML page: per sweep a sortable table, curves, "
                                                "failed runs and hardware.");
  add_db(html, options);
  html->add_option("--sweep", options.html_sweeps, "Only these sweeps (repeat or list several)");
  html->add_option("--out", options.html_out, "The HTML file to write")->capture_default_str();

  CLI::App* compare = app.add_subcommand("compare", "Two sweeps, or two groups of one sweep, side by side.");
  compare->add_option("A", options.sweep, "The first sweep")->required();
  compare->add_option("B", options.sweep_b, "The second sweep (default: the first)");
  add_db(compare, options);
  compare->add_option("--where-a", options.where_a, "Only A's runs matching this SQL expression");
  compare->add_option("--where-b", options.where_b, "Only B's runs matching this SQL expression");
  compare->add_option("--columns", options.columns,
                      "Metric columns to compare, in order (comma-separated): metrics, run_metrics names, "
                      "NAME* patterns");
  compare->add_option("--group-by", options.group_by, "Match rows on these settings (comma-separated)");
  compare->add_option("--sort", options.sort, "Sort rows by a setting, runs or a metric (A's mean); -COL for descending");
  add_baseline(compare, options);
  add_format(compare, options);
  add_human(compare, options);

  CLI::App* pipeline = app.add_subcommand(
      "pipeline", "Seed 004's tables: throughput and speed-up against data parallelism, boundary compression.");
  add_selection(pipeline, options);

  CLI::App* show = app.add_subcommand("show", "One run in full: config, status, tags, metrics, epochs, environment.");
  show->add_option("run_key", options.run_key, "The run's key")->required();
  add_db(show, options);
  show->add_option("--sweep", options.sweep, "The run's sweep (when its key is in several)");

  CLI::App* query = app.add_subcommand("query", "Run one read-only SQL statement and print its rows.");
  add_db(query, options);
  add_format(query, options);
  query->add_option("sql", options.sql, "The SQL statement")->required();
  query->add_option("--timeout", options.query_timeout_s, "Stop the query after this many seconds")
      ->check(CLI::Validator(
          [](std::string& text) {
            char* end = nullptr;
            const double seconds = std::strtod(text.c_str(), &end);
            const bool ok = end != text.c_str() && *end == '\0' && seconds >= 0.001 && seconds <= 86400;
            return ok ? std::string() : text + " is not a number of seconds from 0.001 to 86400";
          },
          "SECONDS"))
      ->capture_default_str();

  if (const std::string unknown = reports::unknown_subcommand(app, argc, argv); !unknown.empty()) return fail(unknown);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& error) {
    if (error.get_exit_code() == 0) return app.exit(error);  // --help
    return fail(error.what());
  }

  try {
    if (markdown->parsed()) print_table_report(*markdown, options, false);
    if (csv->parsed()) print_table_report(*csv, options, true);
    if (json->parsed()) print_json(*json, options);
    if (curves->parsed()) write_curves(*curves, options);
    if (plot->parsed()) {
      if (plot->count("--color") > 0) plot_request.color = plot_color;
      write_plot(*plot, options, plot_request);
    }
    if (tradeoffs->parsed()) write_tradeoffs(options, tradeoffs_folder);
    if (html->parsed()) write_html(options);
    if (compare->parsed()) print_comparison(*compare, options);
    if (pipeline->parsed()) print_pipeline(*pipeline, options);
    if (show->parsed()) print_run(*show, options);
    if (query->parsed()) print_query(options);
  } catch (const std::exception& error) {
    return fail(error.what());
  }
  return 0;
}
