#pragma once
#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "matrix/sweep_file.hpp"

namespace iddl::matrix {

// Settings chosen together (one step of an axis, [base], or one [[include]] table) and where they are written.
struct Choice {
  nlohmann::json settings = nlohmann::json::object();  // setting name -> checked value as written
  std::map<std::string, SourcePosition> where;          // where each of those values is written
  SourcePosition position;                               // where the choice starts: its value, or its table
};

// One axis of the cross product: a [matrix] key, or a [[zip]] group whose settings advance together.
struct Dimension {
  std::string label;                  // "[matrix] model" or "[[zip]] model, lr", for messages
  std::vector<std::string> settings;  // the settings it sets, in file order
  std::vector<Choice> choices;        // its steps, in file order
  SourcePosition position;            // the [matrix] key or the [[zip]] header
};

// One [[exclude]] table: it removes the combinations that take, for every listed setting, one of its values.
struct Exclusion {
  // setting -> the values to match as a resolved config holds them (for an axis: only the given fields)
  std::vector<std::pair<std::string, std::vector<nlohmann::json>>> patterns;
  nlohmann::json as_written;  // the table as written, for messages
  SourcePosition position;
};

// A sweep file's checked contents, before expansion.
struct SweepPlan {
  std::string name;
  std::string file;
  int repeats = 1;                        // runs of each combination
  std::vector<std::int64_t> seeds;        // [sweep] seeds, one per repeat (empty: seed + repeat index)
  nlohmann::json base_table = nlohmann::json::object();  // [base] as given
  Choice shared;                          // what every run starts from: [base] and [launch] ranks
  std::vector<Dimension> dimensions;      // [matrix] keys and [[zip]] groups, in file order
  std::vector<Exclusion> exclusions;      // [[exclude]] tables, in file order
  std::vector<Choice> includes;           // [[include]] tables, in file order
  LaunchSettings launch;                  // [launch]
};

// The most runs one sweep may plan.
inline constexpr long long kMaxRuns = 100000;

// The sweep `plan` describes: every combination of dimension choices not excluded, then the included
// runs, each resolved and repeated; throws SweepError naming the place to blame in the file.
Sweep expand(const SweepPlan& plan);

}  // namespace iddl::matrix
