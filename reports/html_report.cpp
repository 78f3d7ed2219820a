#include "reports/html_report.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <map>
#include <sstream>
#include <stdexcept>

#include "reports/curves.hpp"
#include "reports/markdown_report.hpp"
#include "reports/markup_escape.hpp"
#include "reports/svg_chart.hpp"
#include "reports/tradeoff_charts.hpp"

namespace iddl::reports {

namespace {

// The page's style: readable tables, charts side by side, nothing fetched.
const char* const kStyle = R"css(
body { font-family: Helvetica, Arial, sans-serif; margin: 24px; color: #111; background: #fff; }
h1 { font-size: 22px; } h2 { font-size: 19px; margin-top: 32px; border-bottom: 1px solid #ccc; } h3 { font-size: 15px; }
table.runs { border-collapse: collapse; font-size: 13px; }
table.runs th, table.runs td { border: 1px solid #ddd; padding: 3px 8px; white-space: nowrap; }
table.runs th { background: #f2f2f2; cursor: pointer; user-select: none; }
table.runs th[aria-sort="ascending"]::after { content: " \25B2"; }
table.runs th[aria-sort="descending"]::after { content: " \25BC"; }
table.runs .right { text-align: right; } table.runs tbody tr:nth-child(even) { background: #fafafa; }
.charts { display: flex; flex-wrap: wrap; gap: 12px; }
figure { margin: 0; } figcaption { font-size: 13px; color: #444; }
ul.failures li { white-space: pre-wrap; }
footer { font-size: 12px; color: #444; margin-top: 12px; }
footer dl { display: grid; grid-template-columns: max-content auto; gap: 2px 12px; }
footer dt { font-weight: bold; } footer dd { margin: 0; }
)css";

// Clicking a header sorts its table by the cells' data-v values (numbers as numbers, empty ones last);
// a second click reverses. Opening the page with #sort=HEADER_ID clicks that header once.
const char* const kScript = R"js(
function iddlCompare(a, b) {
  var x = Number(a), y = Number(b);
  if (a !== '' && b !== '' && !isNaN(x) && !isNaN(y)) return x - y;
  return a < b ? -1 : a > b ? 1 : 0;
}
function iddlSort(th) {
  var table = th.closest('table'), body = table.tBodies[0], column = th.cellIndex;
  var descending = th.getAttribute('aria-sort') === 'ascending';
  Array.prototype.forEach.call(table.tHead.rows[0].cells, function (h) { h.removeAttribute('aria-sort'); });
  th.setAttribute('aria-sort', descending ? 'descending' : 'ascending');
  var rows = Array.prototype.slice.call(body.rows);
  rows.sort(function (r, s) {
    var a = r.cells[column].getAttribute('data-v'), b = s.cells[column].getAttribute('data-v');
    if (a === '' || b === '') return (a === '') - (b === '');
    return descending ? iddlCompare(b, a) : iddlCompare(a, b);
  });
  rows.forEach(function (row) { body.appendChild(row); });
}
document.querySelectorAll('table.runs th').forEach(function (th) {
  th.addEventListener('click', function () { iddlSort(th); });
});
var iddlHash = /^#sort=(.+)$/.exec(location.hash);
if (iddlHash) { var iddlHeader = document.getElementById(decodeURIComponent(iddlHash[1])); if (iddlHeader) iddlHeader.click(); }
)js";

std::vector<const StoredRun*> failed(const RunSet& set) {
  std::vector<const StoredRun*> runs;
  for (const StoredRun& run : set.runs)
    if (results::is_failure(results::parse_run_status(run.status))) runs.push_back(&run);
  return runs;
}

// "4 done, 1 failed": the number of runs in each status that has any.
std::string status_counts(const RunSet& set) {
  std::string counts;
  for (const auto& [status, name] : results::kRunStatusNames) {
    const auto n = std::count_if(set.runs.begin(), set.runs.end(), [&](const StoredRun& run) { return run.status == name; });
    if (n > 0) counts += (counts.empty() ? "" : ", ") + std::to_string(n) + " " + std::string(name);
  }
  return counts.empty() ? "none" : counts;
}

// One panel as a chart of its own, its caption the panel's title against its x axis.
PageChart panel_chart(Panel panel) {
  const std::string title = panel.title + " against " + panel.x.label;
  return {title, render_svg({std::move(panel)})};
}

bool has_points(const Panel& panel) {
  return std::any_of(panel.series.begin(), panel.series.end(), [](const Series& s) { return !s.points.empty(); });
}

std::string table_html(const SortableTable& sortable, size_t index) {
  const Table& table = sortable.table;
  std::string html = fmt::format("<table class=\"runs\" id=\"table-{}\">\n<thead><tr>", index);
  for (size_t c = 0; c < table.columns.size(); ++c) {
    html += fmt::format("<th id=\"s{}-c{}\"{} title=\"sort by this column\">{}</th>", index, c,
                        table.columns[c].align == Align::Right ? " class=\"right\"" : "",
                        markup_escape(table.columns[c].name));
  }
  html += "</tr></thead>\n<tbody>\n";
  for (size_t r = 0; r < table.rows.size(); ++r) {
    html += "<tr>";
    for (size_t c = 0; c < table.columns.size(); ++c) {
      html += fmt::format("<td{} data-v=\"{}\">{}</td>", table.columns[c].align == Align::Right ? " class=\"right\"" : "",
                          markup_escape(sortable.keys[r][c]), markup_escape(table.rows[r][c]));
    }
    html += "</tr>\n";
  }
  return html + "</tbody>\n</table>\n";
}

// The sweeps of the database in creation order.
std::vector<std::string> every_sweep(results::Database& db) {
  std::vector<std::string> names;
  results::Statement row = db.prepare("SELECT name FROM sweeps ORDER BY id");
  while (row.step()) names.push_back(row.column_text(0));
  return names;
}

}  // namespace

SortableTable sortable_table(const RunSet& set, const std::vector<const StoredRun*>& runs, const TableLayout& layout) {
  if (layout.baseline) throw std::invalid_argument("a sortable table has no baseline columns");
  TableLayout numeric_layout = layout;
  numeric_layout.numeric = true;
  SortableTable sortable{folded_table(set, runs, layout), {}};
  const Table numeric = folded_table(set, runs, numeric_layout);
  const std::vector<Metric> metrics = layout_metrics(set, layout);
  // The display table: leading columns, then one per metric; the numeric one: the same leading
  // columns, then per metric its mean and, for a number metric, its std.
  const size_t leading = sortable.table.columns.size() - metrics.size();
  for (const std::vector<std::string>& row : numeric.rows) {
    std::vector<std::string> keys(row.begin(), row.begin() + static_cast<std::ptrdiff_t>(leading));
    size_t at = leading;
    for (const Metric& metric : metrics) {
      keys.push_back(row[at]);
      at += metric.text ? 1 : 2;
    }
    sortable.keys.push_back(std::move(keys));
  }
  return sortable;
}

std::vector<PageChart> curve_charts(results::Database& db, const std::string& sweep) {
  const Selection selection{sweep, std::nullopt};
  std::vector<Panel> panels;
  try {
    panels = curve_panels(db, selection, {});
  } catch (const std::invalid_argument&) {  // no done run recorded an epoch: no curves
    return {};
  }
  for (Panel& panel : curve_panels(db, selection, {}, CurveX::TrainingTime))
    if (has_points(panel)) panels.push_back(std::move(panel));
  std::vector<PageChart> charts;
  for (Panel& panel : panels) charts.push_back(panel_chart(std::move(panel)));
  return charts;
}

std::vector<std::pair<std::string, std::string>> environment_facts(results::Database& db, const std::string& sweep) {
  const Selection selection{sweep, std::nullopt};
  // Each fact as an SQL expression over the run aliased r (NULL when the run did not record it).
  const std::vector<std::pair<std::string, std::string>> expressions = {
      {"CPU", "r.cpu_model || COALESCE(' (' || r.cpu_cores || ' cores)', '')"},
      {"threads", "r.threads"},
      {"BLAS", "r.blas_library || COALESCE(' (' || r.blas_kernel || ')', '')"},
      {"torch", "r.torch_version"},
      {"MPI", "r.mpi_version"},
      {"compiler", "r.compiler"},
      {"IDDL commit", "r.iddl_commit"},
      {"host", "r.host"}};
  std::string columns = "r.id";
  for (const auto& fact : expressions) columns += ", " + fact.second;
  std::vector<std::vector<std::string>> values(expressions.size());
  std::vector<std::string> gpus;
  const std::map<int64_t, std::string> gpu = gpu_facts(db, selection);
  results::Statement row = select_runs(db, selection, columns);
  auto add = [](std::vector<std::string>& list, const std::string& value) {
    if (!value.empty() && std::find(list.begin(), list.end(), value) == list.end()) list.push_back(value);
  };
  while (row.step()) {
    for (size_t i = 0; i < expressions.size(); ++i) {
      const int column = static_cast<int>(i) + 1;
      if (!row.column_is_null(column)) add(values[i], row.column_text(column));
    }
    if (const auto found = gpu.find(row.column_int(0)); found != gpu.end()) add(gpus, found->second);
  }
  std::vector<std::pair<std::string, std::string>> facts;
  auto joined = [](const std::vector<std::string>& list) { return fmt::format("{}", fmt::join(list, "; ")); };
  for (size_t i = 0; i < expressions.size(); ++i) {
    if (!values[i].empty()) facts.emplace_back(expressions[i].first, joined(values[i]));
    if (expressions[i].first == "CPU" && !gpus.empty()) facts.emplace_back("GPU", joined(gpus));
  }
  return facts;
}

SweepSection sweep_section(results::Database& db, const std::string& sweep) {
  const TableLayout layout;
  const RunSet set = load_runs(db, {sweep, std::nullopt}, {}, layout_metric_columns(layout));
  SweepSection section{sweep, status_counts(set), {}, {}, {}, {}, {}};
  section.table = sortable_table(set, with_status(set, results::RunStatus::Done), layout);
  section.charts = curve_charts(db, sweep);
  for (Chart& chart : tradeoff_charts(db, sweep)) section.tradeoffs.push_back({chart.title, std::move(chart.svg)});
  for (const StoredRun* run : failed(set)) section.failures.push_back({run->key, run->status, run->error});
  section.environment = environment_facts(db, sweep);
  return section;
}

std::string render_section(const SweepSection& section, size_t index) {
  std::string html = fmt::format("<section id=\"sweep-{}\">\n<h2>{}</h2>\n<p class=\"counts\">runs: {}</p>\n", index,
                                 markup_escape(section.name), markup_escape(section.counts));
  html += section.table.table.rows.empty() ? "<p>No done runs.</p>\n" : table_html(section.table, index);
  if (!section.charts.empty()) {
    html += "<h3>Learning curves</h3>\n<div class=\"charts\">\n";
    for (const PageChart& chart : section.charts)
      html += "<figure>\n<figcaption>" + markup_escape(chart.title) + "</figcaption>\n" + chart.svg + "</figure>\n";
    html += "</div>\n";
  }
  if (!section.tradeoffs.empty()) {
    html += "<h3>Trade-offs</h3>\n<div class=\"charts\">\n";
    for (const PageChart& chart : section.tradeoffs)
      html += "<figure>\n<figcaption>" + markup_escape(chart.title) + "</figcaption>\n" + chart.svg + "</figure>\n";
    html += "</div>\n";
  }
  if (!section.failures.empty()) {
    html += "<h3>Failed, timed-out and interrupted runs</h3>\n<ul class=\"failures\">\n";
    for (const FailedRun& run : section.failures) {
      html += "<li><code>" + markup_escape(run.key) + "</code> (" + markup_escape(run.status) +
              "): " + markup_escape(run.error) + "</li>\n";
    }
    html += "</ul>\n";
  }
  html += "<footer>\n<dl>\n";
  for (const auto& [name, value] : section.environment)
    html += "<dt>" + markup_escape(name) + "</dt><dd>" + markup_escape(value) + "</dd>\n";
  if (section.environment.empty()) html += "<dt>environment</dt><dd>not recorded</dd>\n";
  return html + "</dl>\n</footer>\n</section>\n";
}

void write_html_report(std::ostream& destination, results::Database& db, const std::vector<std::string>& sweeps) {
  const std::vector<std::string> names = sweeps.empty() ? every_sweep(db) : sweeps;
  std::string body;
  for (size_t i = 0; i < names.size(); ++i) body += render_section(sweep_section(db, names[i]), i);
  if (names.empty()) body = "<p>No sweeps in " + markup_escape(db.path()) + ".</p>\n";
  std::ostringstream out;  // written whole at the end: an error leaves nothing half-written
  out << "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>IDDL report</title>\n<style>"
      << kStyle << "</style>\n</head>\n<body>\n<h1>IDDL report</h1>\n<p>From " << markup_escape(db.path())
      << ". Click a column header to sort its table.</p>\n"
      << body << "<script>" << kScript << "</script>\n</body>\n</html>\n";
  destination << out.str();
}

}  // namespace iddl::reports
