// Seed 004's two tables from the results database: pipeline against data-parallel throughput, and
// the pipeline's boundary compression with its ratio, accuracy and bandwidth.
#pragma once
#include <ostream>

#include "reports/run_set.hpp"
#include "reports/table.hpp"
#include "results/sqlite.hpp"

namespace iddl::reports {

// One row per setting combination of the done runs (repeats folded into mean ± std): experiment
// (parallelism and its ranks; a pipeline's stages, schedule and boundary codec), dataset, model, ranks, batch size (global, with the chunks of a
// pipeline), lr, test accuracy, throughput (training samples per second), speed-up over the
// data-parallel ("sync") row of the same dataset and model with the fewest ranks, measured and
// ideal pipeline efficiency, and the largest activation memory a stage held.
Table throughput_table(const RunSet& set);

// One row per pipeline setting combination of the done runs: dataset, model, batch size (chunks),
// boundary compression, its measured ratio (wire bytes over float32 bytes), test accuracy, and
// the bandwidth of every boundary forward and backward (received bytes over receive time).
Table boundary_table(const RunSet& set);

// Writes "## Throughput" and "## Boundary compression" with their tables for the selected runs
// (the second only when a pipeline run is among them). Throws when no done run is selected; with no
// pipeline run among the done runs, writes one line saying so instead of the tables.
void write_pipeline_report(std::ostream& out, results::Database& db, const Selection& selection);

}  // namespace iddl::reports
