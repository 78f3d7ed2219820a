// iddl-report: markdown tables of sweeps and read-only SQL queries on the results database.
//   iddl-report markdown [--db PATH] [--sweep NAME]
//   iddl-report query [--db PATH] [--format markdown|csv] "SQL"
// Exit code 0 on success, 2 on any error (one line on stderr).
#include <CLI/CLI.hpp>

#include <algorithm>
#include <exception>
#include <iostream>
#include <optional>
#include <string>

#include "reports/markdown_report.hpp"
#include "reports/query.hpp"
#include "results/schema.hpp"

namespace {

constexpr int kErrorExit = 2;

int fail(std::string message) {
  std::replace(message.begin(), message.end(), '\n', ' ');
  std::cerr << "iddl-report: " << message << "\n";
  return kErrorExit;
}

void print_markdown(const std::string& db_path, const std::optional<std::string>& sweep) {
  iddl::results::Database db = iddl::results::open_for_reading(db_path);
  iddl::reports::write_markdown_report(std::cout, db, sweep);
}

void print_query(const std::string& db_path, const std::string& sql, const std::string& format) {
  const iddl::reports::Table table = iddl::reports::run_query(db_path, sql);
  std::cout << (format == "csv" ? iddl::reports::render_csv(table) : iddl::reports::render_markdown(table));
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"Tables and read-only queries on the IDDL results database."};
  app.require_subcommand(1);

  std::string db_path = "iddl.db";
  std::string sweep;
  std::string sql;
  std::string format = "markdown";

  CLI::App* markdown = app.add_subcommand("markdown", "One markdown table per sweep of its done runs.");
  markdown->add_option("--db", db_path, "Results database file")->capture_default_str();
  CLI::Option* sweep_option = markdown->add_option("--sweep", sweep, "Only this sweep");

  CLI::App* query = app.add_subcommand("query", "Run one read-only SQL statement and print its rows.");
  query->add_option("--db", db_path, "Results database file")->capture_default_str();
  query->add_option("--format", format, "Output format")
      ->check(CLI::IsMember({"markdown", "csv"}))
      ->capture_default_str();
  query->add_option("sql", sql, "The SQL statement")->required();

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& error) {
    if (error.get_exit_code() == 0) return app.exit(error);  // --help
    return fail(error.what());
  }

  try {
    if (markdown->parsed()) {
      print_markdown(db_path, sweep_option->count() > 0 ? std::optional<std::string>(sweep) : std::nullopt);
    } else {
      print_query(db_path, sql, format);
    }
  } catch (const std::exception& error) {
    return fail(error.what());
  }
  return 0;
}
