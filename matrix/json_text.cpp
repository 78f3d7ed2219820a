#include "matrix/json_text.hpp"

#include <string>

namespace iddl::matrix {
namespace {

// A SAX pass that checks the text is JSON and nests no deeper than a limit, building nothing.
class DepthCheck : public nlohmann::json_sax<nlohmann::json> {
 public:
  explicit DepthCheck(int max_depth) : max_depth_(max_depth) {}

  bool null() override { return true; }
  bool boolean(bool) override { return true; }
  bool number_integer(number_integer_t) override { return true; }
  bool number_unsigned(number_unsigned_t) override { return true; }
  bool number_float(number_float_t, const string_t&) override { return true; }
  bool string(string_t&) override { return true; }
  bool binary(binary_t&) override { return true; }
  bool start_object(std::size_t) override { return enter(); }
  bool key(string_t&) override { return true; }
  bool end_object() override { return leave(); }
  bool start_array(std::size_t) override { return enter(); }
  bool end_array() override { return leave(); }
  bool parse_error(std::size_t, const std::string&, const nlohmann::detail::exception& e) override {
    error_ = std::string("not valid JSON: ") + e.what();
    return false;
  }

  // Why the text was refused; "" when it was accepted.
  const std::string& error() const { return error_; }

 private:
  bool enter() {
    ++depth_;
    if (depth_ <= max_depth_) return true;
    error_ = "JSON nested deeper than " + std::to_string(max_depth_) + " levels";
    return false;
  }
  bool leave() {
    --depth_;
    return true;
  }

  int max_depth_;
  int depth_ = 0;
  std::string error_;
};

// "" when `text` is JSON nested no deeper than max_depth, else why not.
std::string refusal(std::string_view text, int max_depth) {
  DepthCheck check(max_depth);
  const bool accepted = nlohmann::json::sax_parse(text, &check);
  if (accepted) return {};
  return check.error().empty() ? "not valid JSON" : check.error();
}

}  // namespace

nlohmann::json parse_json(std::string_view text, int max_depth) {
  if (const std::string why = refusal(text, max_depth); !why.empty()) throw JsonTextError(why);
  return nlohmann::json::parse(text);
}

nlohmann::json parse_json_or_discarded(std::string_view text, int max_depth) {
  if (!refusal(text, max_depth).empty()) return nlohmann::json(nlohmann::json::value_t::discarded);
  return nlohmann::json::parse(text);
}

}  // namespace iddl::matrix
