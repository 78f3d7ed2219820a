// Recorded outputs of nvidia-smi, read from tests/hardware/fixtures/.
#pragma once

#include <fstream>
#include <sstream>
#include <stdexcept>
#include <string>

// The text of a fixture file.
inline std::string fixture(const std::string& name) {
  const std::string path = std::string(IDDL_SOURCE_DIR) + "/tests/hardware/fixtures/" + name;
  std::ifstream in(path);
  if (!in) throw std::runtime_error("cannot read fixture '" + path + "'");
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}
