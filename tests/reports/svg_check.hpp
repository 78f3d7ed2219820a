// Structural checks of SVG text for the tests: balanced tags, the polylines' points, and xmllint's verdict.
#pragma once

#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>

#include <fstream>
#include <sstream>
#include <string>
#include <vector>

namespace iddl::test_support {

// Whether every element is closed in order and no text holds a raw '<' or a bare '&'.
inline bool well_formed(const std::string& xml) {
  std::vector<std::string> open;
  size_t pos = 0;
  while ((pos = xml.find('<', pos)) != std::string::npos) {
    const size_t end = xml.find('>', pos);
    if (end == std::string::npos) return false;
    const std::string tag = xml.substr(pos + 1, end - pos - 1);
    const size_t next = xml.find('<', end);
    const std::string text = xml.substr(end + 1, next == std::string::npos ? std::string::npos : next - end - 1);
    for (size_t amp = text.find('&'); amp != std::string::npos; amp = text.find('&', amp + 1)) {
      if (text.find(';', amp) == std::string::npos) return false;
    }
    pos = end + 1;
    if (tag.empty()) return false;
    if (tag[0] == '/') {
      if (open.empty() || open.back() != tag.substr(1)) return false;
      open.pop_back();
    } else if (tag.back() != '/') {
      open.push_back(tag.substr(0, tag.find(' ')));
    }
  }
  return open.empty();
}

// The number of points of each <polyline>, in document order.
inline std::vector<int> polyline_point_counts(const std::string& svg) {
  std::vector<int> counts;
  for (size_t pos = svg.find("<polyline"); pos != std::string::npos; pos = svg.find("<polyline", pos + 1)) {
    const size_t start = svg.find("points=\"", pos) + 8;
    std::istringstream points(svg.substr(start, svg.find('"', start) - start));
    int count = 0;
    std::string point;
    while (points >> point) ++count;
    counts.push_back(count);
  }
  return counts;
}

// What `xmllint --noout` says of the text written to path: "" when it is well-formed XML, else its messages, or
// why xmllint could not run (scripts/setup.sh installs it with libxml2-utils: a missing xmllint fails the test).
inline std::string xmllint_errors(const std::string& xml, const std::string& path) {
  std::ofstream(path) << xml;
  const std::string messages = path + ".xmllint";
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 2, messages.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  std::vector<std::string> args = {"xmllint", "--noout", path};
  std::vector<char*> argv;
  for (std::string& arg : args) argv.push_back(arg.data());
  argv.push_back(nullptr);
  pid_t pid = 0;
  const int spawned = posix_spawnp(&pid, "xmllint", &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  if (spawned != 0) return "cannot run xmllint (scripts/setup.sh installs libxml2-utils)";
  int status = 0;
  waitpid(pid, &status, 0);
  if (WIFEXITED(status) && WEXITSTATUS(status) == 0) return "";
  std::ifstream in(messages);
  std::stringstream text;
  text << in.rdbuf();
  return "xmllint: " + text.str();
}

}  // namespace iddl::test_support
