// iddl-sweep: plans and runs the experiment matrix of a TOML sweep file, and lists what a database holds.
#include <CLI/CLI.hpp>
#include <fmt/format.h>
#include <unistd.h>

#include <array>
#include <climits>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <map>
#include <optional>
#include <set>
#include <string_view>
#include <utility>
#include <vector>

#include "hardware/blas_kernel.hpp"
#include "hardware/machine_facts.hpp"
#include "matrix/axis_value.hpp"
#include "matrix/launcher.hpp"
#include "matrix/run_key.hpp"
#include "matrix/setting_values.hpp"
#include "matrix/settings.hpp"
#include "matrix/sweep_file.hpp"
#include "reports/table.hpp"
#include "reports/unknown_subcommand.hpp"
#include "reports/where_clause.hpp"
#include "results/merge.hpp"
#include "results/run_keys.hpp"
#include "results/run_labels.hpp"
#include "results/run_status.hpp"
#include "results/schema.hpp"
#include "results/store.hpp"
#include "results/sweep_status.hpp"
#include "runners/launch/device_check.hpp"
#include "runners/launch/gpu_check.hpp"
#include "runners/launch/job_array_follower.hpp"
#include "runners/launch/journal_collect.hpp"
#include "runners/launch/remove_command.hpp"
#include "runners/launch/run_selection.hpp"
#include "runners/launch/run_task.hpp"
#include "runners/launch/sweep_lock.hpp"
#include "runners/launch/sweep_plan.hpp"
#include "runners/launch/sweep_runner.hpp"
#include "runners/train/launcher_watch.hpp"

