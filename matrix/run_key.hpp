#pragma once
#include <string>

#include <nlohmann/json.hpp>

namespace iddl::matrix {

// The version of the run-key format. It goes up when a key would change for the same experiment: a
// changed default of the settings registry or a changed canonical form (stored runs are then re-keyed,
// results/run_rekey.hpp). tests/matrix/test_run_key.cpp pins the defaults each version was made with.
// Version 1 hashed the whole resolved config; version 2 hashes only the defining settings; version 3 made
// compression randomk's `scaled` false by default (seed 003's unscaled RandomK).
inline constexpr int kRunKeyVersion = 3;

// The settings of a config that define its experiment, canonical: each setting whose value differs
// from its registry default (an axis value as {"method"} plus the parameters that differ from that
// method's defaults), values normalized, unknown settings kept as given. Settings added to the registry
// later with a default therefore never change it.
nlohmann::json defining_settings(const nlohmann::json& config);

// The run key of a config (resolved, or partial: missing settings count as defaults): 16 lowercase hex
// digits of the 64-bit FNV-1a hash of the key version and the canonical (sorted-key) dump of its
// defining settings, less those that cannot change what a run computes (Setting::in_run_key: checkpoints);
// equal experiments get equal keys on every machine and in every later release.
std::string run_key(const nlohmann::json& config);

}  // namespace iddl::matrix
