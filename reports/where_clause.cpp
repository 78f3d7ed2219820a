#include "reports/where_clause.hpp"

#include <stdexcept>

namespace iddl::reports {
namespace {

// The position just past the quoted token starting at `at` (closed by `close`, a doubled close quote
// standing for itself), or npos when it is not closed.
std::size_t end_of_quoted(const std::string& text, std::size_t at, char close) {
  for (std::size_t i = at + 1; i < text.size(); ++i) {
    if (text[i] != close) continue;
    if (close != ']' && i + 1 < text.size() && text[i + 1] == close) {
      ++i;
      continue;
    }
    return i + 1;
  }
  return std::string::npos;
}

// Why `text` could leave its parentheses: "" when it cannot.
std::string problem_of(const std::string& text) {
  int depth = 0;
  for (std::size_t i = 0; i < text.size();) {
    const char c = text[i];
    if (c == '\'' || c == '"' || c == '`' || c == '[') {
      const std::size_t end = end_of_quoted(text, i, c == '[' ? ']' : c);
      if (end == std::string::npos) return std::string("an unterminated ") + (c == '\'' ? "string" : "quoted name");
      i = end;
      continue;
    }
    if (c == ';') return "a ';' (give one expression, not statements)";
    if (text.compare(i, 2, "--") == 0 || text.compare(i, 2, "/*") == 0) return "a comment";
    if (c == '(') ++depth;
    if (c == ')' && --depth < 0) return "a ')' closing a parenthesis it did not open";
    ++i;
  }
  return depth > 0 ? "a '(' that is not closed" : "";
}

}  // namespace

void check_where_expression(const std::string& expression) {
  const std::string problem = problem_of(expression);
  if (!problem.empty())
    throw std::invalid_argument("bad where expression \"" + expression + "\": it holds " + problem +
                                "; give one SQL expression over the runs columns, e.g. \"lr > 0.01 AND ranks = 2\"");
}

}  // namespace iddl::reports