namespace {

// The names of a choice's table, for CLI11's IsMember and table columns.
template <typename Choice, std::size_t N>
std::vector<std::string> names_of(const std::array<std::pair<Choice, std::string_view>, N>& names) {
  std::vector<std::string> texts;
  for (const auto& [choice, name] : names) texts.emplace_back(name);
  return texts;
}

// The directory holding this executable (and iddl-train, iddl-blas-probe next to it).
std::string own_directory() {
  char path[PATH_MAX];
  const ssize_t n = readlink("/proc/self/exe", path, sizeof(path) - 1);
  if (n <= 0) return ".";
  const std::string exe(path, static_cast<size_t>(n));
  return exe.substr(0, exe.find_last_of('/'));
}


// The settings of a stored run that define it, as a sweep file writes them, seed left out.
std::string defining_text(const nlohmann::json& config) {
  nlohmann::json defining = iddl::matrix::defining_settings(config);
  if (defining.is_object()) defining.erase("seed");
  return iddl::matrix::value_text(defining);
}

// A run's state as plan shows it: "new" when the database has no row for it; a failed or timed-out run, which
// `run` runs again only when asked, says so.
std::string plan_state(const std::string& status) {
  const bool retried = status == to_string(iddl::results::RunStatus::Failed) ||
                       status == to_string(iddl::results::RunStatus::Timeout);
  return retried ? status + " (use --retry-failed)" : status;
}

// The runs of the sweep file with their state, then the stored runs of that sweep the file no longer plans (stale);
// a note when `run` would refuse the file (another file's or another matrix's sweep of this name).
void print_plan(const iddl::matrix::Sweep& sweep, const std::string& db_path) {
  const auto stored = iddl::results::read_stored_runs(db_path, sweep.name);
  std::map<std::string, std::string> statuses;
  for (const auto& run : stored) statuses.emplace(run.key, run.status);
  iddl::reports::Table table;
  table.columns = {{"#", iddl::reports::Align::Right}, {"run key"}};
  for (const auto& name : sweep.varying) table.columns.push_back({name});
  table.columns.push_back({"status"});
  int index = 0, done = 0, fresh = 0, to_run = 0;
  std::set<std::string> planned;
  for (const auto& run : sweep.runs) {
    planned.insert(run.key);
    std::vector<std::string> row{std::to_string(++index), run.key};
    for (const auto& name : sweep.varying) row.push_back(iddl::matrix::setting_label(name, run.config.at(name)));
    const auto found = statuses.find(run.key);
    const std::string status = found == statuses.end() ? "new" : found->second;
    done += status == to_string(iddl::results::RunStatus::Done) ? 1 : 0;
    fresh += status == "new" ? 1 : 0;
    to_run += status == "new" || iddl::launch::needs_running(iddl::results::parse_run_status(status), {}) ? 1 : 0;
    row.push_back(plan_state(status));
    table.add_row(row);
  }
  iddl::reports::Table stale;
  stale.columns = {{"run key"}, {"status"}, {"settings (seed left out)"}};
  for (const auto& run : stored)
    if (planned.count(run.key) == 0) stale.add_row({run.key, run.status, defining_text(run.config)});
  const int held = static_cast<int>(sweep.runs.size()) - done - to_run;
  std::cout << fmt::format("sweep {} ({}): {} runs, {} done, {} to run ({} new); {} stored run(s) no longer in the "
                           "file (database {})\n",
                           sweep.name, sweep.file, sweep.runs.size(), done, to_run, fresh, stale.rows.size(), db_path);
  if (held > 0) std::cout << held << " failed or timed out, not run again unless given --retry-failed\n";
  std::cout << "\n" << iddl::reports::render_markdown(table);
  if (!stale.rows.empty())
    std::cout << "\nStale: stored runs of sweep " << sweep.name << " that " << sweep.file
              << " no longer plans (kept; reports leave them out unless given --stale):\n\n"
              << iddl::reports::render_markdown(stale);
  if (!std::filesystem::exists(db_path)) return;
  iddl::results::Database db = iddl::results::open_for_reading(db_path);
  const std::string conflict = iddl::launch::sweep_owner_conflict(db, sweep);
  if (!conflict.empty()) std::cout << "\nNote: " << conflict << "; `run` refuses it unless given --into-existing.\n";
}

// One row per sweep in the database, with its run counts by state (`with_states`) or its file.
void print_sweeps(const std::string& db_path, bool with_states) {
  if (!std::filesystem::exists(db_path)) throw std::runtime_error("no database at '" + db_path + "'");
  iddl::results::Database db = iddl::results::open_for_reading(db_path);
  const std::vector<std::string> states = names_of(iddl::results::kRunStatusNames);
  iddl::reports::Table table;
  table.columns = {{"sweep"}};
  if (with_states) {
    for (const auto& state : states) table.columns.push_back({state, iddl::reports::Align::Right});
    table.columns.push_back({"total", iddl::reports::Align::Right});
    table.columns.push_back({"last activity"});
  } else {
    table.columns.push_back({"file"});
    table.columns.push_back({"created"});
    table.columns.push_back({"runs", iddl::reports::Align::Right});
  }
  for (const auto& sweep : iddl::results::summarize_sweeps(db)) {
    std::vector<std::string> row{sweep.name};
    if (with_states) {
      for (const auto& state : states) {
        const auto found = sweep.counts.find(state);
        row.push_back(std::to_string(found == sweep.counts.end() ? 0 : found->second));
      }
      row.push_back(std::to_string(sweep.total));
      row.push_back(sweep.last_activity);
    } else {
      row.insert(row.end(), {sweep.file, sweep.created_at, std::to_string(sweep.total)});
    }
    table.add_row(row);
  }
  std::cout << iddl::reports::render_markdown(table);
  if (!with_states) return;
  for (const auto& sweep : iddl::results::summarize_sweeps(db)) {  // the sweeps under Slurm: their job array
    const auto record = iddl::launch::read_slurm_job_record(iddl::launch::slurm_job_record_path(db_path, sweep.name));
    if (record) std::cout << "\nsweep " << sweep.name << ": " << iddl::launch::job_array_status(*record);
  }
}

// What a merge did: its counts, then each run whose result was replaced or kept over a different one.
void print_merge(const iddl::results::MergeOutcome& outcome, const std::string& other, const std::string& db_path) {
  std::cout << fmt::format("merged {} into {}: {} sweep(s) added, {} run(s) added, {} replaced by a more trusted "
                           "result, {} already present, {} kept over a different earlier result\n",
                           other, db_path, outcome.sweeps_added, outcome.runs_added, outcome.replaced.size(),
                           outcome.runs_unchanged, outcome.kept.size());
  for (const auto& line : outcome.replaced) std::cout << "replaced " << line << "\n";
  for (const auto& line : outcome.kept) std::cout << "kept " << line << "\n";
}

// Tags (or untags, when remove) the runs with these keys, then says what changed.
void tag_runs(const std::string& db_path, std::vector<std::string> keys_and_tag, bool remove,
              const std::optional<std::string>& sweep) {
  if (keys_and_tag.size() < 2) throw std::invalid_argument("give one or more run keys, then the tag");
  const std::string tag = keys_and_tag.back();
  keys_and_tag.pop_back();
  iddl::results::Database db = iddl::results::open_for_labels(db_path);
  const auto runs = iddl::results::ids_of(iddl::results::find_runs(db, keys_and_tag, sweep));
  if (remove) {
    const int removed = iddl::results::remove_tag(db, runs, tag);
    std::cout << fmt::format("took tag '{}' from {} run(s) ({} did not have it)\n", tag, removed,
                             static_cast<int>(runs.size()) - removed);
    return;
  }
  const int added = iddl::results::add_tag(db, runs, tag);
  std::cout << fmt::format("tagged {} run(s) '{}' ({} had it already)\n", added, tag,
                           static_cast<int>(runs.size()) - added);
}

// Exit codes: bad input or a command-line error (nothing launched), another process holds the sweep.
constexpr int kBadInputExit = 2;
constexpr int kSweepHeldExit = 3;

// --timeout: seconds from 0 (no limit) to 365 days.
std::string check_timeout(std::string& text) {
  char* end = nullptr;
  const double seconds = std::strtod(text.c_str(), &end);
  if (end == text.c_str() || *end != '\0' || !std::isfinite(seconds) || seconds < 0 ||
      seconds > iddl::matrix::kMaxTimeoutSeconds)
    return fmt::format("{} is not a number of seconds from 0 (no limit) to {:.0f} (365 days)", text,
                       iddl::matrix::kMaxTimeoutSeconds);
  return "";
}

int exit_code(const iddl::launch::SweepOutcome& outcome) {
  if (outcome.stopped_by_signal) return 130;
  return outcome.failed + outcome.timed_out > 0 ? 1 : 0;
}

}  // namespace

