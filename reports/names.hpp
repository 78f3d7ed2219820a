// Names given on the command line: comma-separated lists and the error for an unknown one.
#pragma once

#include <string>
#include <vector>

namespace iddl::reports {

// The names in a comma-separated list, blanks around each trimmed; an empty name throws
// std::invalid_argument quoting the list.
std::vector<std::string> split_names(const std::string& list);

// "unknown <what> 'name' (did you mean 'a'?)", "(did you mean 'a', 'b' or 'c'?)" listing the close
// candidates (at most 5, nearest first) or, with nothing close, listing every candidate.
std::string unknown_name_message(const std::string& what, const std::string& name,
                                 const std::vector<std::string>& candidates);

}  // namespace iddl::reports
