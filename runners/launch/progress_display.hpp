#pragma once
#include <map>
#include <ostream>
#include <string>

namespace iddl::launch {

// What a person sees while a sweep runs: permanent log lines and, on a terminal, one live line
// per run in flight redrawn in place; elsewhere every update is a plain log line.
class ProgressDisplay {
 public:
  ProgressDisplay(std::ostream& out, bool live) : out_(out), live_(live) {}

  // Prints a line that stays (a run started, finished or failed).
  void log(const std::string& line);
  // Sets the live line of run `id`.
  void update(int id, const std::string& line);
  // Removes the live line of run `id`.
  void remove(int id);

 private:
  void erase_live_block();
  void draw_live_block();

  std::ostream& out_;
  bool live_;
  std::map<int, std::string> lines_;
  size_t drawn_ = 0;
};

}  // namespace iddl::launch
