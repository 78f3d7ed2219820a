#pragma once
#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "matrix/sweep_file.hpp"

namespace iddl::matrix {

// One value of a [matrix] axis: the settings it sets (its own axis setting included) and where.
struct AxisValue {
  nlohmann::json settings = nlohmann::json::object();  // setting name -> checked value
  std::map<std::string, SourcePosition> where;          // where each of those values is written
  SourcePosition position;                               // where the value itself starts
};

// One [matrix] key and its values, in file order.
struct Axis {
  std::string name;
  std::vector<AxisValue> values;
};

// A sweep file's checked contents, before expansion.
struct SweepPlan {
  std::string name;
  std::string file;
  int repeats = 1;
  nlohmann::json base = nlohmann::json::object();  // [base]: setting name -> checked value
  std::map<std::string, SourcePosition> base_where; // where each [base] value is written
  std::vector<Axis> axes;                           // [matrix], in file order
};

// The most runs one sweep may plan.
inline constexpr long long kMaxRuns = 100000;

// The sweep `plan` describes, with every combination of axis values resolved and repeated;
// throws SweepError naming the place to blame in the file.
Sweep expand(const SweepPlan& plan);

}  // namespace iddl::matrix
