#include "matrix/setting_builders.hpp"

#include <utility>

namespace iddl::matrix {
namespace {

Setting make(std::string name, Kind kind, nlohmann::json default_value, std::string help) {
  Setting s{};
  s.name = std::move(name);
  s.kind = kind;
  s.default_value = std::move(default_value);
  s.help = std::move(help);
  return s;
}

}  // namespace

Setting text(std::string name, std::string default_value, std::vector<std::string> choices,
             std::string help) {
  Setting s = make(std::move(name), Kind::String, std::move(default_value), std::move(help));
  s.choices = std::move(choices);
  return s;
}

Setting axis(std::string name, std::string default_method, std::string help) {
  Setting s = method_setting(std::move(name), std::move(default_method), std::move(help));
  s.iddl_axis = true;
  return s;
}

Setting method_setting(std::string name, std::string default_method, std::string help) {
  return make(std::move(name), Kind::Axis, std::move(default_method), std::move(help));
}

Setting integer(std::string name, std::int64_t default_value, double min, std::string help) {
  Setting s = make(std::move(name), Kind::Int, default_value, std::move(help));
  s.min = min;
  return s;
}

Setting integer_or_word(std::string name, std::string word, double min, std::string help) {
  Setting s = make(std::move(name), Kind::Int, word, std::move(help));
  s.min = min;
  s.choices = {std::move(word)};
  return s;
}

Setting number(std::string name, double default_value, std::string help) {
  return make(std::move(name), Kind::Float, default_value, std::move(help));
}

Setting with_min(Setting s, double min, bool exclusive) {
  s.min = min;
  s.min_exclusive = exclusive;
  return s;
}

Setting with_max(Setting s, double max, bool exclusive) {
  s.max = max;
  s.max_exclusive = exclusive;
  return s;
}

Setting outside_run_key(Setting s) {
  s.in_run_key = false;
  return s;
}

Setting flag(std::string name, bool default_value, std::string help) {
  return make(std::move(name), Kind::Bool, default_value, std::move(help));
}

Setting int_list(std::string name, std::vector<std::int64_t> default_value, double min,
                 std::string help) {
  Setting s = make(std::move(name), Kind::IntList, default_value, std::move(help));
  s.min = min;
  return s;
}

Setting number_list(std::string name, std::vector<double> default_value, double min, std::string help) {
  Setting s = make(std::move(name), Kind::FloatList, default_value, std::move(help));
  s.min = min;
  return s;
}

}  // namespace iddl::matrix
