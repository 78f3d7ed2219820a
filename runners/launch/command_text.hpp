#pragma once
#include <string>
#include <vector>

namespace iddl::launch {

// `word` as one POSIX shell word: unchanged when it holds only safe characters, else in single quotes.
std::string shell_quote(const std::string& word);

// An argument vector as one line a POSIX shell would split back into the same vector (for display and
// for the generated sbatch script; IDDL itself never runs a shell string).
std::string command_text(const std::vector<std::string>& argv);

}  // namespace iddl::launch
