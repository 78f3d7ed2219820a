#include "matrix/closest_name.hpp"

#include <algorithm>
#include <cctype>
#include <vector>


namespace iddl::matrix {
namespace {

std::string lower(std::string_view text) {
  std::string out(text);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

// Edits (insert, delete, substitute, swap of neighbours) turning `a` into `b`.
std::size_t edit_distance(const std::string& a, const std::string& b) {
  std::vector<std::vector<std::size_t>> d(a.size() + 1, std::vector<std::size_t>(b.size() + 1));
  for (std::size_t i = 0; i <= a.size(); ++i) d[i][0] = i;
  for (std::size_t j = 0; j <= b.size(); ++j) d[0][j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    for (std::size_t j = 1; j <= b.size(); ++j) {
      const std::size_t substitute = d[i - 1][j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1);
      d[i][j] = std::min({d[i - 1][j] + 1, d[i][j - 1] + 1, substitute});
      if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1])
        d[i][j] = std::min(d[i][j], d[i - 2][j - 2] + 1);
    }
  }
  return d[a.size()][b.size()];
}

// Close enough to suggest: within a third of the length in edits, or one is a prefix (3+ chars) of the other.
bool is_close(const std::string& wrong, const std::string& candidate, std::size_t distance) {
  const std::size_t shorter = std::min(wrong.size(), candidate.size());
  const bool prefix = shorter >= 3 && wrong.compare(0, shorter, candidate, 0, shorter) == 0;
  return distance <= std::max<std::size_t>(1, wrong.size() / 3) || prefix;
}

}  // namespace

std::string closest_name(std::string_view wrong, const std::vector<std::string>& candidates) {
  const std::vector<std::string> close = close_names(wrong, candidates);
  return close.empty() ? "" : close.front();
}

std::vector<std::string> close_names(std::string_view wrong, const std::vector<std::string>& candidates) {
  const std::string needle = lower(wrong);
  std::vector<std::pair<std::size_t, std::string>> close;  // distance, candidate
  for (const auto& candidate : candidates) {
    const std::string folded = lower(candidate);
    const std::size_t distance = edit_distance(needle, folded);
    if (is_close(needle, folded, distance)) close.emplace_back(distance, candidate);
  }
  std::stable_sort(close.begin(), close.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
  std::vector<std::string> names;
  for (auto& entry : close) names.push_back(std::move(entry.second));
  return names;
}

}  // namespace iddl::matrix
