#pragma once
#include <string>

#include <nlohmann/json.hpp>

namespace iddl::matrix {

// The run key of a resolved config: 16 lowercase hex digits of the 64-bit FNV-1a hash of its
// canonical (sorted-key) JSON dump; equal configs get equal keys on every machine.
std::string run_key(const nlohmann::json& resolved);

}  // namespace iddl::matrix
