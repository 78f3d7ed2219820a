#include "runners/launch/progress_display.hpp"

namespace iddl::launch {

void ProgressDisplay::erase_live_block() {
  if (drawn_ > 0) out_ << "\x1b[" << drawn_ << "F\x1b[J";  // up to the block's first line, clear below
  drawn_ = 0;
}

void ProgressDisplay::draw_live_block() {
  for (const auto& [id, line] : lines_) out_ << line << "\n";
  drawn_ = lines_.size();
  out_.flush();
}

void ProgressDisplay::log(const std::string& line) {
  if (!live_) {
    out_ << line << std::endl;
    return;
  }
  erase_live_block();
  out_ << line << "\n";
  draw_live_block();
}

void ProgressDisplay::update(int id, const std::string& line) {
  if (!live_) {
    out_ << line << std::endl;
    return;
  }
  lines_[id] = line;
  erase_live_block();
  draw_live_block();
}

void ProgressDisplay::remove(int id) {
  if (!live_ || lines_.erase(id) == 0) return;
  erase_live_block();
  draw_live_block();
}

}  // namespace iddl::launch
