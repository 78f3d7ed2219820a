#include "reports/curves.hpp"

#include <map>
#include <stdexcept>

#include "reports/chart_data.hpp"
#include "reports/fold.hpp"
#include "reports/grouping.hpp"

namespace iddl::reports {

namespace {

// The per-epoch values one group's runs recorded.
struct EpochValues {
  std::map<int64_t, std::vector<double>> accuracy;  // epoch -> test accuracy of each run
  std::map<int64_t, std::vector<double>> loss;      // epoch -> train loss of each run
  std::map<int64_t, std::vector<double>> elapsed;   // epoch -> each run's training time to its end (s)
};

void add_epochs(results::Statement& select, int64_t run_id, EpochValues& values) {
  select.reset();
  select.bind_int(1, run_id);
  double elapsed = 0;
  bool timed = true;  // every epoch so far recorded its time
  while (select.step()) {
    const int64_t epoch = select.column_int(0);
    if (!select.column_is_null(1)) values.accuracy[epoch].push_back(select.column_real(1));
    if (!select.column_is_null(2)) values.loss[epoch].push_back(select.column_real(2));
    timed = timed && !select.column_is_null(3);
    if (timed) values.elapsed[epoch].push_back(elapsed += select.column_real(3));
  }
}

std::vector<std::pair<double, double>> mean_points(const std::map<int64_t, std::vector<double>>& by_epoch,
                                                   double scale) {
  std::vector<std::pair<double, double>> points;
  for (const auto& [epoch, values] : by_epoch)
    points.emplace_back(static_cast<double>(epoch), spread(values).mean * scale);
  return points;
}

// The points (mean training time to the epoch, mean value * scale) of the epochs with both.
std::vector<std::pair<double, double>> timed_points(const std::map<int64_t, std::vector<double>>& by_epoch,
                                                    const std::map<int64_t, std::vector<double>>& elapsed,
                                                    double scale) {
  std::vector<std::pair<double, double>> points;
  for (const auto& [epoch, values] : by_epoch) {
    const auto time = elapsed.find(epoch);
    if (time != elapsed.end()) points.emplace_back(spread(time->second).mean, spread(values).mean * scale);
  }
  return points;
}

std::string curve_label(const RunSet& set, const std::vector<Field>& fields, const Group& group, bool by_sweep) {
  const std::string label = group_label(fields, group);
  const std::string& sweep = set.sweeps[group.sweep];
  if (label.empty()) return sweep;
  return by_sweep ? sweep + ": " + label : label;
}

}  // namespace

std::vector<Panel> curve_panels(results::Database& db, const Selection& selection,
                                const std::vector<std::string>& group_by, CurveX x) {
  const RunSet set = load_runs(db, selection, group_by);
  const std::vector<const StoredRun*> done = with_status(set, results::RunStatus::Done);
  const std::vector<Field> fields = group_by.empty() ? varying_fields(set, done) : resolve_fields(set, group_by);
  const bool by_sweep = set.sweeps.size() > 1;
  results::Statement select =
      db.prepare("SELECT epoch, test_accuracy, train_loss, epoch_time_s FROM epochs WHERE run_id = ?1 ORDER BY epoch");

  const bool by_time = x == CurveX::TrainingTime;
  const AxisSpec x_axis = by_time ? AxisSpec{"training time (s)", Scale::Linear, TickFormat::Seconds, 0, {}}
                                  : AxisSpec{"epoch", Scale::Linear, TickFormat::Number, 1, {}};
  Panel accuracy{"Test accuracy", x_axis, {"test accuracy (%)"}, {}};
  Panel loss{"Training loss", x_axis, {"train loss"}, {}};
  bool any_epoch = false;
  for (const Group& group : group_runs(set, done, fields, by_sweep)) {
    EpochValues values;
    for (const StoredRun* run : group.runs) add_epochs(select, run->id, values);
    any_epoch = any_epoch || !values.accuracy.empty() || !values.loss.empty();
    const std::string label = curve_label(set, fields, group, by_sweep);
    accuracy.series.push_back(
        {label, by_time ? timed_points(values.accuracy, values.elapsed, 100) : mean_points(values.accuracy, 100)});
    loss.series.push_back({label, by_time ? timed_points(values.loss, values.elapsed, 1) : mean_points(values.loss, 1)});
  }
  if (!any_epoch) throw std::invalid_argument(db.path() + ": no selected done run recorded an epoch");
  return {accuracy, loss};
}

std::string curves_svg(results::Database& db, const Selection& selection, const std::vector<std::string>& group_by) {
  return render_svg(curve_panels(db, selection, group_by));
}

}  // namespace iddl::reports
