// Private to matrix/: reading the tables of a sweep file into a SweepPlan (includes toml++).
#pragma once
#include <string>
#include <vector>

#include <toml++/toml.h>

#include "matrix/expand.hpp"

namespace iddl::matrix {

// How far a place in a sweep file decides a setting.
enum class Scope {
  EveryRun,  // [launch] ranks, [sweep] seeds: fixed for every run
  Shared,    // [base], [matrix], [[zip]]: the setting of the crossed runs
  Extra,     // [[include]]: one extra run
};

// A place in a sweep file that sets a setting.
struct Claim {
  std::string setting;  // the setting set
  std::string place;    // "[base]", "[matrix]", "[[zip]]", "[[include]]", "[launch] ranks", "[sweep] seeds"
  SourcePosition where;  // its key
  Scope scope;           // which runs it sets the setting for
};

// A sweep file being read: its name, the plan so far and the places that set each setting.
struct Reading {
  std::string file;           // the name errors give the file
  SweepPlan plan;             // what the tables read so far say
  std::vector<Claim> claims;  // every place that sets a setting, checked at the end by check_claims
};

// [sweep]: name, and repeats or seeds.
void read_sweep_table(const toml::table& table, Reading& reading);

// [launch]: launcher, mpirun_args, hosts or hostfile, sbatch_args, timeout, jobs, gpu_policy and ranks.
void read_launch(const toml::table& table, Reading& reading);

// [base]: settings shared by every run.
void read_base(const toml::table& table, Reading& reading);

// [matrix]: one dimension per key.
void read_matrix(const toml::table& table, Reading& reading);

// One [[zip]] table: one dimension whose settings advance together.
void read_zip(const toml::table& table, Reading& reading);

// One [[include]] table: one extra run.
void read_include(const toml::table& table, Reading& reading);

// One [[exclude]] table: combinations to remove.
void read_exclude(const toml::table& table, Reading& reading);

// Throws SweepError at the later of the first two claims that conflict: any two claims of one setting,
// except an [[include]] with anything but an EveryRun claim.
void check_claims(const Reading& reading);

}  // namespace iddl::matrix