int main(int argc, char** argv) {
  // Named for the runs this process starts only (child_process.cpp), never for a Slurm job it submits, which
  // legitimately outlives it.
  ::unsetenv(iddl::runners::kLauncherPidVariable);
  ::unsetenv(iddl::runners::kLauncherHostVariable);
  CLI::App app{"IDDL sweep engine: expands a TOML sweep into runs, launches them under MPI, stores results in SQLite."};
  app.require_subcommand(1);
  std::string file;
  iddl::launch::SweepOptions options;
  options.bin_dir = own_directory();

  std::vector<std::string> overrides;
  auto* plan = app.add_subcommand("plan", "list the runs a sweep file expands to and which are done");
  plan->add_option("file", file, "sweep TOML file")->required();
  plan->add_option("--db", options.db_path, "SQLite database")->capture_default_str();
  plan->add_option("--set", overrides, "override a setting of every run, checked like the file: --set lr=0.05");

  auto* run = app.add_subcommand("run", "run every run of a sweep that is not done yet");
  run->add_option("file", file, "sweep TOML file")->required();
  run->add_option("--db", options.db_path, "SQLite database")->capture_default_str();
  run->add_option("--jobs,-j", options.jobs, "runs at once (default: the sweep's [launch] jobs, else 1)")
      ->check(CLI::Range(1, 100000));
  run->add_option("--timeout", options.timeout_s, "per-run limit in seconds (default: the sweep's [launch] timeout)")
      ->check(CLI::Validator(check_timeout, "SECONDS"));
  run->add_flag("--oversubscribe", options.oversubscribe, "allow runs with more ranks than this machine has cores");
  run->add_flag("--force", options.force, "run done runs again too");
  run->add_flag("--retry-failed", options.retry_failed, "run failed and timed-out runs again too");
  run->add_option("--set", overrides,
                  "override a setting of every run, checked like the file (an axis's list is replaced): --set lr=0.05");
  run->add_option("--only", options.only, "only the runs with these run keys (with --force / --retry-failed)");
  run->add_option("--where", options.where, "only the runs matching this SQL expression over the runs columns, "
                  "as iddl-report --where: --where \"lr = 0.1\"")
      ->check(CLI::Validator(
          [](std::string& text) {
            try {
              iddl::reports::check_where_expression(text);
              return std::string();
            } catch (const std::invalid_argument& e) {
              return std::string(e.what());
            }
          },
          "EXPR"));
  run->add_flag("--into-existing", options.into_existing,
                "add the runs to a stored sweep of the same name from another file or with another matrix");
  run->add_option("--blas-coretype", options.blas_coretype, "OpenBLAS kernel for the runs (OPENBLAS_CORETYPE)");
  run->add_option("--mpirun", options.mpirun, "the mpirun executable")->capture_default_str();
  run->add_option_function<std::string>(
         "--launcher", [&](const std::string& name) { options.launcher = iddl::matrix::parse_launcher(name); },
         "mpirun, srun or sbatch (default: the sweep's [launch] launcher)")
      ->check(CLI::IsMember(names_of(iddl::matrix::kLauncherNames)));
  run->add_flag("--dry-run", options.dry_run, "print each run's exact command; run nothing, write no database");
  run->add_flag("--no-wait", options.no_wait, "sbatch: submit the job array and return (collect its journals later)");
  run->add_option("--poll", options.poll_s, "sbatch: seconds between two squeue calls while following the job array")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  run->add_option("--job-dir", options.job_dir,
                  "sbatch: folder the compute nodes see for the script, run list and journals (default: the database's)");
  run->add_option("--checkpoint-dir", options.checkpoint_dir,
                  "root of the runs' checkpoint folders (default: <db>.checkpoints; docs/checkpoints.md)");
  run->add_option_function<std::string>(
         "--gpu-policy", [&](const std::string& name) { options.gpu_policy = iddl::hardware::parse_gpu_policy(name); },
         "which free GPUs a run gets: topology (the best-linked ones) or binpack (the lowest ones) "
         "(default: the sweep's [launch] gpu_policy, else topology)")
      ->check(CLI::IsMember(names_of(iddl::hardware::kGpuPolicyNames)));

  auto* status = app.add_subcommand("status", "the sweeps in a database with their runs counted by state");
  status->add_option("--db", options.db_path, "SQLite database")->capture_default_str();
  auto* list = app.add_subcommand("list", "the sweeps in a database");
  list->add_option("--db", options.db_path, "SQLite database")->capture_default_str();

  auto* blas = app.add_subcommand("blas", "show the BLAS library and the kernel the runs will use");
  blas->add_option("--blas-coretype", options.blas_coretype, "OpenBLAS kernel to check instead of choosing one");

  auto* task = app.add_subcommand("task", "run one array task of a sweep's Slurm job array (docs/launchers.md)");
  iddl::launch::TaskOptions task_options;
  task_options.bin_dir = options.bin_dir;
  if (const char* index = std::getenv("SLURM_ARRAY_TASK_ID")) task_options.index = std::atoi(index);
  task->add_option("--runs", task_options.run_list, "the run list, one run spec per line")->required();
  task->add_option("--journals", task_options.journal_dir, "folder of the runs' journals")->required();
  task->add_option("--index", task_options.index, "the line to run, 0-based (default: $SLURM_ARRAY_TASK_ID)")
      ->check(CLI::Range(0, INT_MAX));
  task->add_option("--blas-coretype", task_options.blas_coretype, "OpenBLAS kernel for the ranks (OPENBLAS_CORETYPE)");
  task->add_option("--srun", task_options.srun, "the srun executable")->capture_default_str();

  auto* collect = app.add_subcommand("collect", "store the journals of array tasks in the database");
  std::vector<std::string> journal_dirs;
  collect->add_option("--db", options.db_path, "SQLite database")->capture_default_str();
  collect->add_option("journal_dirs", journal_dirs, "folders of <run_key>.jsonl journals")->required();

  auto* merge = app.add_subcommand("merge", "bring another database's sweeps, runs, epochs and metrics into this one");
  std::string other_db, merge_sweep;
  merge->add_option("other", other_db, "the database to merge from (read, never changed)")->required();
  merge->add_option("--db", options.db_path, "SQLite database to merge into")->capture_default_str();
  merge->add_option("--sweep", merge_sweep, "only this sweep");

  auto* rm = app.add_subcommand("rm", "delete a sweep, or some runs, with their epochs and metrics");
  iddl::launch::RemoveRequest removal;
  std::string rm_sweep;
  rm->add_option("sweep,--sweep", rm_sweep, "the sweep to delete (with --run: the sweep of those runs)");
  rm->add_option("--run", removal.run_keys, "delete only these runs (run keys)");
  rm->add_option("--db", options.db_path, "SQLite database")->capture_default_str();
  rm->add_flag("--dry-run", removal.dry_run, "list what would be deleted; delete nothing");
  rm->add_flag("--yes,-y", removal.yes, fmt::format("do not ask before deleting more than {} runs",
                                                     iddl::launch::kRunsDeletedWithoutAsking));

  auto* machine = app.add_subcommand("hardware", "show the CPU, memory, GPUs, their interconnect and the versions runs record");
  bool as_json = false;
  machine->add_flag("--json", as_json, "print one JSON object instead of the table");
  machine->add_option("--mpirun", options.mpirun, "the mpirun executable asked for the MPI version")->capture_default_str();

  auto* gpu_check = app.add_subcommand("gpu-check", "check NCCL sums and train one ResNet-9 epoch on this machine's GPUs "
                                      "(docs/gpu.md)");
  iddl::launch::GpuCheckOptions gpu_check_options;
  gpu_check_options.bin_dir = options.bin_dir;
  gpu_check_options.as_root = ::geteuid() == 0;
  gpu_check->add_option("--mpirun", gpu_check_options.mpirun, "the mpirun executable")->capture_default_str();
  gpu_check->add_option("--samples", gpu_check_options.train_samples, "training samples of the epoch")
      ->capture_default_str()
      ->check(CLI::Range(int64_t{1}, int64_t{1} << 40));
  gpu_check->add_option("--max-mib", gpu_check_options.max_mib, "the largest tensor summed, in MiB")
      ->capture_default_str()
      ->check(CLI::Range(1, 4096));

  auto* tag = app.add_subcommand("tag", "give runs a tag (reports select them with --where \"tag = 'TAG'\")");
  auto* untag = app.add_subcommand("untag", "take a tag from runs (as tag --remove)");
  auto* note = app.add_subcommand("note", "set a run's note (an empty text removes it)");
  std::vector<std::string> keys_and_tag;
  std::string note_key, note_text, label_sweep;
  bool remove_tag = false;
  for (auto* command : {tag, untag}) {
    command->add_option("keys_and_tag", keys_and_tag, "RUN_KEY... TAG")->required();
    command->add_option("--db", options.db_path, "SQLite database")->capture_default_str();
    command->add_option("--sweep", label_sweep, "the runs' sweep (when a key is in several)");
  }
  tag->add_flag("--remove", remove_tag, "take the tag from the runs instead");
  note->add_option("run_key", note_key, "the run's key")->required();
  note->add_option("text", note_text, "the note")->required();
  note->add_option("--db", options.db_path, "SQLite database")->capture_default_str();
  note->add_option("--sweep", label_sweep, "the run's sweep (when its key is in several)");

  if (const std::string unknown = iddl::reports::unknown_subcommand(app, argc, argv); !unknown.empty()) {
    std::cerr << "iddl-sweep: " << unknown << " (see iddl-sweep --help)" << std::endl;
    return kBadInputExit;
  }
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& error) {
    if (error.get_exit_code() == 0) return app.exit(error);  // --help
    std::cerr << "iddl-sweep: " << error.what() << " (see iddl-sweep --help)" << std::endl;
    return kBadInputExit;
  }
  try {
    if (*machine) {
      const auto facts = iddl::hardware::read_machine_facts(options.mpirun);
      std::cout << (as_json ? iddl::hardware::machine_facts_json(facts).dump(2) + "\n"
                            : iddl::hardware::format_machine_facts(facts));
      return 0;
    }
    if (*blas) {
      const auto choice = iddl::hardware::choose_blas(options.bin_dir + "/iddl-blas-probe", options.blas_coretype);
      std::cout << fmt::format("library: {}\ndefault kernel: {} ({:.1f} GFLOP/s)\nkernel for runs: {} ({:.1f} GFLOP/s)\n"
                               "OPENBLAS_CORETYPE: {}\nreason: {}\n",
                               choice.library, choice.default_kernel, choice.default_gflops, choice.kernel,
                               choice.chosen_gflops, choice.coretype_env.empty() ? "(unset)" : choice.coretype_env,
                               choice.reason);
      return 0;
    }
    if (*task) return iddl::launch::run_task(task_options, std::cerr);
    if (*gpu_check) return iddl::launch::run_gpu_check(gpu_check_options, std::cout, std::cerr);
    if (*collect) {
      iddl::launch::collect_journals(options.db_path, journal_dirs, std::cout);
      return 0;
    }
    if (*merge) {
      print_merge(iddl::results::merge_database(
                      options.db_path, other_db,
                      merge->count("--sweep") > 0 ? std::optional<std::string>(merge_sweep) : std::nullopt),
                  other_db, options.db_path);
      return 0;
    }
    const auto label_sweep_given = [&](CLI::App* command) {
      return command->count("--sweep") > 0 ? std::optional<std::string>(label_sweep) : std::nullopt;
    };
    if (*tag || *untag) {
      CLI::App* command = *tag ? tag : untag;
      tag_runs(options.db_path, keys_and_tag, remove_tag || *untag, label_sweep_given(command));
      return 0;
    }
    if (*note) {
      iddl::results::Database db = iddl::results::open_for_labels(options.db_path);
      iddl::results::set_note(db, iddl::results::find_runs(db, {note_key}, label_sweep_given(note)).front().id,
                              note_text);
      std::cout << (note_text.empty() ? "removed the note of run " : "noted run ") << note_key << "\n";
      return 0;
    }
    if (*rm) {
      removal.db_path = options.db_path;
      if (!rm_sweep.empty()) removal.sweep = rm_sweep;
      removal.interactive = isatty(STDIN_FILENO) != 0;
      iddl::launch::remove_stored_runs(removal, std::cin, std::cout);
      return 0;
    }
    if (*status || *list) {
      print_sweeps(options.db_path, status->parsed());
      return 0;
    }
    const iddl::matrix::Sweep sweep = iddl::matrix::load_sweep(file, overrides);
    if (*plan) {
      iddl::launch::check_devices(sweep, options, iddl::hardware::this_process_device_facts(), std::cout);
      print_plan(sweep, options.db_path);
      return 0;
    }
    options.live_progress = isatty(STDOUT_FILENO) != 0;
    return exit_code(iddl::launch::run_sweep(sweep, options, std::cout));
  } catch (const iddl::launch::SweepLockHeld& e) {
    std::cerr << "iddl-sweep: " << e.what() << std::endl;
    return kSweepHeldExit;
  } catch (const std::exception& e) {
    std::cerr << "iddl-sweep: " << e.what() << std::endl;
    return kBadInputExit;
  }
}
