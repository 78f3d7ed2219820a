// What starts the ranks of a sweep's runs, and the one table of its names.
#pragma once

#include <array>
#include <string>
#include <string_view>
#include <utility>

namespace iddl::matrix {

// mpirun: on this machine or [launch] hosts; srun: inside a Slurm allocation; sbatch: a Slurm job array.
enum class Launcher { Mpirun, Srun, Sbatch };

// Every launcher with its name in sweep files ([launch] launcher) and on the command line (--launcher).
inline constexpr std::array<std::pair<Launcher, std::string_view>, 3> kLauncherNames{
    {{Launcher::Mpirun, "mpirun"}, {Launcher::Srun, "srun"}, {Launcher::Sbatch, "sbatch"}}};

// The launcher's name.
std::string to_string(Launcher launcher);

// The launcher named `name`; throws std::invalid_argument naming any other name.
Launcher parse_launcher(std::string_view name);

}  // namespace iddl::matrix
