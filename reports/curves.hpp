// Learning curves of runs: test accuracy and train loss per epoch (or against training time), as an SVG document.
#pragma once

#include <string>
#include <vector>

#include "reports/run_set.hpp"
#include "reports/svg_chart.hpp"
#include "results/sqlite.hpp"

namespace iddl::reports {

// What the curves' x axis is: the epoch, or the training time up to the end of the epoch (the sum of
// the run's epoch times so far, in seconds).
enum class CurveX { Epoch, TrainingTime };

// The two panels of the selected done runs: test accuracy (%) and train loss per epoch, one
// series per group (grouped by the group_by settings or columns; none named: by the settings that
// vary, so repeats share a line), each point the mean over the group's runs that recorded that
// epoch. Labels are "setting=value, ..." (prefixed by the sweep when several are selected; the
// sweep name alone when nothing varies). Against training time, a point's x is the mean over the
// group's runs of their time to that epoch (epochs of a run after one without a time are left out).
// Throws std::invalid_argument when no selected done run recorded an epoch.
std::vector<Panel> curve_panels(results::Database& db, const Selection& selection,
                                const std::vector<std::string>& group_by, CurveX x = CurveX::Epoch);

// render_svg of curve_panels.
std::string curves_svg(results::Database& db, const Selection& selection, const std::vector<std::string>& group_by);

}  // namespace iddl::reports
