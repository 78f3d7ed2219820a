// `iddl-sweep run` with the sbatch launcher: the runs to run as one Slurm job array, submitted and followed.
#pragma once
#include <ostream>
#include <string>
#include <vector>

#include "matrix/sweep_file.hpp"
#include "runners/launch/sbatch_job.hpp"
#include "runners/launch/sweep_options.hpp"

namespace iddl::launch {

// The job array of `runs`: ranks, threads and GPUs sized for the largest run, its files in options.job_dir (else
// the database's folder).
SbatchJob job_array(const matrix::Sweep& sweep, const SweepOptions& options,
                    const std::vector<const matrix::PlannedRun*>& runs);

// "sweep S: nothing to submit: ...": every run is done or failed.
std::string nothing_to_submit(const matrix::Sweep& sweep);

// Registers the runs; follows (or collects) the job array the sweep was submitted as before; writes the job-array
// files for the runs to run, submits them when sbatch is on PATH and follows them unless options.no_wait, storing
// each task's results as it ends.
SweepOutcome submit_job_array(const matrix::Sweep& sweep, const SweepOptions& options, std::ostream& log);

}  // namespace iddl::launch
