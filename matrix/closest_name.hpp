#pragma once
#include <string>
#include <string_view>
#include <vector>

namespace iddl::matrix {

// The candidate nearest to `wrong` by edit distance; "" if none is close.
std::string closest_name(std::string_view wrong, const std::vector<std::string>& candidates);

// Every candidate close to `wrong` (as closest_name judges), nearest first, ties in candidate order.
std::vector<std::string> close_names(std::string_view wrong, const std::vector<std::string>& candidates);

}  // namespace iddl::matrix
