#pragma once
// A shipped sweep cut to a version that runs in seconds, for the tests that run shipped sweeps end to end.
#include <algorithm>
#include <fstream>
#include <iterator>
#include <regex>
#include <string>

namespace iddl::testing {

// The shipped sweep `name` (a file of sweeps/) cut to a quick version: few samples and one thread in [base], every
// `epochs` (a number, or a [[zip]] list of them) 1; its name and matrix are kept.
inline std::string quick_version(const std::string& name) {
  std::ifstream in(std::string(IDDL_SOURCE_DIR) + "/sweeps/" + name);
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  text = std::regex_replace(text, std::regex(R"(\nepochs = \d+)"), "\nepochs = 1");
  const std::string zipped = "\nepochs = [";  // a [[zip]] list: as many 1s
  for (size_t at = text.find(zipped); at != std::string::npos; at = text.find(zipped, at + 1)) {
    const size_t open = at + zipped.size(), close = text.find(']', open);
    const auto values = std::count(text.begin() + open, text.begin() + close, ',') + 1;
    std::string ones = "1";
    for (int i = 1; i < values; ++i) ones += ", 1";
    text.replace(open, close - open, ones);
  }
  text = std::regex_replace(text, std::regex(R"(\nthreads = \d+)"), "");
  text = std::regex_replace(text, std::regex(R"(\n\[base\]\n)"),
                            "\n[base]\ntrain_samples = 256\ntest_samples = 64\nthreads = 1\n");
  return text;
}

}  // namespace iddl::testing
